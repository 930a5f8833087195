"""`cilium-dbg endpoint get ID` on the simulated agent: the endpoint model as the debug CLI prints it.

Sources (cilium/cilium): `cilium-dbg/cmd/endpoint_get.go` prints `[]*models.Endpoint` through
`pkg/command/output.go` `dumpJSON` (`json.MarshalIndent(data, "", "  ")` + newline); field names and their
order from `api/v1/models/endpoint.go`, `endpoint_status.go` (alphabetical, go-swagger) and friends; values
from `pkg/endpoint/api.go` `GetModelRLocked` and `policyStatus` (`audit-ingress` while PolicyAuditMode is on);
errors through `Fatalf` ("Cannot get endpoint %s: %s").
"""

from __future__ import annotations

import hashlib
import json

import pytest

from labs.commands import cilium

LABELS = ["k8s:app=api", "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=backend",
          "k8s:io.cilium.k8s.policy.cluster=default", "k8s:io.cilium.k8s.policy.serviceaccount=default",
          "k8s:io.kubernetes.pod.namespace=backend"]


def expected(cluster, audit: bool) -> list[dict]:
    options = {"ConntrackAccounting": "Disabled", "Debug": "Disabled", "DebugLB": "Disabled",
               "DebugPolicy": "Disabled", "DropNotification": "Enabled",
               "PolicyAuditMode": "Enabled" if audit else "Disabled", "PolicyVerdictNotification": "Enabled",
               "SourceIPVerification": "Enabled", "TraceNotification": "Enabled"}
    spec = {"label-configuration": {}, "options": options}
    identity = cluster.identity("backend/api")
    policy = {"id": identity, "policy-enabled": "audit-ingress" if audit else "ingress"}
    return [{"id": cluster.endpoint_id("backend/api"), "spec": spec, "status": {
        "external-identifiers": {"k8s-namespace": "backend", "k8s-pod-name": "api", "pod-name": "backend/api"},
        "health": {"bpf": "OK", "connected": True, "overallHealth": "OK", "policy": "OK"},
        "identity": {"id": identity, "labels": LABELS,
                     "labelsSHA256": hashlib.sha256("".join(f"{lb};" for lb in LABELS).encode()).hexdigest()},
        "labels": {"realized": {}, "security-relevant": LABELS},
        "namedPorts": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "networking": {"addressing": [{"ipv4": cluster.pod_ip("backend/api")}]},
        "policy": {"realized": policy, "spec": policy},
        "realized": spec,
        "state": "ready"}}]


@pytest.mark.parametrize("audit", [False, True])
def test_endpoint_get_prints_the_model(cluster, audit):
    api = cluster.endpoint_id("backend/api")
    if audit:
        cilium.run_dbg(["endpoint", "config", str(api), "PolicyAuditMode=Enabled"], cluster)
    result = cilium.run_dbg(["endpoint", "get", str(api)], cluster)
    assert result.exit_code == 0
    # json.MarshalIndent(..., "", "  ") then Println: two-space indent, keys in model order, a final newline
    assert result.stdout == json.dumps(expected(cluster, audit), indent=2) + "\n"
    assert "not modelled" in result.stderr


def test_endpoint_get_through_the_agent_and_its_aliases(cluster):
    from labs.commands.kubectl import run as kubectl

    api = str(cluster.endpoint_id("backend/api"))
    via_agent = kubectl(["exec", "-n", "kube-system", "ds/cilium", "--", "cilium-dbg", "endpoint", "get", api],
                        cluster)
    assert json.loads(via_agent.stdout)[0]["id"] == int(api)
    assert cilium.run_dbg(["endpoint", "get", api, "-o", "json"], cluster).stdout == via_agent.stdout


@pytest.mark.parametrize(("argv", "stderr"), [
    (["endpoint", "get", "9999"],
     "Error: Cannot get endpoint 9999: [GET /endpoint/{id}][404] getEndpointIdNotFound \n"),
    (["endpoint", "get"], "Error: Missing endpoint id argument\n"),
])
def test_endpoint_get_errors(cluster, argv, stderr):
    result = cilium.run_dbg(argv, cluster)
    assert (result.stdout, result.stderr, result.exit_code) == ("", stderr, 1)


def test_endpoint_get_by_labels_is_a_note(cluster):
    result = cilium.run_dbg(["endpoint", "get", "-l", "k8s:app=api"], cluster)
    assert result.exit_code == 1 and "does not model" in result.stderr
