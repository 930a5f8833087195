"""Policy audit mode on the simulated cluster: L3/L4 drops pass as AUDIT, L7 stays enforced.

What Cilium does is in `labs/policy/audit.py` (bpf/lib/policy.h `policy_can_ingress`/`policy_can_egress`
turn any negative L3/L4 verdict into a pass with the audited flag; Hubble's threefour parser reports it
as verdict AUDIT; no proxy redirect for an audited packet; Envoy and the DNS proxy keep their rules).
"""

from __future__ import annotations

import pytest

from labs.outcomes import Outcome
from labs.probes import HttpRequest, Probe, parse_target

API_INGRESS = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-from-web, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend, app: web}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}], rules: {http: [{method: GET, path: "/api/.*"}]}}]
"""

WEB_EGRESS_DENY = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web-lockdown, namespace: frontend}
spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*.stripe.com"}]}}]
  egressDeny:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: backend}}]
"""


def probe(sim, src, dst=None, port=None, http=None, dns=None):
    return sim.probe(Probe(src, parse_target(dst) if dst else None, port, "TCP", http, dns))


def verdict_events(result):
    return [f["flow"] for f in result.flows if f["flow"].get("event_type", {}).get("type") == 5]


@pytest.fixture
def guarded(sim):
    sim.apply(API_INGRESS)
    return sim


def test_a_default_deny_drop_at_an_auditing_endpoint_passes_as_audit(guarded):
    assert probe(guarded, "frontend/other", "backend/api", 8080).outcome is Outcome.DROPPED
    guarded.set_endpoint_audit("backend/api", True)
    result = probe(guarded, "frontend/other", "backend/api", 8080)
    assert result.outcome is Outcome.ALLOWED
    assert "audit" in result.reason
    events = verdict_events(result)
    assert [(e["traffic_direction"], e["verdict"]) for e in events] == [("INGRESS", "AUDIT")]
    audit = events[0]
    # verdict 0 + audited: no drop reason, is_reply false, no policy named for a default-deny miss
    assert "drop_reason_desc" not in audit and audit["is_reply"] is False
    assert "ingress_denied_by" not in audit and "policy_match_type" not in audit
    kinds = [f["flow"]["event_type"]["type"] for f in result.flows]
    assert 1 not in kinds, "an audited packet is not dropped"
    assert [f["flow"].get("trace_observation_point") for f in result.flows if f["flow"]["event_type"]["type"] == 4] \
        == ["TO_ENDPOINT", "TO_ENDPOINT"]


def test_audit_is_per_endpoint_and_per_direction(guarded):
    guarded.set_endpoint_audit("frontend/other", True)  # the client audits its egress, not api's ingress
    assert probe(guarded, "frontend/other", "backend/api", 8080).outcome is Outcome.DROPPED
    guarded.set_endpoint_audit("frontend/other", False)
    guarded.set_endpoint_audit("backend/api", True)
    assert probe(guarded, "frontend/other", "backend/api", 8080).outcome is Outcome.ALLOWED
    guarded.set_endpoint_audit("backend/api", False)
    assert probe(guarded, "frontend/other", "backend/api", 8080).outcome is Outcome.DROPPED


def test_l7_rules_stay_enforced_in_audit_mode(guarded):
    guarded.set_endpoint_audit("backend/api", True)
    denied = probe(guarded, "frontend/web", "backend/api", 8080, http=HttpRequest("POST", "/api/orders"))
    assert denied.outcome is Outcome.L7_DENIED
    allowed = probe(guarded, "frontend/web", "backend/api", 8080, http=HttpRequest("GET", "/api/orders"))
    assert allowed.outcome is Outcome.ALLOWED
    assert [e["verdict"] for e in verdict_events(allowed)] == ["REDIRECTED"]
    # an audited peer is not redirected: no proxy, so no L7 record and no 403 for it
    passed = probe(guarded, "frontend/other", "backend/api", 8080, http=HttpRequest("POST", "/admin"))
    assert passed.outcome is Outcome.ALLOWED
    assert not [f for f in passed.flows if f["flow"]["Type"] == "L7"]


