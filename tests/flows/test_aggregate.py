from __future__ import annotations

import pytest

from labs.flows import FlowOutcome, aggregate, classify, parse_flow, parse_lines
from labs.flows.model import workload_from_pod_name
from labs.outcomes import Outcome


def test_sample_aggregates_into_one_edge_per_connection_and_outcome(sample_lines):
    edges = aggregate(parse_lines(sample_lines).flows)
    assert [e.describe() for e in edges] == [
        "backend/api -> backend/db 5432/TCP: dropped: deny rule x1 (by CiliumNetworkPolicy backend/db-deny-api)",
        "backend/api -> fqdn:example.com 80/TCP: audit x1 (by CiliumClusterwideNetworkPolicy audit-egress)",
        "frontend/client -> backend/api 8080/TCP: forwarded x2 (by CiliumNetworkPolicy backend/api-allow-client)",
        "frontend/client -> backend/api 8080/TCP DELETE /api/v1/products/7: l7-denied x1",
        "frontend/client -> backend/api 8080/TCP GET /api/v1/products: forwarded x1",
        "frontend/client -> backend/db 5432/TCP: dropped: default deny x2 (POLICY_DENIED)",
        "frontend/client -> fqdn:api.github.com 443/TCP: forwarded x1 (by CiliumNetworkPolicy frontend/client-egress)",
        "frontend/client -> host ICMPv4: forwarded x1",
        "frontend/client -> kube-system/coredns 53/UDP DNS api.github.com: forwarded x1",
        "frontend/client -> kube-system/coredns 53/UDP DNS evil.example.com: refused x1",
        "frontend/client -> world:1.1.1.1 443/TCP: dropped: default deny x1 (POLICY_DENIED)",
    ]
    kinds = {e.destination.id: e.destination.kind for e in edges}
    assert kinds["kube-system/coredns"] == "kube-dns"
    assert kinds["fqdn:api.github.com"] == "fqdn"
    assert kinds["world:1.1.1.1"] == "world"
    assert kinds["host"] == "host"


def test_replies_are_counted_only_when_asked(sample_lines):
    flows = parse_lines(sample_lines).flows
    with_replies = aggregate(flows, include_replies=True)
    reply_edges = [e for e in with_replies if e.source.id == "backend/api" and e.destination.id == "frontend/client"]
    assert [(e.port, e.count) for e in reply_edges] == [(41000, 1)]
    assert sum(e.count for e in with_replies) == 14
    assert sum(e.count for e in aggregate(flows)) == 13


def test_edges_keep_the_time_range(sample_lines):
    edges = aggregate(parse_lines(sample_lines).flows)
    db = next(e for e in edges if e.destination.id == "backend/db" and e.source.id == "frontend/client")
    assert (db.first_seen.second, db.last_seen.second) == (5, 6)


def _flow(**flow):
    return parse_flow({"flow": {"Type": "L3_L4", **flow}})


@pytest.mark.parametrize(
    ("flow", "expected", "word"),
    [
        (_flow(verdict="FORWARDED"), FlowOutcome.FORWARDED, Outcome.ALLOWED),
        (_flow(verdict="REDIRECTED"), FlowOutcome.FORWARDED, Outcome.ALLOWED),
        (_flow(verdict="DROPPED", drop_reason_desc="POLICY_DENIED"), FlowOutcome.DEFAULT_DENY, Outcome.DROPPED),
        (_flow(verdict="DROPPED", event_type={"type": 1, "sub_type": 133}), FlowOutcome.DEFAULT_DENY,
         Outcome.DROPPED),
        (_flow(verdict="DROPPED", drop_reason=181), FlowOutcome.EXPLICIT_DENY, Outcome.DROPPED),
        (_flow(verdict="DROPPED", drop_reason_desc="POLICY_DENY"), FlowOutcome.EXPLICIT_DENY, Outcome.DROPPED),
        (_flow(verdict="DROPPED", drop_reason_desc="STALE_OR_UNROUTABLE_IP"), FlowOutcome.DROPPED_OTHER,
         Outcome.ERROR),
        (_flow(verdict="DROPPED", Type="L7", l7={"http": {"method": "GET"}}), FlowOutcome.L7_DENIED,
         Outcome.L7_DENIED),
        (_flow(verdict="FORWARDED", Type="L7", l7={"dns": {"query": "x.", "rcode": 5}}), FlowOutcome.REFUSED,
         Outcome.REFUSED),
        (_flow(verdict="AUDIT"), FlowOutcome.AUDIT, Outcome.ALLOWED),
        (_flow(verdict="ERROR"), FlowOutcome.ERROR, Outcome.ERROR),
    ],
    ids=["forwarded", "redirected", "default-deny", "drop-event-133", "legacy-181", "deny-rule", "not-policy",
         "l7-denied", "dns-refused", "audit", "error"],
)
def test_classify(flow, expected, word):
    assert classify(flow) is expected
    assert expected.outcome is word


@pytest.mark.parametrize(
    ("pod", "workload"),
    [("reviews-v1-545db77b95-s6jb8", "reviews-v1"), ("node-local-dns-88zrp", "node-local-dns"),
     ("api-cache", "api-cache"), ("db-0", "db-0"), ("client", "client")],
    ids=["deployment", "daemonset", "word-suffix", "statefulset", "bare"],
)
def test_workload_from_pod_name(pod, workload):
    assert workload_from_pod_name(pod) == workload
