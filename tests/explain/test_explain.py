"""Does `explain` tell the whole story of a verdict, and is its suggested fix a policy that works?"""

from __future__ import annotations

import textwrap

import pytest

from labs.__main__ import main
from labs.explain import explain
from labs.manifests import load_text
from labs.outcomes import Outcome
from labs.probes import HttpRequest, Probe, parse_target

GET_ONLY = textwrap.dedent("""
    apiVersion: cilium.io/v2
    kind: CiliumNetworkPolicy
    metadata: {name: get-only, namespace: backend}
    spec:
      endpointSelector: {matchLabels: {app: api}}
      ingress:
      - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend, app: web}}]
        toPorts: [{ports: [{port: "8080", protocol: TCP}], rules: {http: [{method: GET, path: "/api/.*"}]}}]
""")


def probe(src, dst, port=8080, http=None, protocol="TCP"):
    return Probe(src, parse_target(dst), port, protocol, http)


def test_default_deny_trace_names_identities_policies_and_fix(sim):
    sim.apply(GET_ONLY)
    exp = explain(sim, probe("frontend/other", "backend/api"))
    text = str(exp)
    assert exp.outcome is Outcome.DROPPED
    assert "source       frontend/other" in text and "k8s:app=other" in text
    assert "egress at frontend/other: not enforced: no policy selects frontend/other for egress" in text
    assert "default deny switched on by: CiliumNetworkPolicy backend/get-only" in text
    assert "verdict: dropped (POLICY_DENIED)" in text
    assert "fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend, app: other}}]" in exp.suggestion


def test_suggested_policy_is_valid_and_makes_the_probe_pass(sim):
    sim.apply(GET_ONLY)
    p = probe("frontend/other", "backend/api")
    fix = explain(sim, p).suggestion
    body = "\n".join(line for line in fix.splitlines() if not line.startswith("#"))
    load_text(body)
    sim.apply(body)
    assert sim.probe(p).outcome is Outcome.ALLOWED


def test_egress_suggestion_for_world_uses_cidr(sim):
    sim.apply("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: lock, namespace: frontend}\n"
              "spec: {endpointSelector: {}, egress: [{}]}\n")
    p = probe("frontend/web", "ip:198.51.100.7", 443)
    fix = explain(sim, p).suggestion
    assert "toCIDR: [198.51.100.7/32]" in fix
    sim.apply("\n".join(line for line in fix.splitlines() if not line.startswith("#")))
    assert sim.probe(p).outcome is Outcome.ALLOWED


def test_l7_denial_suggests_the_http_rule_to_add(sim):
    sim.apply(GET_ONLY)
    exp = explain(sim, probe("frontend/web", "backend/api", http=HttpRequest("POST", "/api/orders")))
    assert exp.outcome is Outcome.L7_DENIED
    assert "HTTP rules in force: {method='GET', path='/api/.*'}" in str(exp)
    assert exp.suggestion.splitlines()[-1] == "- {method: POST, path: '/api/orders'}"


def test_explicit_deny_suggests_narrowing_not_adding(sim):
    sim.apply(GET_ONLY.replace("ingress:", "ingressDeny:").replace(
        ', rules: {http: [{method: GET, path: "/api/.*"}]}', ""))
    exp = explain(sim, probe("frontend/web", "backend/api"))
    assert exp.verdict.drop_reason == "POLICY_DENY"
    assert "a deny always wins" in exp.suggestion


def test_l3_only_allow_that_lifts_http_rules_is_named(sim):
    sim.apply(GET_ONLY)
    sim.apply(textwrap.dedent("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: web-all-ports, namespace: backend}
        spec:
          endpointSelector: {matchLabels: {app: api}}
          ingress:
          - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend, app: web}}]
    """))
    exp = explain(sim, probe("frontend/web", "backend/api", http=HttpRequest("DELETE", "/admin")))
    text = str(exp)
    assert exp.outcome is Outcome.ALLOWED
    assert "L7 restriction lifted by: CiliumNetworkPolicy backend/web-all-ports, ingress rule 0" in text
    assert ("allows this peer on every port and so lifts the HTTP rules of CiliumNetworkPolicy backend/get-only"
            in text)


def test_cidr_rule_holding_a_pod_is_named_as_the_reason_for_the_drop(sim):
    sim.apply(textwrap.dedent("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: web-to-pod-range, namespace: frontend}
        spec:
          endpointSelector: {matchLabels: {app: web}}
          egress:
          - toCIDR: [10.244.0.0/16]
    """))
    exp = explain(sim, probe("frontend/web", "backend/api"))
    text = str(exp)
    assert exp.outcome is Outcome.DROPPED and exp.verdict.drop_reason == "POLICY_DENIED"
    api_ip = exp.destination.ip
    assert (f"note: CiliumNetworkPolicy frontend/web-to-pod-range, egress rule 0 (<input>:8) lists toCIDR "
            f"10.244.0.0/16, which contains backend/api's address {api_ip}, but Cilium never matches CIDR rules "
            "to pods: a pod is selected by its labels, so use toEndpoints") in text
    # an outside address in the range of a rule that does not hold a pod gets no note
    assert explain(sim, probe("frontend/web", "ip:198.51.100.7", 443)).verdict.notes == ()


