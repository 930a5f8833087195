"""Probes from outside the cluster (`from: world`, `from: host`) on the simulated cluster.

The identities follow Cilium's kube-proxy replacement in its default SNAT mode: a client's address is
kept when the NodePort's backend runs on the node it connected to, and becomes the entry node's
address (remote-node) otherwise (see labs/cluster/sim/outside.py for the source).
"""

from __future__ import annotations

import pytest

from labs.cluster.sim import SimCluster
from labs.outcomes import Outcome
from labs.probes import Probe, parse_target

WORKLOADS = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  nodeName: {node}
  containers: [{name: web, image: nginx, ports: [{containerPort: 80, name: http}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: internal, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
"""

ONLY_WORLD = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEntities: [world]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
"""


def _cluster(node: str) -> SimCluster:
    sim = SimCluster(workers=2)
    sim.apply(WORKLOADS.replace("{node}", node))
    sim.apply(ONLY_WORLD)
    return sim


def _probe(source: str, target: str, port: int = 80) -> Probe:
    return Probe(source, parse_target(target), port)


def test_world_on_the_backends_node_keeps_its_address():
    sim = _cluster("worker-1")  # the entry node is the first worker
    result = sim.probe(_probe("world", "svc:shop/web"))
    assert result.outcome is Outcome.ALLOWED, result.reason
    assert "NodePort 192.168.56.11:30080" in result.detail["via"] and "Cilium sees world" in result.detail["via"]
    assert result.verdict.ingress is not None
    assert any(f["flow"]["source"].get("labels") == ["reserved:world"] for f in result.flows), result.flows


def test_world_through_another_node_is_snatted_to_remote_node():
    sim = _cluster("worker-2")
    result = sim.probe(_probe("world", "svc:shop/web"))
    assert result.outcome is Outcome.DROPPED, result.reason
    assert "(SNAT): Cilium sees remote-node" in result.detail["via"]
    sim.apply(ONLY_WORLD.replace("[world]", "[world, remote-node]"))
    assert sim.probe(_probe("world", "svc:shop/web")).outcome is Outcome.ALLOWED


def test_host_is_the_entry_node_itself():
    local = _cluster("worker-1").probe(_probe("host", "shop/web"))
    assert local.outcome is Outcome.ALLOWED and "Cilium sees host" in local.detail["via"]
    assert "allow-localhost" in local.reason  # the local node always reaches its own pods
    sim = _cluster("worker-2")
    remote = sim.probe(_probe("host", "svc:shop/web"))
    assert remote.outcome is Outcome.DROPPED and "Cilium sees remote-node" in remote.detail["via"]


@pytest.mark.parametrize(("source", "target", "reason"), [
    ("world", "svc:shop/internal", "Service shop/internal is of type ClusterIP: only a NodePort or LoadBalancer"),
    ("world", "fqdn:example.com", "goes to a NodePort Service (svc:ns/name) or a pod (ns/pod), not fqdn:example.com"),
    ("world", "svc:shop/missing", "Service shop/missing does not exist"),
])
def test_outside_probes_that_cannot_run_are_errors(source, target, reason):
    result = _cluster("worker-1").probe(_probe(source, target))
    assert result.outcome is Outcome.ERROR and reason in result.reason


def test_lab_yaml_and_scenarios_accept_world_and_host_and_refuse_the_rest():
    from labs.course.probe_spec import parse_probe

    spec = parse_probe({"from": "world", "to": "svc:shop/web", "port": 80, "expect": "allowed"})
    assert spec.probe.outside and spec.label == "world -> svc:shop/web:80/TCP"
    with pytest.raises(ValueError, match="from: 'internet' is not a probe source; write a pod as namespace/pod"):
        parse_probe({"from": "internet", "to": "svc:shop/web", "port": 80, "expect": "allowed"})
    with pytest.raises(ValueError, match="DNS probes start from a pod"):
        parse_probe({"from": "host", "dns": "example.com", "expect": "allowed"})


LOCAL_SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80, targetPort: 80, nodePort: 30080}]
"""


def _local(sim: SimCluster) -> SimCluster:
    sim.apply(LOCAL_SERVICE)
    return sim


def test_external_traffic_policy_local_keeps_the_client_address():
    """eTP Local, backend on the entry node: no SNAT even without DSR, so `fromEntities: [world]` lets it in."""
    sim = _local(_cluster("worker-1"))
    result = sim.probe(_probe("world", "svc:shop/web"))
    assert result.outcome is Outcome.ALLOWED, result.reason
    assert "Cilium sees world" in result.detail["via"]


def test_external_traffic_policy_local_refuses_on_a_node_without_a_backend():
    """eTP Local, backend elsewhere: the entry node has no backend and answers port unreachable (not SNAT)."""
    sim = _cluster("worker-2")
    assert sim.probe(_probe("world", "svc:shop/web")).outcome is Outcome.DROPPED  # Cluster: SNAT, remote-node
    _local(sim)
    result = sim.probe(_probe("world", "svc:shop/web"))
    assert result.outcome is Outcome.ERROR, result.reason
    assert "connection refused by node worker-1" in result.reason and "externalTrafficPolicy: Local" in result.reason
    # From inside the cluster (the node itself) every backend stays reachable.
    assert "Cilium sees remote-node" in sim.probe(_probe("host", "svc:shop/web")).detail["via"]


def test_external_traffic_policy_local_picks_the_local_backend_among_several():
    sim = _local(_cluster("worker-2"))
    sim.apply("apiVersion: v1\nkind: Pod\nmetadata: {name: web-2, namespace: shop, labels: {app: web}}\n"
              "spec:\n  nodeName: worker-1\n  containers: [{name: web, image: nginx}]\n")
    result = sim.probe(_probe("world", "svc:shop/web"))
    assert result.outcome is Outcome.ALLOWED, result.reason
    assert "shop/web-2" in result.detail["via"] and "Cilium sees world" in result.detail["via"]


@pytest.mark.parametrize(("spec", "message"), [
    ("type: NodePort\n  externalTrafficPolicy: Locale", "Unknown externalTrafficPolicy 'Locale'"),
    ("type: ClusterIP\n  externalTrafficPolicy: Local", "may only be set on a Service reachable from outside"),
])
def test_external_traffic_policy_is_validated_like_the_api_server(spec, message):
    from labs.manifests import ManifestError, load_text

    with pytest.raises(ManifestError, match=message):
        load_text(LOCAL_SERVICE.replace("type: NodePort\n  externalTrafficPolicy: Local", spec).replace(
            ", nodePort: 30080", ""), name="svc.yaml")
