"""Workshop mode in a lab session (LABS_TRAINEE): the trainee's namespaces, checks that pass, resets that empty."""

from __future__ import annotations

import pytest

from labs.course import open_lab


@pytest.fixture
def alice(monkeypatch):
    monkeypatch.setenv("LABS_TRAINEE", "alice")


@pytest.mark.parametrize(("lab_id", "namespaces"), [
    ("03-identity-default-deny", ("alice-identity",)),
    ("04-namespace-isolation", ("alice-frontend", "alice-backend", "alice-test")),
    ("06-dns-fqdn", ("alice-payments",)),
], ids=["03", "04", "06"])
def test_lab_deploys_for_the_trainee_and_passes_with_solutions(alice, monkeypatch, lab_id, namespaces):
    monkeypatch.setenv("LABS_SOLVE", "1")
    lab = open_lab(lab_id, backend="sim")
    assert lab.namespaces == namespaces
    assert lab.deploy().ok
    pods = [p.key for p in lab.cluster.pods() if p.namespace != "kube-system"]
    assert pods and all(key.startswith("alice-") for key in pods), pods
    results = lab.check_all()
    assert [(r.step, r.status) for r in results if r.status != "pass"] == []
    assert all(c.spec.probe.source.startswith("alice-") for r in results for c in r.probes)


def test_exercises_say_not_yet_for_a_trainee_without_answers(alice):
    lab = open_lab("03-identity-default-deny", backend="sim")
    lab.deploy()
    assert lab.check("allow-busybox").status == "not-yet"
    assert lab.check("knp-empty-ingress").status == "pass"


def test_reset_empties_the_trainees_namespaces_and_keeps_them(alice):
    lab = open_lab("04-namespace-isolation", backend="sim")
    lab.deploy()
    lab.check("isolate-backend")
    message = lab.reset(confirm=True)
    assert message.ok, message.text
    assert sorted(ns.name for ns in lab.cluster.namespaces() if ns.name.startswith("alice-")) == [
        "alice-backend", "alice-frontend", "alice-test"]
    assert [p.key for p in lab.cluster.pods() if p.namespace.startswith("alice-")] == []
    assert list(lab.cluster.policies()) == []


def test_solution_is_shown_in_the_trainees_namespaces(alice):
    lab = open_lab("04-namespace-isolation", backend="sim")
    text = lab.solution("isolate-backend").text
    assert "namespace: alice-backend" in text
    assert "namespace: backend\n" not in text


def test_single_user_mode_is_unchanged(monkeypatch):
    monkeypatch.delenv("LABS_TRAINEE", raising=False)
    lab = open_lab("04-namespace-isolation", backend="sim")
    assert lab.namespaces == ("frontend", "backend", "test")
    lab.deploy()
    lab.reset(confirm=True)
    assert not {"frontend", "backend", "test"} & {ns.name for ns in lab.cluster.namespaces()}
