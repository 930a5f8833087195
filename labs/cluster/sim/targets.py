"""Probe targets of the simulated cluster: pods, Services (to one backend), addresses and entities.

A mixin of SimCluster, kept apart because it is one job: from what a probe names to the endpoint
the policy engine decides about, failing as a real client would (see `labs.cluster.sim.resolve`).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Callable

from labs.cluster.sim.network import APISERVER_PORT, WORLD_DEFAULT_IP, Addressing, SimNode
from labs.cluster.sim.resolve import Resolved, ResolveError, backends, pod_port, service_port
from labs.manifests.objects import Service
from labs.policy.endpoints import Endpoint, reserved_endpoint
from labs.probes import Probe

if TYPE_CHECKING:
    from labs.cluster.sim.state import ObjectStore

__all__ = ["TargetsMixin"]


class TargetsMixin:
    """Resolves probe targets against the cluster's pods, Services, nodes and the DNS proxy's cache."""

    store: ObjectStore
    addressing: Addressing
    nodes: tuple[SimNode, ...]
    fqdn_cache: dict[str, set[str]]
    _pod_ip: dict[str, str]
    _endpoint: Callable[..., Endpoint]
    """SimCluster's pod -> Endpoint (pod, viewer_node)."""

    # --- targets --------------------------------------------------------------------------------------

    def _resolve(self, src: Endpoint, probe: Probe) -> Resolved:
        target = probe.target
        assert target is not None
        if target.kind == "pod":
            pod = self.store.pods.get(target.value)
            if pod is None:
                raise ResolveError(f"destination pod {target.value} does not exist")
            port = None if probe.protocol == "ICMP" else pod_port(pod, probe.port, probe.protocol)
            return Resolved("pod", self._pod_ip[pod.key], port, pod)
        if target.kind == "svc":
            svc = self.store.services.get(target.value)
            if svc is None:
                raise ResolveError(f"Service {target.value} does not exist")
            return self._through_service(svc, probe)
        if target.kind == "ip":
            return self._resolve_ip(src, target.value, probe)
        return self._resolve_entity(src, target.value, probe)

    def _through_service(self, svc: Service, probe: Probe) -> Resolved:
        if probe.protocol == "ICMP":
            raise ResolveError(f"Service {svc.key}: ClusterIPs do not answer ICMP")
        target_port, svc_port = service_port(svc, probe.port, probe.protocol)
        pods = backends(svc, list(self.store.pods.values()))
        if not pods:
            raise ResolveError(f"Service {svc.key} has no ready backend pods (its selector matches no pod)")
        pod = pods[0]
        port = pod_port(pod, target_port, probe.protocol)
        via = f"Service {svc.key} {svc.cluster_ip}:{svc_port} -> {pod.key} {self._pod_ip[pod.key]}:{port}"
        return Resolved("pod", self._pod_ip[pod.key], port, pod, via)

    def _resolve_ip(self, src: Endpoint, ip: str, probe: Probe) -> Resolved:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise ResolveError(f"{ip!r} is not an IP address") from None
        port = None if probe.protocol == "ICMP" else _numeric(probe.port)
        for key, pod_ip in self._pod_ip.items():
            pod = self.store.pods.get(key)
            if pod_ip == ip and pod is not None and not pod.host_network:
                return Resolved("pod", ip, None if port is None else pod_port(pod, probe.port, probe.protocol), pod)
        for svc in self.store.services.values():
            if svc.cluster_ip == ip:
                return self._through_service(svc, probe)
        node = self.addressing.node_by_ip(ip)
        if node is not None:
            return Resolved("host" if node.name == src.node else "remote-node", ip, port)
        return Resolved("world", ip, port, names=frozenset(self.fqdn_cache.get(ip, ())))

    def _resolve_entity(self, src: Endpoint, entity: str, probe: Probe) -> Resolved:
        port = None if probe.protocol == "ICMP" else _numeric(probe.port)
        if entity == "host":
            node = next(n for n in self.nodes if n.name == src.node)
            return Resolved("host", node.internal_ip, port)
        if entity == "remote-node":
            others = [n for n in self.nodes if n.name != src.node]
            if not others:
                raise ResolveError("the cluster has a single node, so there is no remote node")
            return Resolved("remote-node", others[0].internal_ip, port)
        if entity == "world":
            return Resolved("world", WORLD_DEFAULT_IP, port, names=frozenset(self.fqdn_cache.get(WORLD_DEFAULT_IP, ())))
        if entity == "kube-apiserver":
            cp = self.addressing.control_plane()
            return Resolved("kube-apiserver", cp.internal_ip, port if port is not None else APISERVER_PORT)
        raise ResolveError(f"entity {entity!r} cannot be probed in the simulated cluster; probe host, "
                           "remote-node, world or kube-apiserver")

    def _dst_endpoint(self, src: Endpoint, resolved: Resolved) -> Endpoint:
        if resolved.pod is not None:
            return self._endpoint(resolved.pod, viewer_node=src.node)
        if resolved.kind == "kube-apiserver":
            cp = self.addressing.control_plane()
            return reserved_endpoint("host" if cp.name == src.node else "remote-node", ip=resolved.ip, node=cp.name,
                                     name="kube-apiserver", apiserver=True)
        if resolved.kind in ("host", "remote-node"):
            node = self.addressing.node_by_ip(resolved.ip)
            is_cp = node is not None and node.control_plane
            return reserved_endpoint(resolved.kind, ip=resolved.ip, node=node.name if node else None,
                                     name=f"{resolved.kind} {node.name if node else resolved.ip}", apiserver=is_cp)
        return reserved_endpoint("world", ip=resolved.ip, dns_names=resolved.names)



def _numeric(port: int | str | None) -> int | None:
    if port is None or isinstance(port, int):
        return port
    if str(port).isdigit():
        return int(port)
    raise ResolveError(f"named port {port!r} only works towards pods and Services")
