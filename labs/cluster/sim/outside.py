"""Probes that start outside the pod network: `from: world` (a client on the internet) and `from: host`.

Both enter the cluster at one node, the *entry node* (the first worker, as a trainee's browser or
`curl http://<node>:<nodePort>` would), and reach a NodePort/LoadBalancer Service or a pod. The policy
engine then sees the identity Cilium gives the packet where the backend runs:

- `world` to a NodePort whose backend runs on the entry node: `world` (the client's address is kept);
- `world` to a NodePort whose backend runs on another node: `remote-node`. The course's Cilium runs
  the kube-proxy replacement in its default SNAT mode (`loadBalancer.mode=snat`, Services with
  `externalTrafficPolicy: Cluster`): the entry node forwards the request "on its behalf by performing
  SNAT", so "policy can[not] match on [the client's address] at the backend node"; only DSR keeps it
  (cilium/cilium Documentation/network/kubernetes/kubeproxy-free.rst, section "Direct Server Return
  (DSR)", at commit 011b49409877295e4f48ed9438a6a4a6e769d2f3). A node's address is `remote-node`
  in the ipcache of every other node.
- `host` (the entry node itself) to a backend on the same node: `host`; on another node: `remote-node`.
- `world` straight to a pod address (routed pod network): `world`.

- `world` to a NodePort/LoadBalancer Service with `externalTrafficPolicy: Local`: the entry node only
  balances to its own backends, so there is no SNAT and Cilium sees `world`; an entry node with no backend of
  the Service refuses the connection. Cilium v1.19.5 reads the field (`pkg/loadbalancer/reflectors/
  conversions.go:137-139`), gives the external scope of a NodePort/LoadBalancer frontend node-local
  backends only (`pkg/loadbalancer/writer/writer.go:716-749`, `shouldUseLocalBackends`), the datapath finds no
  backend there (`bpf/lib/nodeport.h:2820-2840`, `DROP_NO_SERVICE`) and, with the default
  `service-no-backend-response: reject` (`pkg/defaults/defaults.go:455`), answers ICMP port unreachable
  (`bpf/lib/lb.h:2208`), which a client reports as "connection refused" (an `error`, not a policy drop).
  Documentation/network/kubernetes/kubeproxy-free.rst:324-328 says the same and that traffic from inside
  the cluster (here `from: host`) still reaches every backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labs.cluster.sim.network import WORLD_DEFAULT_IP, SimNode
from labs.cluster.sim.resolve import Resolved, ResolveError, backends, pod_port, service_port
from labs.policy.endpoints import Endpoint, reserved_endpoint
from labs.probes import Probe, outside_problem

if TYPE_CHECKING:
    from labs.cluster.sim.state import ObjectStore
    from labs.manifests.objects import Pod, Service

__all__ = ["EXTERNAL_SERVICE_TYPES", "entry_node", "outside_source"]

EXTERNAL_SERVICE_TYPES = ("NodePort", "LoadBalancer")
"""Service types a client outside the cluster can reach (a ClusterIP is only routed inside)."""


def entry_node(nodes: tuple[SimNode, ...] | list[SimNode]) -> SimNode:
    """The node an outside client connects to: the first worker (the control plane when alone)."""
    workers = [n for n in nodes if not n.control_plane]
    return (workers or list(nodes))[0]


def _backend_for(svc: Service, pods: list[Pod], entry: SimNode, source: str) -> Pod:
    """The backend the entry node picks: any with `Cluster`, one on the entry node for `world` with `Local`."""
    if source != "world" or svc.external_traffic_policy != "Local":
        return pods[0]
    local = [p for p in pods if p.node == entry.name]
    if not local:
        where = ", ".join(sorted({str(p.node) for p in pods}))
        raise ResolveError(
            f"connection refused by node {entry.name}: Service {svc.key} has externalTrafficPolicy: Local and none of "
            f"its backends runs on {entry.name} (they run on {where}), so the node has no backend for outside "
            "clients and answers ICMP port unreachable")
    return local[0]


def outside_source(store: ObjectStore, nodes: tuple[SimNode, ...] | list[SimNode], pod_ips: dict[str, str],
                   probe: Probe) -> tuple[Endpoint, Resolved]:
    """The source endpoint Cilium sees at the backend, and the backend reached; ResolveError otherwise."""
    problem = outside_problem(probe.source, probe.target, probe.protocol)
    if problem:
        raise ResolveError(problem)
    target = probe.target
    assert target is not None
    entry = entry_node(nodes)
    if target.kind == "svc":
        svc = store.services.get(target.value)
        if svc is None:
            raise ResolveError(f"Service {target.value} does not exist")
        if probe.source == "world" and svc.type not in EXTERNAL_SERVICE_TYPES:
            raise ResolveError(f"Service {svc.key} is of type {svc.type}: only a NodePort or LoadBalancer Service "
                               "is reachable from outside the cluster")
        target_port, svc_port = service_port(svc, probe.port, probe.protocol)
        pods = backends(svc, list(store.pods.values()))
        if not pods:
            raise ResolveError(f"Service {svc.key} has no ready backend pods (its selector matches no pod)")
        pod = _backend_for(svc, pods, entry, probe.source)
        port = pod_port(pod, target_port, probe.protocol)
        node_port = next((p.node_port for p in svc.ports if p.port == svc_port and p.node_port), None)
        front = (f"NodePort {entry.internal_ip}:{node_port}" if node_port and probe.source == "world"
                 else f"Service {svc.key} port {svc_port}")
    else:
        if target.value not in store.pods:
            raise ResolveError(f"destination pod {target.value} does not exist")
        pod = store.pods[target.value]
        port = pod_port(pod, probe.port, probe.protocol)
        front = "the pod's address"
    same_node = pod.node == entry.name
    if probe.source == "world" and (same_node or target.kind == "pod"):
        source = reserved_endpoint("world", ip=WORLD_DEFAULT_IP)
        seen = "the client's address is kept: Cilium sees world"
    elif same_node:
        source = reserved_endpoint("host", ip=entry.internal_ip, node=entry.name, name=f"host {entry.name}",
                                   apiserver=entry.control_plane)
        seen = f"from node {entry.name} itself: Cilium sees host"
    else:
        source = reserved_endpoint("remote-node", ip=entry.internal_ip, node=entry.name,
                                   name=f"remote-node {entry.name}", apiserver=entry.control_plane)
        seen = (f"node {entry.name} forwards to {pod.node} with its own address (SNAT): Cilium sees remote-node"
                if probe.source == "world" else f"from node {entry.name} to {pod.node}: Cilium sees remote-node")
    via = f"{probe.source} -> {front} -> {pod.key} {pod_ips[pod.key]}:{port} ({seen})"
    return source, Resolved("pod", pod_ips[pod.key], port, pod, via)
