"""Does the engine decide like Cilium, and does every verdict name what decided it?"""

from __future__ import annotations

import textwrap

import pytest

from labs.outcomes import Outcome
from labs.probes import HttpRequest, Probe, parse_target


def cnp(name, ns, body):
    return textwrap.dedent(f"""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {{name: {name}, namespace: {ns}}}
        spec:
    """) + textwrap.indent(textwrap.dedent(body), "  ")


def probe(sim, src, dst, port=8080, method=None, path="/", protocol="TCP"):
    http = HttpRequest(method, path) if method else None
    return sim.probe(Probe(src, parse_target(dst), port if protocol != "ICMP" else None, protocol, http))


ALLOW_WEB_GET = cnp("allow-web", "backend", """
    endpointSelector: {matchLabels: {app: api}}
    ingress:
    - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend, app: web}}]
      toPorts: [{ports: [{port: "8080", protocol: TCP}], rules: {http: [{method: GET, path: "/api/.*"}]}}]
""")


def test_allow_names_policy_section_rule_and_line(sim):
    sim.apply(ALLOW_WEB_GET)
    res = probe(sim, "frontend/web", "backend/api", method="GET", path="/api/x")
    assert res.outcome is Outcome.ALLOWED
    ing = res.verdict.ingress
    assert (ing.rule.kind, ing.rule.policy, ing.rule.section, ing.rule.index) == \
        ("CiliumNetworkPolicy", "backend/allow-web", "ingress", 0)
    assert ing.rule.line == 9  # the "- fromEndpoints" line of the text above
    assert "HTTP rule 0" in ing.reason


def test_default_deny_drop_says_which_policy_switched_it_on(sim):
    sim.apply(ALLOW_WEB_GET)
    res = probe(sim, "frontend/other", "backend/api")
    assert res.outcome is Outcome.DROPPED
    assert res.verdict.drop_reason == "POLICY_DENIED"
    assert res.verdict.ingress.default_deny_by == ("CiliumNetworkPolicy backend/allow-web",)
    assert res.reason == ("ingress at backend/api: no rule allows it; default deny is on "
                          "(CiliumNetworkPolicy backend/allow-web)")


def test_l7_denial_is_403_not_drop(sim):
    sim.apply(ALLOW_WEB_GET)
    res = probe(sim, "frontend/web", "backend/api", method="POST", path="/api/x")
    assert res.outcome is Outcome.L7_DENIED
    assert res.detail["http_status"] == 403
    assert "matches none of the HTTP rules ({method='GET', path='/api/.*'})" in res.reason


def test_explicit_deny_wins_over_allow_and_reports_policy_deny(sim):
    sim.apply(ALLOW_WEB_GET)
    sim.apply(cnp("deny-web", "backend", """
        endpointSelector: {matchLabels: {app: api}}
        ingressDeny:
        - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend}}]
    """))
    res = probe(sim, "frontend/web", "backend/api", method="GET", path="/api/x")
    assert res.outcome is Outcome.DROPPED
    assert res.verdict.drop_reason == "POLICY_DENY"
    assert res.verdict.ingress.rule.policy == "backend/deny-web"


def test_l4_only_rule_on_same_port_lifts_http_rules(sim):
    sim.apply(ALLOW_WEB_GET)
    sim.apply(cnp("l4-too", "backend", """
        endpointSelector: {matchLabels: {app: api}}
        ingress:
        - toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
    """))
    res = probe(sim, "frontend/web", "backend/api", method="DELETE", path="/anything")
    assert res.outcome is Outcome.ALLOWED
    assert res.verdict.ingress.lifted_by.policy == "backend/l4-too"
    assert "lifts the HTTP rules" in res.reason


def test_l3_only_rule_lifts_http_rules_for_its_peers(sim):
    # Envoy gets the L3-only allow as a port-0 rule and falls through to it (cilium/proxy network_policy.cc)
    sim.apply(ALLOW_WEB_GET)
    sim.apply(cnp("l3", "backend", """
        endpointSelector: {matchLabels: {app: api}}
        ingress:
        - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend, app: web}}]
    """))
    res = probe(sim, "frontend/web", "backend/api", method="DELETE", path="/x")
    assert res.outcome is Outcome.ALLOWED
    assert res.verdict.ingress.lifted_by.policy == "backend/l3"
    assert res.verdict.ingress.l7 == "http"
    assert "allows this peer on every port and so lifts the HTTP rules of CiliumNetworkPolicy backend/allow-web" \
        in res.reason
    assert probe(sim, "frontend/web", "backend/api", port=9090).outcome is Outcome.ALLOWED
    # a peer the L3-only allow does not match stays restricted by the HTTP rules
    sim.apply(cnp("allow-web", "backend", """
        endpointSelector: {matchLabels: {app: api}}
        ingress:
        - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend}}]
          toPorts: [{ports: [{port: "8080", protocol: TCP}], rules: {http: [{method: GET, path: "/api/.*"}]}}]
    """))
    assert probe(sim, "frontend/other", "backend/api", method="DELETE", path="/x").outcome is Outcome.L7_DENIED
    assert probe(sim, "frontend/web", "backend/api", method="DELETE", path="/x").outcome is Outcome.ALLOWED


def test_l3_only_rule_does_not_lift_dns_rules(sim):
    # the DNS proxy gets only the port-53 filter's selectors (pkg/fqdn/dnsproxy/proxy.go CheckAllowed)
    sim.apply(cnp("dns", "frontend", """
        endpointSelector: {matchLabels: {app: web}}
        egress:
        - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
          toPorts: [{ports: [{port: "53", protocol: UDP}], rules: {dns: [{matchName: "api.example.com"}]}}]
        - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
    """))
    res = sim.probe(Probe("frontend/web", None, None, "UDP", dns="evil.example.com"))
    assert res.outcome is Outcome.REFUSED
    assert res.verdict.egress.lifted_by is None


