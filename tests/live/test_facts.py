"""Cluster facts for notebooks and checks: info(), nodes, identities, `cilium-dbg status`, exec status."""

from __future__ import annotations

import pytest
from live_fakes import ScriptedExec

from labs.cluster.live import LiveCluster
from labs.cluster.live.connect import connect
from labs.cluster.live.execpod import ExecResult, exit_status
from labs.cluster.live.facts import parse_agent_status

AGENT_STATUS = """\
KVStore:                 Disabled
Kubernetes:              Ok   1.35 (v1.35.2) [linux/amd64]
KubeProxyReplacement:    True   [eth1   192.168.56.10 fe80::a00:27ff:fe4e:1 (Direct Routing)]
Host firewall:           Disabled
Cilium:                  Ok   1.19.5 (v1.19.5-3a2b0e1c)
Hubble:                  Ok              Current/Max Flows: 4095/4095 (100.00%), Flows/s: 12.31
"""


def test_agent_status_lines():
    parsed = parse_agent_status(AGENT_STATUS)
    assert parsed["KubeProxyReplacement"].startswith("True")
    assert parsed["Cilium"] == "Ok   1.19.5 (v1.19.5-3a2b0e1c)"
    assert parsed["Hubble"].startswith("Ok")


@pytest.fixture
def live(stub, isolated):
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    stub.put("/api/v1/namespaces/kube-system/pods/cilium-abc", {
        "kind": "Pod", "metadata": {"labels": {"k8s-app": "cilium"}}, "status": {"phase": "Running"}})
    stub.put("/api/v1/nodes/cp", {"kind": "Node", "metadata": {"labels": {
        "node-role.kubernetes.io/control-plane": ""}}, "status": {
        "addresses": [{"type": "Hostname", "address": "cp"}, {"type": "InternalIP", "address": "192.168.56.10"}],
        "conditions": [{"type": "Ready", "status": "True"}]}})
    stub.put("/api/v1/namespaces/kube-system/configmaps/cilium-config", {"kind": "ConfigMap", "data": {
        "enable-policy": "always", "enable-l7-proxy": "false"}})
    stub.put("/apis/apps/v1/namespaces/kube-system/deployments/hubble-relay", {
        "kind": "Deployment", "spec": {"replicas": 1},
        "status": {"readyReplicas": 1, "updatedReplicas": 1}})
    stub.put("/apis/cilium.io/v2/namespaces/frontend/ciliumendpoints/web", {
        "kind": "CiliumEndpoint", "status": {"identity": {"id": 48213, "labels": ["k8s:app=web"]}}})
    execer = ScriptedExec(lambda ns, pod, argv: ExecResult(0, AGENT_STATUS) if argv == ["cilium-dbg", "status"]
                          else ExecResult(1))
    return LiveCluster(connect(), execer=execer, hubble=False, progress=False)


def test_info_combines_config_map_agent_and_nodes(stub, live):
    info = live.info()
    assert (info.backend, info.cilium_version, info.policy_enforcement, info.kube_proxy_replacement,
            info.l7_proxy, info.hubble) == ("live", "1.19.5", "always", "true", False, "relay ready (1/1 ready)")
    assert [(n.name, n.internal_ip, n.ready, n.roles) for n in info.nodes] == [
        ("cp", "192.168.56.10", True, ("control-plane",))]
    assert info.reason == f"live: {stub.url} (.kube/config, context 'ciliumlab'), Cilium 1.19.5"
    assert info.extra["agent_status"]["Cilium"].startswith("Ok")
    assert live.execer.calls[0][:2] == ("kube-system", "cilium-abc")


def test_identity_from_cilium_endpoint(live):
    assert live.identity("frontend/web") == 48213
    assert live.identity("frontend/none") is None
    with pytest.raises(ValueError, match="pod 'web' must be written as namespace/name"):
        live.identity("web")


def test_pods_and_namespaces_as_course_objects(stub, live):
    stub.put("/api/v1/namespaces/frontend", {"kind": "Namespace", "metadata": {"labels": {"team": "web"}}})
    stub.put("/api/v1/namespaces/frontend/pods/web", {"kind": "Pod", "metadata": {
        "labels": {"app": "web"}, "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d9f"}]},
        "spec": {"nodeName": "cp", "serviceAccountName": "web", "containers": [
            {"name": "c", "image": "curlimages/curl:8.10.1", "ports": [{"containerPort": 8080, "name": "http"}]}]}})
    (pod,) = live.pods("frontend")
    assert (pod.key, dict(pod.labels), pod.node, pod.service_account, pod.owner, pod.ports[0].name) == (
        "frontend/web", {"app": "web"}, "cp", "web", "ReplicaSet/web-5d9f", "http")
    assert dict(next(n for n in live.namespaces() if n.name == "frontend").labels) == {"team": "web"}


EXIT = [
    ("success", '{"metadata":{},"status":"Success"}', (0, None)),
    ("exit-code", '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: '
                  'error executing command [sh -c exit 28], exit code 28","reason":"NonZeroExitCode","details":'
                  '{"causes":[{"reason":"ExitCode","message":"28"}]}}', (28, None)),
    ("not-started", '{"metadata":{},"status":"Failure","message":"exec: \\"curl\\": executable file not found in '
                    '$PATH"}', (None, 'exec: "curl": executable file not found in $PATH')),
    ("no-status", "", (None, "the API server closed the exec stream without an exit status")),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in EXIT], ids=[c[0] for c in EXIT])
def test_exec_status_channel(text, expected):
    assert exit_status(text) == expected
