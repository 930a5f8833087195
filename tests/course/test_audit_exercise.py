"""Lab 07's audit exercise, run the way the notebook runs it: with the real command lines.

Audit on for api's endpoint (`cilium-dbg endpoint config` through the agent), the starting default
deny applied, the application's two calls pass and show up as AUDIT in `hubble observe`; the check
proves nothing only once audit is off again.
"""

from __future__ import annotations

import shlex

from labs.commands import hubble, kubectl
from labs.commands.endpoint_ref import endpoint_ref


def k(lab, line: str):
    return kubectl.run(shlex.split(line), lab.cluster)


def test_audit_then_least_privilege(open_sim, tmp_path):
    lab = open_sim("07-observability")
    ref = endpoint_ref(lab.cluster, "store/api")
    assert ref.agent == "ds/cilium" and ref.id == lab.cluster.endpoint_id("store/api")
    on = k(lab, f"exec -n kube-system {ref.agent} -- cilium-dbg endpoint config {ref.id} PolicyAuditMode=Enabled")
    assert on.exit_code == 0 and on.stdout == f"Endpoint {ref.id} configuration updated successfully\n"
    applied = k(lab, f"apply -f {lab.spec.path('policies/api-default-deny.yaml')}")
    assert applied.stdout == "ciliumnetworkpolicy.cilium.io/api-default-deny created\n"
    for call in ("http://api:8080/orders", "-X POST http://api:8080/reports"):
        got = k(lab, f"exec -n store {'batch' if 'POST' in call else 'web'} -- curl -s -S -m 3 -o /dev/null "
                     f"-w '%{{http_code}}' {call}")
        assert (got.stdout, got.exit_code) == ("200", 0), got
    audit = hubble.run(shlex.split("observe -n store --verdict AUDIT"), lab.cluster).stdout.splitlines()
    assert len(audit) == 2
    assert all("-> store/api:8080" in line and line.endswith("policy-verdict:none INGRESS AUDITED (TCP Flags: SYN)")
               for line in audit)
    assert [line.split(": ", 1)[1].split(":")[0] for line in audit] == ["store/web", "store/batch"]

    answer = tmp_path / "answer.yaml"
    answer.write_text(lab.spec.path(lab.step("audit-api").solution).read_text(encoding="utf-8"))
    still_on = lab.check("audit-api", answer=answer)
    assert not still_on.passed and "Policy audit mode is on where" in still_on.text()
    k(lab, f"exec -n kube-system {ref.agent} -- cilium-dbg endpoint config {ref.id} PolicyAuditMode=Disabled")
    result = lab.check("audit-api", answer=answer)
    assert result.passed, result.text()


def test_a_right_answer_checked_with_audit_on_is_told_to_turn_audit_off_not_to_change_it(open_sim, tmp_path):
    """Found in the browser: the right policy, checked with audit still on, got the hint 'add toPorts with
    port 8080' (it had it) beside the audit one; now only the audit note is said."""
    lab = open_sim("07-observability")
    ref = endpoint_ref(lab.cluster, "store/api")
    k(lab, f"exec -n kube-system {ref.agent} -- cilium-dbg endpoint config {ref.id} PolicyAuditMode=Enabled")
    answer = tmp_path / "answer.yaml"
    answer.write_text(lab.spec.path(lab.step("audit-api").solution).read_text(encoding="utf-8"))
    result = lab.check("audit-api", answer=answer)
    text = result.text()
    assert not result.passed
    assert "Policy audit mode is on where 2 of these probes end" in text
    assert "PolicyAuditMode=Disabled" in text
    assert "add `toPorts`" not in text and "add toPorts" not in text
    assert "Hint:" not in text
    k(lab, f"exec -n kube-system {ref.agent} -- cilium-dbg endpoint config {ref.id} PolicyAuditMode=Disabled")
    assert lab.check("audit-api", answer=answer).passed


def test_the_notebook_finds_the_endpoint_through_the_lab(open_sim):
    """Lab 07's cell reads `api_ep = lab.endpoint("store/api")`, not an import of the course's internals."""
    lab = open_sim("07-observability")
    ref = lab.endpoint("store/api")
    assert ref == endpoint_ref(lab.cluster, "store/api")
    assert str(ref) == f"endpoint {lab.cluster.endpoint_id('store/api')} (store/api), agent ds/cilium"