@pytest.mark.parametrize(("ingress", "expected"), [
    ("ingress: []\negress: [{}]", Outcome.ALLOWED),
    ("ingress: [{}]", Outcome.DROPPED),
    ("ingress: [{fromEndpoints: []}]", Outcome.DROPPED),
    ("ingress: [{toPorts: [{ports: [{port: '8080'}]}]}]", Outcome.ALLOWED),
    ("enableDefaultDeny: {ingress: false}\ningress: [{fromEndpoints: [{matchLabels: {app: nobody}}]}]",
     Outcome.ALLOWED),
], ids=["empty-list-denies-nothing", "empty-item-is-default-deny", "explicit-empty-peer-list-allows-nothing",
        "ports-only-allows-any-peer", "enableDefaultDeny-false"])
def test_default_deny_forms(sim, ingress, expected):
    sim.apply(cnp("p", "backend", f"endpointSelector: {{matchLabels: {{app: api}}}}\n{ingress}\n"))
    assert probe(sim, "frontend/web", "backend/api").outcome is expected


def test_non_default_deny_makes_http_rules_visibility_only(sim):
    sim.apply(cnp("vis", "backend", """
        endpointSelector: {matchLabels: {app: api}}
        enableDefaultDeny: {ingress: false}
        ingress:
        - toPorts: [{ports: [{port: "8080", protocol: TCP}], rules: {http: [{method: GET}]}}]
    """))
    res = probe(sim, "frontend/web", "backend/api", method="POST", path="/")
    assert res.outcome is Outcome.ALLOWED
    assert "only add visibility" in res.reason


@pytest.mark.parametrize(("mode", "expected"), [("default", Outcome.ALLOWED), ("always", Outcome.DROPPED),
                                                ("never", Outcome.ALLOWED)])
def test_enforcement_modes_without_policies(sim, mode, expected):
    sim.set_enforcement(mode)
    assert probe(sim, "frontend/web", "backend/api").outcome is expected


def test_never_mode_ignores_policies(sim):
    sim.apply(cnp("deny", "backend", "endpointSelector: {}\ningress: [{}]\n"))
    assert probe(sim, "frontend/web", "backend/api").outcome is Outcome.DROPPED
    sim.set_enforcement("never")
    assert probe(sim, "frontend/web", "backend/api").outcome is Outcome.ALLOWED


def test_ingress_from_local_host_is_always_allowed(sim):
    from labs.policy.endpoints import Traffic, reserved_endpoint

    sim.apply(cnp("deny", "backend", "endpointSelector: {}\ningress: [{}]\n"))
    api = sim._endpoint(sim.store.pods["backend/api"])
    host = reserved_endpoint("host", node=api.node)
    remote = reserved_endpoint("remote-node")
    engine = sim.engine
    assert engine.decide("ingress", api, host, Traffic("TCP", 8080), api).outcome is Outcome.ALLOWED
    assert engine.decide("ingress", api, remote, Traffic("TCP", 8080), api).outcome is Outcome.DROPPED


def test_knp_empty_ingress_with_policy_types_denies_all(sim):
    sim.apply(textwrap.dedent("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all, namespace: backend}
        spec: {podSelector: {}, policyTypes: [Ingress], ingress: []}
    """))
    res = probe(sim, "frontend/web", "backend/api")
    assert res.outcome is Outcome.DROPPED
    assert res.verdict.ingress.default_deny_by == ("NetworkPolicy backend/deny-all",)


def test_knp_namespace_selector_uses_namespace_labels(sim):
    sim.apply(textwrap.dedent("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-web-team, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress: [{from: [{namespaceSelector: {matchLabels: {team: web}}}], ports: [{port: 8080}]}]
    """))
    assert probe(sim, "frontend/web", "backend/api").outcome is Outcome.ALLOWED
    assert probe(sim, "frontend/web", "backend/api", port=9000).outcome is Outcome.DROPPED
    assert probe(sim, "frontend/web", "backend/api", port=8080, protocol="UDP").outcome is Outcome.DROPPED


def test_named_port_in_policy_resolves_on_destination(sim):
    sim.apply(cnp("named", "backend", """
        endpointSelector: {matchLabels: {app: api}}
        ingress:
        - toPorts: [{ports: [{port: http, protocol: TCP}]}]
    """))
    assert probe(sim, "frontend/web", "backend/api", port=8080).outcome is Outcome.ALLOWED
    assert probe(sim, "frontend/web", "backend/api", port=8081).outcome is Outcome.DROPPED


def test_icmp_needs_icmps_when_ports_are_listed(sim):
    sim.apply(cnp("ports", "backend", """
        endpointSelector: {matchLabels: {app: api}}
        ingress:
        - toPorts: [{ports: [{port: "8080"}]}]
        - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend, app: other}}]
          icmps: [{fields: [{type: 8}]}]
    """))
    assert probe(sim, "frontend/web", "backend/api", protocol="ICMP").outcome is Outcome.DROPPED
    assert probe(sim, "frontend/other", "backend/api", protocol="ICMP").outcome is Outcome.ALLOWED


def test_a_node_is_host_only_to_pods_on_it():
    from labs.policy.endpoints import reserved_endpoint
    from labs.policy.engine import as_seen_from

    node_a = reserved_endpoint("host", node="worker", ip="192.168.56.11")
    assert as_seen_from(node_a, "worker").kind == "host"
    assert as_seen_from(node_a, "control-plane").kind == "remote-node"
    assert as_seen_from(as_seen_from(node_a, "control-plane"), "worker").kind == "host"
