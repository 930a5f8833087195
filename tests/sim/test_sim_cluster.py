"""Does the simulated cluster behave like a cluster: atomic applies, Services, DNS, flows, identities?"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labs.cluster.base import Cluster, ClusterError
from labs.manifests.errors import ManifestError
from labs.outcomes import Outcome
from labs.probes import HttpRequest, Probe, parse_target

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "hubble-flows"

DNS_VISIBILITY = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: stripe-only, namespace: frontend}
spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]
  - toFQDNs: [{matchPattern: "*.stripe.com"}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
"""


def run(sim, src, dst=None, port=None, protocol="TCP", http=None, dns=None):
    return sim.probe(Probe(src, parse_target(dst) if dst else None, port, protocol, http, dns))


def test_sim_cluster_is_a_cluster(sim):
    assert isinstance(sim, Cluster)
    assert sim.info().backend == "sim"


def test_a_bad_document_applies_nothing(sim):
    before = sim.policies()
    bad = DNS_VISIBILITY + "---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x}\nspec: {}\n"
    with pytest.raises(ManifestError):
        sim.apply(bad)
    assert sim.policies() == before


def test_missing_namespace_applies_nothing_and_says_how_to_fix(sim):
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: nowhere}\n"
            "spec: {containers: [{name: c, image: x}]}")
    with pytest.raises(ClusterError, match="namespace 'nowhere' does not exist.*Nothing was applied"):
        sim.apply(text + "\n---\n" + DNS_VISIBILITY)
    assert sim.policies() == []


def test_service_probe_reaches_a_backend_on_its_target_port(sim):
    res = run(sim, "frontend/web", "svc:backend/api", 80)
    assert res.outcome is Outcome.ALLOWED
    assert res.detail["via"].startswith("Service backend/api 10.96.")
    assert res.detail["via"].endswith(":8080")


@pytest.mark.parametrize(("target", "port", "reason"), [
    ("backend/nope", 80, "destination pod backend/nope does not exist"),
    ("svc:backend/api", 81, "Service backend/api has no port 81/TCP; it offers 80/TCP"),
    ("backend/api", "grpc", "pod backend/api has no TCP port named 'grpc'; its named ports: http (8080/TCP)"),
    ("fqdn:unknown.example.net", 443, "unknown.example.net does not resolve (NXDOMAIN)"),
], ids=["missing-pod", "service-port", "named-port", "nxdomain"])
def test_probes_that_cannot_run_are_errors_with_a_reason(sim, target, port, reason):
    res = run(sim, "frontend/web", target, port)
    assert res.outcome is Outcome.ERROR
    assert res.reason == reason


def test_missing_source_pod_is_an_error(sim):
    res = run(sim, "frontend/ghost", "backend/api", 8080)
    assert (res.outcome, res.reason) == (Outcome.ERROR, "source pod frontend/ghost does not exist")


def test_fqdn_ips_are_allowed_only_after_an_allowed_lookup(sim):
    sim.apply(DNS_VISIBILITY)
    assert run(sim, "frontend/web", "ip:198.51.100.20", 443).outcome is Outcome.DROPPED
    assert run(sim, "frontend/web", "fqdn:api.stripe.com", 443).outcome is Outcome.ALLOWED
    assert run(sim, "frontend/web", "ip:198.51.100.20", 443).outcome is Outcome.ALLOWED
    assert run(sim, "frontend/web", "fqdn:evil.example.com", 443).outcome is Outcome.DROPPED


def test_dns_probe_answers_cluster_names(sim):
    res = run(sim, "frontend/web", dns="api.backend.svc.cluster.local")
    assert res.outcome is Outcome.ALLOWED
    assert res.detail["ips"] and res.detail["ips"][0].startswith("10.96.")


def test_identities_are_shared_by_equal_label_sets_and_stable(sim):
    ident = sim.identity("frontend/web")
    assert ident is not None and ident >= 10000
    assert sim.identity("frontend/web") == ident
    assert sim.identity("frontend/other") != ident


