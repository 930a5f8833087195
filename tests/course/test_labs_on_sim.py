"""Does every lab behave as its lab.yaml says, on the simulated backend, as trainee and as instructor?"""

from __future__ import annotations

import pytest

from labs.course import lab_ids, load_lab
from labs.course.spec import FIX_SUFFIX

LABS = lab_ids()


def test_the_course_has_its_ten_labs():
    assert LABS == ["00-environment", "01-flat-network", "02-segregation", "03-identity-default-deny",
                    "04-namespace-isolation", "05-l7-http", "06-dns-fqdn", "07-observability", "08-capstone",
                    "09-fix-the-blog"]


@pytest.mark.parametrize("lab_id", LABS)
def test_with_solutions_every_step_passes(lab_id, open_sim, monkeypatch):
    """Solve mode loads each exercise's solution: every check of the lab must pass."""
    monkeypatch.setenv("LABS_SOLVE", "1")
    lab = open_sim(lab_id)
    results = lab.check_all()
    failed = [r.text() for r in results if not r.passed]
    assert not failed, "\n\n".join(failed)


@pytest.mark.parametrize("lab_id", LABS)
def test_as_a_trainee_exercises_are_not_yet_and_the_rest_passes(lab_id, open_sim):
    """Unanswered exercises say "not yet" and name the trainee's empty file; observe and pitfall steps pass."""
    lab = open_sim(lab_id)
    for result in lab.check_all():
        if result.kind == "exercise":
            assert result.status == "not-yet", result.text()
            assert f'lab.hint("{result.step}")' in result.summary
            if not result.step.endswith(FIX_SUFFIX):  # a fix starts from the pitfall's policy, not an empty file
                assert str(lab.exercise_path(result.step)) in result.text()
        else:
            assert result.status == "pass", result.text()


@pytest.mark.parametrize("lab_id", LABS)
def test_every_lab_has_the_teaching_shape(lab_id):
    """Objectives, a time estimate, at least one observe step and one exercise with hints and a solution."""
    spec = load_lab(lab_id)
    kinds = {s.kind for s in spec.steps}
    assert spec.objectives and spec.minutes > 0
    assert {"observe", "exercise"} <= kinds
    for step in spec.steps:
        if step.kind == "exercise":
            assert step.hints and step.solution and step.exercise


PITFALLS = [
    ("00-environment", "pitfall-missing-v2"),
    ("03-identity-default-deny", "pitfall-empty-ingress"),
    ("04-namespace-isolation", "pitfall-namespace-label"),
    ("04-namespace-isolation", "pitfall-from-cluster"),
    ("04-namespace-isolation", "pitfall-egress-dns"),
    ("05-l7-http", "pitfall-prefix-path"),
    ("05-l7-http", "pitfall-query-string"),
    ("05-l7-http", "pitfall-head"),
    ("05-l7-http", "pitfall-l4-lifts-l7"),
    ("06-dns-fqdn", "pitfall-no-dns-rule"),
    ("06-dns-fqdn", "pitfall-dns-port-443"),
    ("06-dns-fqdn", "pitfall-wildcard"),
    ("09-fix-the-blog", "pitfall-deny-all"),
    ("09-fix-the-blog", "pitfall-namespace-isolation"),
    ("09-fix-the-blog", "pitfall-dns-as-printed"),
]


@pytest.mark.parametrize(("lab_id", "step"), PITFALLS, ids=[f"{a}/{b}" for a, b in PITFALLS])
def test_each_pitfall_is_shown_failing_with_the_reason(lab_id, step, open_sim):
    """A pitfall's check shows what its author meant against what happens, and says why."""
    lab = open_sim(lab_id)
    result = lab.check(step)
    text = result.text()
    assert text.startswith("PITFALL SHOWN"), text
    assert "Why: " in text
    if not lab.step(step).rejected:
        assert any(p.misses_intent for p in result.probes), text
        assert ", observed " in text and "meant " in text