def test_explicit_deny_is_audited_too_and_names_the_policy(sim):
    sim.apply(WEB_EGRESS_DENY)
    assert probe(sim, "frontend/web", "backend/api", 8080).outcome is Outcome.DROPPED
    sim.set_endpoint_audit("frontend/web", True)
    result = probe(sim, "frontend/web", "backend/api", 8080)
    assert result.outcome is Outcome.ALLOWED
    audit = verdict_events(result)[0]
    assert audit["verdict"] == "AUDIT" and audit["traffic_direction"] == "EGRESS"
    assert audit["egress_denied_by"][0]["name"] == "web-lockdown"


def test_the_dns_proxy_keeps_refusing_in_audit_mode(sim):
    sim.apply(WEB_EGRESS_DENY)
    sim.set_endpoint_audit("frontend/web", True)
    assert probe(sim, "frontend/web", dns="api.stripe.com").outcome is Outcome.ALLOWED
    refused = probe(sim, "frontend/web", dns="evil.example.com")
    assert refused.outcome is Outcome.REFUSED
    # a name outside the DNS rules is REFUSED by the proxy; traffic to the world is audited
    world = probe(sim, "frontend/web", "ip:198.51.100.66", 443)
    assert world.outcome is Outcome.ALLOWED
    assert [e["verdict"] for e in verdict_events(world)] == ["AUDIT"]


def test_a_lookup_denied_at_l3_l4_is_audited_and_answered(guarded):
    guarded.apply("""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: other-egress, namespace: frontend}
spec:
  endpointSelector: {matchLabels: {app: other}}
  egress: [{toEndpoints: [{matchLabels: {app: web}}]}]
""")
    assert probe(guarded, "frontend/other", dns="api.stripe.com").outcome is Outcome.DROPPED
    guarded.set_endpoint_audit("frontend/other", True)
    result = probe(guarded, "frontend/other", dns="api.stripe.com")
    assert result.outcome is Outcome.ALLOWED and result.detail["ips"] == ["198.51.100.20"]
    assert not [f for f in result.flows if f["flow"]["Type"] == "L7"], "not proxied: no DNS record"


def test_cluster_wide_audit_mode_and_the_endpoint_option_over_it(guarded):
    guarded.set_policy_audit_mode(True)
    assert probe(guarded, "frontend/other", "backend/api", 8080).outcome is Outcome.ALLOWED
    guarded.set_endpoint_audit("backend/api", False)
    assert probe(guarded, "frontend/other", "backend/api", 8080).outcome is Outcome.DROPPED
    guarded.set_policy_audit_mode(False)
    guarded.set_endpoint_audit("backend/api", True)
    assert guarded.audits("backend/api") and not guarded.audits("frontend/other")


def test_a_deleted_pod_takes_its_endpoint_option_with_it(guarded, workloads_yaml):
    guarded.set_endpoint_audit("backend/api", True)
    guarded.delete_namespaces(["backend"])
    guarded.apply(workloads_yaml)
    guarded.apply(API_INGRESS)
    assert probe(guarded, "frontend/other", "backend/api", 8080).outcome is Outcome.DROPPED


def test_audit_of_a_missing_pod_is_an_error(sim):
    from labs.cluster.base import ClusterError

    with pytest.raises(ClusterError, match="does not exist"):
        sim.set_endpoint_audit("backend/nope", True)


def test_audit_flows_parse_classify_and_aggregate(sim):
    """The course's flow model reads simulated AUDIT flows as hubble's JSON: one AUDIT edge per peer, with the
    denying policy where a deny rule matched, and the attempt counted as passed (labs.flows.classify)."""
    from labs.flows import FlowOutcome, aggregate, classify, parse_flow
    from labs.flows.filters import VerdictFilter

    sim.apply(WEB_EGRESS_DENY)
    sim.set_endpoint_audit("frontend/web", True)
    result = probe(sim, "frontend/web", "backend/api", 8080)
    flows = [parse_flow(f) for f in result.flows]
    audited = [f for f in flows if VerdictFilter(("AUDIT",)).match(f)]
    assert len(audited) == 1 and classify(audited[0]) is FlowOutcome.AUDIT
    assert FlowOutcome.AUDIT.outcome is Outcome.ALLOWED
    edges = [e for e in aggregate(flows) if e.outcome is FlowOutcome.AUDIT]
    assert len(edges) == 1 and edges[0].port == 8080
    assert any("web-lockdown" in p for p in edges[0].policies)
