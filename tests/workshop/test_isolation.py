"""Does one trainee's policy never change another trainee's verdicts on a shared (simulated) cluster?

For every course lab with a solved exercise and a policy-free first step: alice applies the solution,
bob applies nothing, side by side on one SimCluster. Both trainees' steps must match their lab.yaml
expectations, and every probe outcome must equal what the same trainee sees alone on a fresh cluster.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.cluster.sim import SimCluster
from labs.paths import manifests_dir
from labs.workshop.checks import run_step, trainee_steps
from labs.workshop.labfile import assess_lab, load_lab_spec
from labs.workshop.rewrite import rewrite_text
from labs.workshop.scope import NamespaceMap


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for lab_yaml in sorted(manifests_dir().glob("*/lab.yaml")):
        spec = load_lab_spec(lab_yaml.parent)
        support = assess_lab(lab_yaml.parent)
        # steps that trainees cannot run on a shared cluster (e.g. probes from outside through a node port)
        steps = [s for s in spec.get("steps") or [] if isinstance(s, dict)
                 and str(s.get("id")) not in support.read_only_steps]
        baseline = next((s["id"] for s in steps if s.get("kind") == "observe" and not s.get("policies")
                         and s.get("probes")), None)
        solved = next((s["id"] for s in steps if s.get("kind") == "exercise" and s.get("solution")
                       and s.get("probes") and not s.get("enforcement")), None)
        if baseline and solved and support.runnable:
            cases.append((lab_yaml.parent.name, baseline, solved))
    return cases


CASES = _cases()


def _cluster(spec: dict) -> SimCluster:
    external = {e["fqdn"]: e["ip"] for e in spec.get("external") or []}
    return SimCluster(external=external)


def _deploy(cluster: SimCluster, lab: Path, trainee: str, files: list[str]) -> None:
    for name in files:
        result = rewrite_text((lab / name).read_text(), NamespaceMap(trainee), name=name, strict=True)
        cluster.apply(result.to_yaml())


def _files(spec: dict, step_id: str, *, solved: bool) -> list[str]:
    workloads = list(spec.get("workloads") or ["workloads.yaml"])
    if not solved:
        return workloads
    step = next(s for s in spec["steps"] if s["id"] == step_id)
    return [*workloads, *(step.get("policies") or []), step["solution"]]


def _outcomes(cluster: SimCluster, lab: Path, trainee: str, step_id: str) -> tuple[str, list[str]]:
    step = next(s for s in trainee_steps(lab, trainee) if s.step_id == step_id)
    results = cluster.probe_many([p.probe for p in step.probes])
    return run_step(cluster, step).status, [r.outcome.value for r in results]


def test_the_course_has_labs_to_check():
    assert len(CASES) >= 3, f"expected several solvable labs in {manifests_dir()}, found {CASES}"


@pytest.mark.parametrize(("lab_id", "baseline", "solved"), CASES, ids=[c[0] for c in CASES])
def test_two_trainees_side_by_side(lab_id, baseline, solved):
    lab = manifests_dir() / lab_id
    spec = load_lab_spec(lab)
    shared = _cluster(spec)
    _deploy(shared, lab, "alice", _files(spec, solved, solved=True))
    _deploy(shared, lab, "bob", _files(spec, solved, solved=False))

    alice_solved = _outcomes(shared, lab, "alice", solved)
    bob_baseline = _outcomes(shared, lab, "bob", baseline)
    bob_solved = _outcomes(shared, lab, "bob", solved)
    assert alice_solved[0] == "pass", run_step(shared, next(
        s for s in trainee_steps(lab, "alice") if s.step_id == solved)).message
    assert bob_baseline[0] == "pass", run_step(shared, next(
        s for s in trainee_steps(lab, "bob") if s.step_id == baseline)).message

    alone_alice = _cluster(spec)
    _deploy(alone_alice, lab, "alice", _files(spec, solved, solved=True))
    alone_bob = _cluster(spec)
    _deploy(alone_bob, lab, "bob", _files(spec, solved, solved=False))
    assert alice_solved == _outcomes(alone_alice, lab, "alice", solved)
    assert bob_baseline == _outcomes(alone_bob, lab, "bob", baseline)
    assert bob_solved == _outcomes(alone_bob, lab, "bob", solved)


def test_unsolved_trainee_does_not_pass_the_exercise():
    """The side-by-side check can fail: without the solution, bob's exercise step is not passing."""
    lab_id, _baseline, solved = next(c for c in CASES if c[0] == "04-namespace-isolation")
    lab = manifests_dir() / lab_id
    spec = load_lab_spec(lab)
    shared = _cluster(spec)
    _deploy(shared, lab, "alice", _files(spec, solved, solved=True))
    _deploy(shared, lab, "bob", _files(spec, solved, solved=False))
    status, outcomes = _outcomes(shared, lab, "bob", solved)
    assert status == "not-yet"
    assert outcomes == ["allowed"] * 5  # no policy: every probe of isolate-backend is allowed
