"""The doctor's report as text, HTML and JSON, and the command's exit codes."""

from __future__ import annotations

import json

import pytest

from labs.__main__ import main
from labs.doctor import Check, DoctorReport
from labs.outcomes import FAIL_COLOR

REPORT = DoctorReport((
    Check("python", "pass", "Python 3.12.1."),
    Check("vagrant", "fail", "Vagrant 2.4.1 cannot drive VirtualBox 7.1.4.", "Install Vagrant <2.4.9> or newer."),
    Check("kubeconfig", "warn", "No kubeconfig found.", "Start the VM with `vagrant up`."),
))


def test_text_is_one_line_per_check_and_a_summary():
    assert str(REPORT) == (
        "PASS  python             Python 3.12.1.\n"
        "FAIL  vagrant            Vagrant 2.4.1 cannot drive VirtualBox 7.1.4. Fix: Install Vagrant <2.4.9> or newer.\n"
        "WARN  kubeconfig         No kubeconfig found. Fix: Start the VM with `vagrant up`.\n"
        "labs doctor: 1 pass, 1 warn, 1 fail")
    assert not REPORT.ok


def test_html_escapes_and_colours():
    html = REPORT._repr_html_()
    assert "Install Vagrant &lt;2.4.9&gt; or newer." in html
    assert f'<td style="text-align:left;color:{FAIL_COLOR};font-weight:bold">fail</td>' in html
    assert "<2.4.9>" not in html


def test_json_has_every_field():
    data = json.loads(REPORT.to_json())
    assert data["ok"] is False
    assert data["summary"] == {"pass": 1, "warn": 1, "fail": 1, "skip": 0}
    assert data["checks"][1] == {"name": "vagrant", "status": "fail", "message": "Vagrant 2.4.1 cannot drive "
                                 "VirtualBox 7.1.4.", "fix": "Install Vagrant <2.4.9> or newer."}


@pytest.mark.parametrize(("checks", "code"), [
    ((Check("python", "pass", "ok."), Check("vagrant", "warn", "old.", "upgrade")), 0),
    ((Check("python", "pass", "ok."), Check("vagrant", "fail", "too old.", "upgrade")), 1),
], ids=["warnings-exit-0", "a-failure-exits-1"])
def test_exit_code(monkeypatch, capsys, checks, code):
    monkeypatch.setattr("labs.doctor.cli.doctor", lambda **kw: DoctorReport(checks))
    assert main(["doctor", "--host-only"]) == code
    assert capsys.readouterr().out.endswith(f"labs doctor: {DoctorReport(checks).summary()}\n")


def test_bad_timeout(capsys):
    assert main(["doctor", "--timeout", "0"]) == 2
    assert capsys.readouterr().out == "labs doctor: --timeout must be a positive number of seconds.\n"


def test_runs_on_this_machine_without_a_cluster(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LABS_REPO", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    code = main(["doctor", "--json"])
    data = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in data["checks"]]
    assert names[:7] == ["python", "disk", "ram", "cpu-virtualization", "vagrant", "vm-provider", "host-only-range"]
    assert data["checks"][-1] == {
        "name": "kubeconfig", "status": "warn",
        "message": "No kubeconfig found (looked in: .kube/config, ~/.kube/config); the labs use the simulated "
                   "backend.",
        "fix": "Start the course VM with `vagrant up` (it exports .kube/config), or set KUBECONFIG."}
    assert code == (1 if any(c["status"] == "fail" for c in data["checks"]) else 0)
