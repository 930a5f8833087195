"""lab.explain and lab.explain_matrix on the simulated backend: the lines a trainee reads."""

from __future__ import annotations

import pytest

from labs.course.explained import why_surprising
from labs.course.widgets_glue import editor_callbacks, findings_text

LAB = "03-identity-default-deny"


@pytest.fixture
def lab03(open_sim):
    return open_sim(LAB)


@pytest.mark.parametrize(("step", "predicted", "heads"), [
    ("identities", None, ["Why: 03-identity-default-deny / identities: Before any policy",
                          "Nothing surprising: every cell is allowed, or as predicted or meant."]),
    ("knp-empty-ingress", None, [
        "Why: 03-identity-default-deny / knp-empty-ingress: The same `ingress: []` in a Kubernetes NetworkPolicy "
        "(2 surprising cells)",
        "[1] identity/other -> identity/test-app:80/TCP (denied: observed dropped)",
        "[2] identity/busybox -> identity/test-app:80/TCP (denied: observed dropped)"]),
    ("identities", {("identity/busybox", "identity/test-app:80"): "dropped",
                    ("identity/other", "identity/test-app:80"): "allowed"}, [
        "Why: 03-identity-default-deny / identities: Before any policy (1 surprising cell)",
        "[1] identity/busybox -> identity/test-app:80/TCP (you predicted dropped, observed allowed)"]),
    ("knp-empty-ingress", {("identity/other", "identity/test-app:80"): "dropped"}, [
        "Why: 03-identity-default-deny / knp-empty-ingress: The same `ingress: []` in a Kubernetes NetworkPolicy "
        "(1 surprising cell)",
        "[1] identity/busybox -> identity/test-app:80/TCP (denied: observed dropped)"]),
    ("pitfall-empty-ingress", None, [
        "Why: 03-identity-default-deny / pitfall-empty-ingress: A CiliumNetworkPolicy with `ingress: []` "
        "(2 surprising cells)",
        "Note: CiliumNetworkPolicy identity/test-app-deny-all selects identity/test-app, but its `ingress: []` is "
        "an empty list: it adds no ingress rule, so identity/test-app's ingress is not in default deny and the "
        "engine reports no policy for it. Alone, such a policy is refused by the agent (a rule needs a section "
        "with at least one item); the deny-all is `ingress: [{}]`.",
        "[1] identity/other -> identity/test-app:80/TCP (the policy meant dropped, observed allowed)",
        "[2] identity/busybox -> identity/test-app:80/TCP (the policy meant dropped, observed allowed)"]),
], ids=["nothing-denied", "denied-cells", "wrong-prediction", "right-prediction-skipped", "pitfall-meant"])
def test_explain_matrix_headings(lab03, step, predicted, heads):
    lab03.matrix(step)
    lines = repr(lab03.explain_matrix(step, predicted=predicted)).splitlines()
    assert [line for line in lines if not line.startswith("    ")] == heads


def test_explain_matrix_gives_rule_and_fix(lab03):
    lab03.matrix("knp-empty-ingress")
    lab03.matrix("identities")  # another step is in force now: explain_matrix puts its own back
    text = repr(lab03.explain_matrix("knp-empty-ingress"))
    assert "        default deny switched on by: NetworkPolicy identity/test-app-deny-all" in text
    assert ("    verdict: dropped (POLICY_DENIED): ingress at identity/test-app: no rule allows it; default deny is "
            "on (NetworkPolicy identity/test-app-deny-all)") in text
    assert "          - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: identity, app: other}}]" in text
    assert "<details><summary>[1] identity/other -&gt; identity/test-app:80/TCP" in lab03.explain_matrix()._repr_html_()


def test_explain_matrix_runs_the_matrix_when_none(lab03):
    assert len(lab03.explain_matrix("knp-empty-ingress")) == 2