def test_delete_namespace_removes_its_pods_and_policies(sim):
    sim.apply(DNS_VISIBILITY)
    result = sim.delete_namespaces(["frontend"])
    assert result.deleted == ("namespace/frontend",)
    assert sim.pods("frontend") == [] and sim.policies() == []
    with pytest.raises(ClusterError, match="never deleted"):
        sim.delete_namespaces(["kube-system"])


def test_a_pod_reaching_itself_is_never_policed(sim):
    sim.apply("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: d, namespace: backend}\n"
              "spec: {endpointSelector: {}, egress: [{}], ingress: [{}]}\n")
    through_service = run(sim, "backend/api", "svc:backend/api", 80)
    assert through_service.outcome is Outcome.ALLOWED and "hairpin" in through_service.reason
    direct = run(sim, "backend/api", "backend/api", 8080)
    assert direct.outcome is Outcome.ALLOWED and "loopback" in direct.reason
    assert direct.flows == () and direct.verdict is None
    own_ip = direct.detail["destination_ip"]
    assert run(sim, "backend/api", f"ip:{own_ip}", 8080).outcome is Outcome.ALLOWED
    assert run(sim, "frontend/web", f"ip:{own_ip}", 8080).outcome is Outcome.DROPPED


def test_flows_have_the_hubble_shape(sim):
    sim.apply(DNS_VISIBILITY)
    res = run(sim, "frontend/web", "backend/api", 8080, http=HttpRequest("GET", "/"))
    assert res.outcome is Outcome.DROPPED
    drop = [f["flow"] for f in res.flows if f["flow"]["verdict"] == "DROPPED" and f["flow"]["event_type"]["type"] == 1]
    assert drop and drop[0]["drop_reason_desc"] == "POLICY_DENIED"
    verdicts = [f["flow"] for f in res.flows if f["flow"]["event_type"]["type"] == 5]
    assert verdicts[0]["traffic_direction"] == "EGRESS"
    for line in res.flows:
        assert set(line) == {"flow", "node_name", "time"}
        json.dumps(line)
    if REFERENCE.is_dir():
        real = json.loads((REFERENCE / "01-l3l4-tcp-trace-forwarded.json").read_text())
        ours = res.flows[0]["flow"]
        for key in ("time", "verdict", "IP", "l4", "source", "destination", "Type", "node_name", "event_type"):
            assert key in real["flow"] and key in ours, key
        assert set(ours["source"]) >= {"ID", "identity", "namespace", "labels", "pod_name"}


def test_l7_denied_flows_show_dropped_request_and_403_response(sim):
    sim.apply("""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: get-only, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - toPorts: [{ports: [{port: "8080", protocol: TCP}], rules: {http: [{method: GET}]}}]
""")
    res = run(sim, "frontend/web", "backend/api", 8080, http=HttpRequest("POST", "/orders"))
    assert res.outcome is Outcome.L7_DENIED
    l7 = [f["flow"] for f in res.flows if f["flow"]["Type"] == "L7"]
    assert [(f["l7"]["type"], f["verdict"]) for f in l7] == [("REQUEST", "DROPPED"), ("RESPONSE", "FORWARDED")]
    assert l7[1]["l7"]["http"]["code"] == 403
    assert "drop_reason_desc" not in l7[0]
    pv = [f["flow"] for f in res.flows if f["flow"]["event_type"]["type"] == 5][0]
    assert pv["verdict"] == "REDIRECTED"
    assert pv["ingress_allowed_by"][0]["name"] == "get-only"


def test_refused_dns_shows_dropped_request_and_refused_rcode(sim):
    sim.apply(DNS_VISIBILITY.replace('matchPattern: "*"', 'matchPattern: "*.stripe.com"'))
    res = run(sim, "frontend/web", dns="evil.example.com")
    assert res.outcome is Outcome.REFUSED
    l7 = [f["flow"] for f in res.flows if f["flow"]["Type"] == "L7"]
    assert l7[0]["verdict"] == "DROPPED" and l7[1]["l7"]["dns"]["rcode"] == 5


def test_flows_since_filters_by_time(sim):
    from datetime import datetime, timezone

    run(sim, "frontend/web", "backend/api", 8080)
    cut = datetime.now(timezone.utc)
    assert sim.flows(since=cut) == []
    run(sim, "frontend/web", "backend/api", 8080)
    assert len(sim.flows(since=cut)) >= 2
