"""Does `python -m labs workshop ...` work end to end on the simulated backend, with clear input errors?"""

from __future__ import annotations

import json

import pytest
import yaml

from labs.__main__ import main


@pytest.fixture
def trainees(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_HOME", str(tmp_path / "home"))
    path = tmp_path / "trainees.txt"
    path.write_text("alice\nbob\n")
    return path


def test_provision_then_status_on_sim(trainees, tmp_path, capsys):
    args = ["--trainees", str(trainees), "--lab", "04-namespace-isolation", "--backend", "sim"]
    assert main(["workshop", "provision", *args]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Provisioned 2 trainee(s): 48 objects (48 created) in ")
    assert (tmp_path / "home" / "workshop" / "kubeconfigs" / "alice.kubeconfig").is_file()

    progress = tmp_path / "home" / "workshop" / "progress"
    progress.mkdir(parents=True)
    (progress / "alice.json").write_text(json.dumps({"version": 1, "trainee": "alice", "labs": {
        "04-namespace-isolation": {"steps": {"isolate-backend": {
            "status": "not-yet", "attempts": 2, "last_change": "2026-11-23T10:00:00Z", "message": ""}}}}}))
    bundles = tmp_path / "bundles"
    assert main(["workshop", "status", *args, "--json", "--live", "--step", "open", "--bundles", str(bundles),
                 "--no-doctor"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["trainees"]["alice"]["04-namespace-isolation/isolate-backend"]["attempts"] == 2
    assert data["trainees"]["bob"]["04-namespace-isolation/open"]["live"] == "error"
    assert data["most_failed_step"]["step_id"] == "isolate-backend"
    assert sorted(p.name for p in (bundles / "alice").iterdir()) == [
        "doctor.txt", "flows.jsonl", "policies.yaml", "progress.json", "status.txt", "versions.json"]


def test_verify_offline(trainees, capsys):
    assert main(["workshop", "verify", "--trainees", str(trainees), "--lab", "04-namespace-isolation",
                 "--offline"]) == 0
    assert capsys.readouterr().out == "Isolation verified: 94 access checks answered as expected.\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["--lab", "nope"], "labs workshop: No lab named 'nope' in "),
    (["--manifests", "/nonexistent"], "labs workshop: The manifests folder '/nonexistent' does not exist"),
], ids=["unknown-lab", "no-manifests"])
def test_input_errors(trainees, capsys, argv, message):
    assert main(["workshop", "verify", "--offline", "--trainees", str(trainees), *argv]) == 2
    assert capsys.readouterr().err.startswith(message)


def test_bad_trainee_list(tmp_path, capsys):
    path = tmp_path / "t.txt"
    path.write_text("alice\nAlice\n")
    assert main(["workshop", "verify", "--offline", "--trainees", str(path)]) == 2
    assert capsys.readouterr().err == (f"labs workshop: The trainee name in {path}:2 'Alice' is not a DNS-1123 "
                                       "label; use lower-case letters, digits and '-', starting with a letter and "
                                       "ending with a letter or digit (for example 'alice' or 'team-7').\n")


def test_provision_names_read_only_steps(trainees, capsys):
    assert main(["workshop", "provision", "--trainees", str(trainees), "--lab", "03-identity-default-deny",
                 "--backend", "sim"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "  lab 03-identity-default-deny: runs per trainee in namespaces identity; step 'enforcement-always' is "
        "read-only (it sets the policy enforcement mode to 'always', which is cluster-wide (shown on a simulated "
        "copy only))")


def test_print_changes_nothing(trainees, tmp_path, capsys):
    assert main(["workshop", "provision", "--trainees", str(trainees), "--lab", "05-l7-http", "--print"]) == 0
    docs = [d for d in yaml.safe_load_all(capsys.readouterr().out)]
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"] == [
        "ciliumlab-workshop", "alice-backend", "alice-frontend", "bob-backend", "bob-frontend"]
    assert not (tmp_path / "home" / "workshop" / "kubeconfigs").exists()