@pytest.mark.parametrize(("args", "kwargs", "verdict"), [
    (("identity/other", "identity/test-app"), {"port": 80}, "verdict: allowed"),
    (("knp-empty-ingress", 1), {}, "verdict: dropped (POLICY_DENIED)"),
    (("identity/busybox",), {"dns": "kubernetes.default.svc.cluster.local"}, "verdict: "),
], ids=["probe-arguments", "step-and-index", "dns-lookup"])
def test_explain_one(lab03, args, kwargs, verdict):
    text = str(lab03.explain(*args, **kwargs))
    assert any(line.startswith(verdict) for line in text.splitlines()), text


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (("identities", 7), {}, "lab.explain('identities', 7): step 'identities' of lab '03-identity-default-deny' "
                            "has 3 probes, numbered 0 to 2"),
    (("identity/other", "identity/test-app"), {}, "lab.explain('identity/other', 'identity/test-app'): port: a TCP "
                                                  "probe to 'identity/test-app' needs a port"),
    (("identity/other", 3), {}, "lab.explain('identity/other', 3): a target is text such as 'backend/api' or "
                                "'svc:backend/api'; a number only follows a step id"),
], ids=["index-out-of-range", "missing-port", "number-without-step"])
def test_explain_bad_arguments(lab03, args, kwargs, message):
    with pytest.raises(ValueError) as info:
        lab03.explain(*args, **kwargs)
    assert str(info.value) == message


def test_why_surprising_allowed_without_prediction_is_not():
    from labs.course.checks import ProbeCheck
    from labs.course.probe_spec import parse_probe
    from labs.outcomes import Outcome
    from labs.probes import ProbeResult

    spec = parse_probe({"from": "a/b", "to": "c/d", "port": 80, "expect": "allowed"})
    check = ProbeCheck(spec, ProbeResult(spec.probe, Outcome.ALLOWED, "no policy"))
    assert why_surprising(check, None) is None
    assert why_surprising(check, Outcome.REFUSED) == "you predicted refused, observed allowed"


def test_apply_in_the_editor_lints_first(open_sim):
    lab = open_sim("03-identity-default-deny")
    calls = editor_callbacks(lab, "allow-busybox")
    text = ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: deny-nothing, namespace: identity}\n"
            "spec:\n  endpointSelector: {matchLabels: {app: test-app}}\n  ingress: []\n  egress: [{}]\n")
    findings = calls["lint"](text)
    shown = calls["apply"](text).splitlines()
    assert findings, "the empty ingress list is a known mistake"
    assert shown[:len(findings_text(findings))] == findings_text(findings)
    assert shown[0] == f"lint: {len(findings)} finding{'s' if len(findings) != 1 else ''} (a finding does not " \
                       "stop the apply):"
    assert any(line.startswith("  line 6: CL201 (") for line in shown), shown
    assert "           ingress:" in shown
    assert shown[-1] == "1 created"
    assert lab.exercise_path("allow-busybox").read_text(encoding="utf-8") == text


def test_check_in_the_editor_grades_the_editor_text_and_keeps_the_previous_file(open_sim, monkeypatch):
    lab = open_sim("03-identity-default-deny")
    path = lab.exercise_path("allow-busybox")
    template = path.read_text(encoding="utf-8")
    solution = lab.spec.path(lab.step("allow-busybox").solution).read_text(encoding="utf-8")
    calls = editor_callbacks(lab, "allow-busybox")
    result = calls["check"](solution)  # typed in the editor, never saved by hand
    assert result.passed, result.text()
    assert path.read_text(encoding="utf-8") == solution
    assert path.with_name(path.name + ".bak").read_text(encoding="utf-8") == template
    # solve mode answers lab.check() with the solution, but the editor's Check still grades the editor
    monkeypatch.setenv("LABS_SOLVE", "1")
    wrong = solution.replace("app: busybox", "app: other")
    result = calls["check"](wrong)
    assert not result.passed and "Not yet" in result.summary
    assert path.with_name(path.name + ".bak").read_text(encoding="utf-8") == solution
