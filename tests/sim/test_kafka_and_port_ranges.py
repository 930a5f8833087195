"""Policies Cilium 1.19 accepts that look odd: endPort below port, and Kafka rules, on the simulated cluster."""

from __future__ import annotations

from labs.outcomes import Outcome
from labs.probes import HttpRequest, Probe, parse_target

KAFKA = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: orders-topic, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules: {kafka: [{role: produce, topic: orders}]}
"""


def _probe(sim, port, http=None):
    return sim.probe(Probe("frontend/web", parse_target("backend/api"), port, "TCP", http, None))


def test_a_kafka_port_lets_no_http_through_and_reports_no_drop(sim):
    sim.apply(KAFKA)
    res = _probe(sim, 8080, HttpRequest("GET", "/"))
    assert res.outcome is Outcome.DROPPED
    assert "Kafka parser" in res.reason
    flows = [f["flow"] for f in res.flows]
    verdicts = [f for f in flows if f["event_type"]["type"] == 5]
    assert verdicts[-1]["verdict"] == "REDIRECTED"
    assert verdicts[-1]["ingress_allowed_by"][0]["name"] == "orders-topic"
    assert not [f for f in flows if f["event_type"]["type"] == 1], "the agent drops nothing: the proxy holds it"
    assert flows[-1].get("trace_observation_point") == "TO_PROXY"


def test_an_l4_rule_on_the_same_port_does_not_free_it_from_the_kafka_parser(sim):
    sim.apply(KAFKA)
    sim.apply(KAFKA.replace("orders-topic", "l4-too").replace(
        "      rules: {kafka: [{role: produce, topic: orders}]}\n", ""))
    assert _probe(sim, 8080).outcome is Outcome.DROPPED


def test_end_port_below_port_opens_the_single_port(sim):
    sim.apply("""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: backwards-range, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - toPorts: [{ports: [{port: "8080", endPort: 80, protocol: TCP}]}]
""")
    assert _probe(sim, 8080).outcome is Outcome.ALLOWED
    assert _probe(sim, 80).outcome is Outcome.DROPPED
    assert _probe(sim, 443).outcome is Outcome.DROPPED
