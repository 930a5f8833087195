"""The simulated cluster's network: nodes, address allocation, identities, and built-in objects.

Deterministic by construction: pods get addresses per node in the order they are created, identities
are numbered from 10000 in the order label sets first appear, so the same lab gives the same output.
Defaults mirror the course VM: a control plane and one worker on 192.168.56.0/21, pod CIDR
10.244.0.0/16 (a /24 per node), Service CIDR 10.96.0.0/12, kube-dns at 10.96.0.10.
"""

from __future__ import annotations

import ipaddress
import zlib
from dataclasses import dataclass, field

from labs.manifests.objects import ContainerPort, Namespace, Pod, Service, ServicePort, frozen_map

__all__ = ["APISERVER_PORT", "KUBE_DNS_IP", "WORLD_DEFAULT_IP", "Addressing", "SimNode", "builtin_objects"]

KUBE_DNS_IP = "10.96.0.10"
APISERVER_PORT = 6443
WORLD_DEFAULT_IP = "203.0.113.10"
"""A documentation address standing for "somewhere on the internet" (entity:world probes)."""


@dataclass(frozen=True)
class SimNode:
    name: str
    internal_ip: str
    pod_cidr: str
    control_plane: bool = False


def default_nodes(workers: int = 1) -> tuple[SimNode, ...]:
    nodes = [SimNode("control-plane", "192.168.56.10", "10.244.0.0/24", control_plane=True)]
    nodes += [SimNode(f"worker-{i}" if workers > 1 else "worker", f"192.168.56.{10 + i}", f"10.244.{i}.0/24")
              for i in range(1, workers + 1)]
    return tuple(nodes)


@dataclass
class Addressing:
    """Hands out pod IPs per node, Service ClusterIPs and security identities."""

    nodes: tuple[SimNode, ...] = field(default_factory=default_nodes)
    _pod_next: dict[str, int] = field(default_factory=dict)
    _svc_next: int = 100
    _identities: dict[frozenset, int] = field(default_factory=dict)

    def node_for(self, pod: Pod) -> SimNode:
        """The pod's own `node` if it names one, otherwise a stable spread over the workers."""
        if pod.node:
            for node in self.nodes:
                if node.name == pod.node:
                    return node
            raise ValueError(f"pod {pod.key} asks for node {pod.node!r}, which does not exist; "
                             f"nodes: {', '.join(n.name for n in self.nodes)}")
        workers = [n for n in self.nodes if not n.control_plane] or list(self.nodes)
        return workers[zlib.crc32(pod.key.encode()) % len(workers)]

    def pod_ip(self, node: SimNode) -> str:
        n = self._pod_next.get(node.name, 10)
        self._pod_next[node.name] = n + 1
        net = ipaddress.ip_network(node.pod_cidr)
        return str(net.network_address + n)

    def service_ip(self) -> str:
        self._svc_next += 1
        return str(ipaddress.ip_address("10.96.0.0") + self._svc_next)

    def identity(self, labels: frozenset) -> int:
        if labels not in self._identities:
            self._identities[labels] = 10000 + len(self._identities)
        return self._identities[labels]

    def node_by_ip(self, ip: str) -> SimNode | None:
        return next((n for n in self.nodes if n.internal_ip == ip), None)

    def control_plane(self) -> SimNode:
        return next((n for n in self.nodes if n.control_plane), self.nodes[0])


def builtin_objects(nodes: tuple[SimNode, ...]) -> tuple[list[Namespace], list[Pod], list[Service]]:
    """kube-system with CoreDNS (two replicas, as kubeadm deploys it) and its Service, and `default`."""
    namespaces = [Namespace("default", frozen_map({"kubernetes.io/metadata.name": "default"})),
                  Namespace("kube-system", frozen_map({"kubernetes.io/metadata.name": "kube-system"}))]
    dns_ports = (ContainerPort(53, "dns", "UDP"), ContainerPort(53, "dns-tcp", "TCP"), ContainerPort(9153, "metrics"))
    workers = [n for n in nodes if not n.control_plane] or list(nodes)
    pods = [Pod(f"coredns-668d6bf9bc-{suffix}", "kube-system", frozen_map({"k8s-app": "kube-dns"}), dns_ports,
                node=workers[i % len(workers)].name, service_account="coredns", owner="Deployment/coredns")
            for i, suffix in enumerate(("4x9kp", "tq2mz"))]
    services = [Service("kube-dns", "kube-system",
                        (ServicePort(53, "dns", "UDP", "dns"), ServicePort(53, "dns-tcp", "TCP", "dns-tcp"),
                         ServicePort(9153, 9153, "TCP", "metrics")),
                        frozen_map({"k8s-app": "kube-dns"}), cluster_ip=KUBE_DNS_IP,
                        labels=frozen_map({"k8s-app": "kube-dns"})),
                Service("kubernetes", "default", (ServicePort(443, APISERVER_PORT, "TCP", "https"),), None,
                        cluster_ip="10.96.0.1")]
    return namespaces, pods, services