def test_ipblock_holding_a_pod_is_named_for_networkpolicy(sim):
    sim.apply(textwrap.dedent("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: api-from-pods-range, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          policyTypes: [Ingress]
          ingress:
          - from: [{ipBlock: {cidr: 10.244.0.0/16}}]
    """))
    exp = explain(sim, probe("frontend/web", "backend/api"))
    assert exp.outcome is Outcome.DROPPED
    (note,) = exp.verdict.notes
    assert "NetworkPolicy backend/api-from-pods-range" in note and "use a podSelector / namespaceSelector peer" in note


def test_allowed_traffic_has_no_suggestion(sim):
    exp = explain(sim, probe("frontend/web", "backend/api"))
    assert exp.outcome is Outcome.ALLOWED and exp.suggestion is None
    assert "<pre" in exp._repr_html_()


def test_cli_on_files_exit_codes(tmp_path, capsys, workloads_yaml):
    files = tmp_path / "all.yaml"
    files.write_text(workloads_yaml + "---\n" + GET_ONLY)
    args = ["explain", "--from", "frontend/web", "--to", "backend/api", "--port", "8080", str(files)]
    assert main([*args, "--http", "GET", "/api/x"]) == 0
    assert main([*args, "--http", "DELETE", "/api/x"]) == 1
    out = capsys.readouterr().out
    assert "verdict: l7-denied" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--from", "frontend/web", "--port", "80"], "give either --to TARGET or --dns NAME"),
    (["--from", "web", "--to", "backend/api", "--port", "80"], "is not a pod"),
    (["--from", "frontend/web", "--to", "backend/api"], "--port is needed"),
    (["--from", "frontend/web", "--to", "backend/api", "--port", "0"], "--port 0 is outside 1-65535"),
    (["--from", "frontend/web", "--to", "backend/api", "--port", "65536"], "--port 65536 is outside 1-65535"),
    (["--from", "frontend/web", "--to", "backend/api", "--port", "-1"], "is neither a number"),
    (["--from", "frontend/web", "--to", "backend/api", "--port", "h t t p"], "is neither a number"),
], ids=["no-target", "bad-source", "no-port", "port-0", "port-65536", "port-negative", "port-name"])
def test_cli_invalid_input_exits_2(tmp_path, capsys, argv, message, workloads_yaml):
    files = tmp_path / "w.yaml"
    files.write_text(workloads_yaml)
    assert main(["explain", *argv, str(files)]) == 2
    assert message in capsys.readouterr().err


def test_hubble_evidence_keeps_the_pair_and_says_verdict_and_policy(sim):
    from labs.explain import hubble_evidence

    sim.apply(GET_ONLY)
    denied = sim.probe(probe("frontend/web", "backend/api", http=HttpRequest("POST", "/api/x")))
    dropped = sim.probe(probe("frontend/other", "backend/api"))
    flows = [*denied.flows, *dropped.flows, {"flow": {"source": "not an object"}}, {"lost_events": {}}]
    lines = hubble_evidence(flows, probe("frontend/web", "backend/api"))
    assert lines and all("frontend/web" in line and "backend/api" in line for line in lines)
    assert any("http-request POST" in line and "DROPPED [l7-denied]" in line for line in lines)
    assert any("REDIRECTED by CiliumNetworkPolicy backend/get-only" in line for line in lines)
    other = hubble_evidence(flows, probe("frontend/other", "backend/api"))
    assert other and all("frontend/other" in line for line in other)
    assert any("DROPPED" in line and "POLICY_DENIED" in line for line in other)
    assert hubble_evidence(flows, probe("frontend/web", "backend/api"), limit=1) == lines[-1:]


def _lock_egress_to_api_only(sim) -> None:
    sim.apply("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: lock, namespace: frontend}\n"
              "spec: {endpointSelector: {matchLabels: {app: web}},\n"
              "       egress: [{toEndpoints: [{matchLabels: {app: api}}]}]}\n")


def test_dropped_dns_lookup_suggests_udp_and_tcp_53_with_a_dns_rule(sim):
    """A lookup dropped by egress default deny: does the fix open port 53 over UDP and TCP (answers too large
    for UDP come over TCP) to kube-dns, with a DNS rule for the name so the agent's DNS proxy sees it?"""
    _lock_egress_to_api_only(sim)
    lookup = Probe("frontend/web", None, dns="api.backend.svc.cluster.local")
    fix = explain(sim, lookup).suggestion
    assert '{port: "53", protocol: UDP}, {port: "53", protocol: TCP}' in fix, fix
    assert "rules: {dns: [{matchName: api.backend.svc.cluster.local}]}" in fix, fix
    assert "k8s-app: kube-dns" in fix and "name: allow-web-dns" in fix, fix
    body = "\n".join(line for line in fix.splitlines() if not line.startswith("#"))
    load_text(body)
    sim.apply(body)
    assert sim.probe(lookup).outcome is Outcome.ALLOWED
    assert sim.probe(probe("frontend/web", "svc:kube-system/kube-dns", 53, protocol="TCP")).outcome is Outcome.ALLOWED


def test_dropped_tcp_53_gets_the_same_udp_and_tcp_ports(sim):
    """The TCP fallback dropped on its own: is the suggestion still both protocols, without a DNS rule (no name)?"""
    _lock_egress_to_api_only(sim)
    fix = explain(sim, probe("frontend/web", "svc:kube-system/kube-dns", 53, protocol="TCP")).suggestion
    assert 'toPorts: [{ports: [{port: "53", protocol: UDP}, {port: "53", protocol: TCP}]}]' in fix, fix
