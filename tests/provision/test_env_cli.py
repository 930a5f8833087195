"""`python -m labs env ...` against stubbed `vagrant` and `kubectl`: the commands it runs, the files it
writes (kubeconfig mode 0600) and the messages a trainee sees."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from vm_test_support import REPO

STUB = Path(__file__).parent / "fixtures" / "stub-vagrant.sh"


class Host:
    def __init__(self, tmp: Path) -> None:
        self.repo = tmp / "repo"
        self.bin = tmp / "bin"
        self.log = tmp / "calls.log"
        self.repo.mkdir()
        self.bin.mkdir()
        self.tools("vagrant")

    def tools(self, *names: str) -> None:
        for name in names:
            (self.bin / name).symlink_to(STUB)

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        full_env = {"PATH": str(self.bin), "LABS_REPO": str(self.repo), "STUB_LOG": str(self.log),
                    "PYTHONPATH": str(REPO), "HOME": str(self.repo), **env}
        return subprocess.run([sys.executable, "-m", "labs", "env", *args], env=full_env, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    @property
    def kubeconfig(self) -> Path:
        return self.repo / ".kube" / "config"


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(tmp_path)


def test_kubeconfig_is_exported_private(host: Host) -> None:
    result = host.run("kubeconfig")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"Wrote {host.kubeconfig} (mode 0600, API server https://192.168.56.10:6443). "
                             "It is cluster-admin: keep it private.\n")
    assert host.kubeconfig.stat().st_mode & 0o777 == 0o600
    assert "kind: Config" in host.kubeconfig.read_text()
    assert host.calls() == ["vagrant ssh control-plane -c sudo cat /etc/kubernetes/admin.conf"]


def test_kubeconfig_export_failure_writes_nothing(host: Host) -> None:
    result = host.run("kubeconfig", STUB_KUBECONFIG="missing")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "labs env kubeconfig: could not read /etc/kubernetes/admin.conf from the control plane (vagrant ssh exit 1): "
        "cat: /etc/kubernetes/admin.conf: No such file or directory."
    )
    assert not host.kubeconfig.exists()


def test_up_runs_vagrant_then_exports(host: Host) -> None:
    result = host.run("up", "--provider", "virtualbox")
    assert result.returncode == 0, result.stderr
    assert host.calls()[0] == "vagrant up --provider virtualbox"
    assert host.kubeconfig.is_file()


def test_failed_up_says_it_is_safe_to_repeat(host: Host) -> None:
    result = host.run("up", STUB_UP_RC="1")
    assert result.returncode == 1
    assert "provisioning is safe to repeat" in result.stderr
    assert not host.kubeconfig.exists()


def test_reset_through_the_vm_deletes_only_labelled_lab_resources(host: Host) -> None:
    result = host.run("reset", "--lab", "lab04", "--timeout", "60")
    assert result.returncode == 0, result.stderr
    remote = [shlex.split(c.split(" -c ", 1)[1]) for c in host.calls() if c.startswith("vagrant ssh")]
    assert remote == [
        ["kubectl", "delete", "ciliumclusterwidenetworkpolicies.cilium.io", "-l", "ciliumlab.io/lab=lab04",
         "--ignore-not-found"],
        ["kubectl", "delete", "ciliumnetworkpolicies.cilium.io,networkpolicies.networking.k8s.io", "--all-namespaces",
         "-l", "ciliumlab.io/lab=lab04", "--ignore-not-found"],
        ["kubectl", "delete", "namespaces", "-l", "ciliumlab.io/lab=lab04", "--ignore-not-found", "--wait=true",
         "--timeout=60s"],
    ]
    assert result.stdout.endswith(
        "Reset done: resources labelled ciliumlab.io/lab=lab04 are gone; the cluster and your files are kept.\n"
    )


def test_reset_uses_host_kubectl_with_the_exported_kubeconfig(host: Host) -> None:
    host.tools("kubectl")
    host.kubeconfig.parent.mkdir()
    host.kubeconfig.write_text("kind: Config\n")
    assert host.run("reset").returncode == 0
    kubectl = [c for c in host.calls() if c.startswith("kubectl")]
    assert kubectl[0] == (f"kubectl --kubeconfig {host.kubeconfig} delete ciliumclusterwidenetworkpolicies.cilium.io "
                          "-l ciliumlab.io/lab --ignore-not-found")
    assert len(kubectl) == 3 and not any(c.startswith("vagrant") for c in host.calls())


def test_failed_reset_names_the_command(host: Host) -> None:
    host.tools("kubectl")
    host.kubeconfig.parent.mkdir()
    host.kubeconfig.write_text("kind: Config\n")
    result = host.run("reset", STUB_KUBECTL_RC="1")
    assert result.returncode == 1
    assert "labs env reset: 'kubectl delete ciliumclusterwidenetworkpolicies.cilium.io -l ciliumlab.io/lab " \
           "--ignore-not-found' failed" in result.stderr


@pytest.mark.parametrize(
    ("with_host_kubectl", "expected"),
    [
        (False, "vagrant ssh control-plane -c kubectl -n kube-system port-forward --address 127.0.0.1 svc/hubble-ui "
                "12000:80 -- -L 127.0.0.1:12345:127.0.0.1:12000"),
        (True, "kubectl --kubeconfig {kubeconfig} -n kube-system port-forward --address 127.0.0.1 svc/hubble-ui "
               "12345:80"),
    ],
    ids=["through-vagrant-ssh", "host-kubectl"],
)
def test_hubble_ui_is_forwarded_on_localhost_only(host: Host, with_host_kubectl: bool, expected: str) -> None:
    if with_host_kubectl:
        host.tools("kubectl")
        host.kubeconfig.parent.mkdir()
        host.kubeconfig.write_text("kind: Config\n")
    result = host.run("hubble-ui", "--port", "12345")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hubble UI: open http://127.0.0.1:12345 (Ctrl-C stops the port-forward).\n"
    assert host.calls()[-1] == expected.format(kubeconfig=host.kubeconfig)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hubble-ui", "--port", "80"], "labs env hubble-ui: --port 80 is not a port from 1024 to 65535.\n"),
        (["reset", "--lab", "lab 4; rm -rf /"], "labs env reset: --lab 'lab 4; rm -rf /' is not a lab id (letters, "
                                                "digits, '-', '_' or '.', at most 63, e.g. 'lab04').\n"),
        (["reset", "--timeout", "0"], "labs env reset: --timeout 0 must be a positive number of seconds.\n"),
        (["destroy"], "labs env destroy: destroying the VMs needs confirmation; run it in a terminal or pass --yes.\n"),
    ],
    ids=["privileged-port", "lab-id-with-shell", "zero-timeout", "destroy-unconfirmed"],
)
def test_invalid_input_changes_nothing(host: Host, args: list[str], message: str) -> None:
    result = host.run(*args)
    assert (result.returncode, result.stderr) == (2, message)
    assert host.calls() == []


def test_stopped_cluster_is_reported_with_the_way_out(host: Host) -> None:
    result = host.run("status", STUB_STATE="poweroff")
    assert result.returncode == 1
    assert result.stdout == ("control-plane    poweroff\nworker-1         poweroff\n"
                             "The cluster is not running; start it with 'python -m labs env up'.\n")
    hubble = host.run("hubble-ui", STUB_STATE="not_created")
    assert hubble.stderr == ("labs env hubble-ui: the control plane VM is 'not created', not running; start it with "
                             "'python -m labs env up'.\n")


def test_destroy_with_yes_removes_vms_and_kubeconfig(host: Host) -> None:
    host.kubeconfig.parent.mkdir()
    host.kubeconfig.write_text("kind: Config\n")
    result = host.run("destroy", "--yes")
    assert result.returncode == 0
    assert host.calls() == ["vagrant destroy --force"]
    assert not host.kubeconfig.exists()


def test_missing_vagrant_says_how_to_install_it(host: Host) -> None:
    (host.bin / "vagrant").unlink()
    result = host.run("status")
    assert result.returncode == 1
    assert result.stderr.startswith("labs env status: Vagrant is not installed (no 'vagrant' on PATH). Install Vagrant")


def test_host_scripts_call_the_same_actions() -> None:
    expected = {"up": "up", "status": "status", "kubeconfig": "kubeconfig", "hubble-ui": "hubble-ui",
                "reset-labs": "reset", "destroy": "destroy"}
    for script, action in expected.items():
        text = (REPO / "scripts" / "host" / script).read_text()
        assert f'/_labs-env" {action} "$@"' in text, script
        assert os.access(REPO / "scripts" / "host" / script, os.X_OK), f"{script} is not executable"
