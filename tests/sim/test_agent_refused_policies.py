"""A policy the API server stores and Cilium refuses: `kubectl apply` creates it, `kubectl get cnp` lists it with
VALID False (Cilium's error as the message), and nothing of it is enforced.

Found walking lab 09: after the seed's deny-all (`ingress: []` alone) was applied and checked, `kubectl get cnp`
listed nothing, and the check said the policy was "refused before it is applied". The real API server stores
it (its CRD schema allows an empty list); the operator's `Rule.Sanitize()` marks it VALID False. Every entry of
tests/realcluster/disagreements.yaml with class `agent-refuses` (server: accept, checked against a real API
server) is applied here the same way.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from labs.cluster.sim import SimCluster
from labs.commands.kubectl import run as kubectl

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "realcluster"))
from realcluster_corpus import corpus  # noqa: E402

ENTRIES = [e for e in yaml.safe_load((REPO / "tests/realcluster/disagreements.yaml").read_text())["disagreements"]
           if e["class"] == "agent-refuses"]
DOCS = {d.key: d for d in corpus()}
PARSE_ONLY = {  # refused by the agent's parsing, which the v1.19.5 operator does not run: Valid stays True
    "tests/manifests/invalid/cnp-no-spec.yaml#1", "tests/manifests/invalid/cnp-node-selector.yaml#1"}
CILIUM_ERRORS = {  # Cilium v1.19.5's own text (pkg/policy/api/rule_validation.go, cilium/proxy kafka.go)
    "cnp-dns-port-range": "DNS rules do not support port ranges",
    "cnp-dns-rule-on-ingress": "DNS rules are not allowed on ingress",
    "cnp-dns-rule-without-ports": "port 53 must be specified for DNS rules",
    "cnp-empty-ingress-only": "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny",
    "cnp-except-outside-cidr": "does not contain exclude CIDR prefix",
    "cnp-http-method-lookahead": "error parsing regexp:",
    "cnp-http-on-port-zero": "L7 rules can not be used when a port is 0",
    "cnp-http-on-udp": "L7 rules can only apply to TCP (not UDP) except for DNS rules",
    "cnp-http-path-regex": "error parsing regexp:",
    "cnp-http-protocol-omitted": "L7 rules can only apply to TCP (not ANY) except for DNS rules",
    "cnp-icmps-with-toports": "the ICMPs block may only be present without ToPorts",
    "cnp-kafka-bad-topic": "invalid Kafka Topic name",
    "cnp-kafka-on-udp": "L7 rules can only apply to TCP (not UDP) except for DNS rules",
    "cnp-kafka-role-and-api-key": "cannot set both Role",
    "cnp-kafka-unknown-api-key": "invalid Kafka APIKey",
    "cnp-port-out-of-range": 'unable to parse port: strconv.ParseUint: parsing "70000": value out of range',
    "cnp-toservices-with-toports": "combining ToServices and ToPorts is not supported yet",
    "cnp-two-peer-kinds": "is not supported yet",
    "blog-deny-all": "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny",
}


def _short(key: str) -> str:
    return Path(key.split("#")[0]).stem


def _applied(key: str) -> tuple[SimCluster, str, str, str]:
    text = DOCS[key].text
    cluster = SimCluster()
    namespace = re.search(r"^\s+namespace: (\S+)", text, re.M)
    if namespace:
        kubectl(["create", "namespace", namespace.group(1)], cluster, None)
    applied = kubectl(["apply", "-f", "-"], cluster, text)
    name = re.search(r"^\s+name: (\S+)", text, re.M).group(1)
    return cluster, applied.stdout + applied.stderr, name, namespace.group(1) if namespace else "default"


@pytest.mark.parametrize("entry", ENTRIES, ids=[_short(e["key"]) for e in ENTRIES])
def test_the_api_server_stores_it_and_get_cnp_says_whether_cilium_finds_it_valid(entry):
    assert entry["key"] in PARSE_ONLY or _short(entry["key"]) in CILIUM_ERRORS, "Cilium's error for each entry"
    cluster, applied, name, namespace = _applied(entry["key"])
    assert applied == f"ciliumnetworkpolicy.cilium.io/{name} created\n"
    listed = kubectl(["get", "cnp", "-n", namespace], cluster, None).stdout.splitlines()
    assert listed[0].split() == ["NAME", "AGE", "VALID"] and listed[1].split()[0] == name
    valid = listed[1].split()[-1]
    described = kubectl(["describe", "cnp", name, "-n", namespace], cluster, None).stdout
    if entry["key"] in PARSE_ONLY:
        assert valid == "True"
    else:
        assert valid == "False"
        assert CILIUM_ERRORS[_short(entry["key"])] in described
    # stored, not enforced: the engine has no policy, and the agent's repository shows none
    assert cluster.enforced_policies() == [] and len(cluster.policies()) == 1
    dump = kubectl(["exec", "-n", "kube-system", "ds/cilium", "--", "cilium-dbg", "policy", "get"], cluster, None)
    assert dump.stdout.startswith("null"), dump.stdout[:200]


def test_labs_validate_still_refuses_each_with_the_courses_words():
    from labs.manifests import ManifestError, load_text

    for entry in ENTRIES:
        with pytest.raises(ManifestError):
            load_text(DOCS[entry["key"]].text, name=entry["key"])


def test_a_refused_policy_enforces_nothing_while_a_valid_one_beside_it_does(sim):
    from labs.probes import Probe, parse_target

    refused = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: http-on-udp, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts: [{ports: [{port: "8080", protocol: UDP}], rules: {http: [{method: GET}]}}]
"""
    assert kubectl(["apply", "-f", "-"], sim, refused).exit_code == 0
    assert sim.probe(Probe("frontend/other", parse_target("backend/api"), 8080)).outcome.value == "allowed"

