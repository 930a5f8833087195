"""Endpoints and traffic as the engine sees them: who talks (identity labels, IP, node) and how.

Pods become `pod` endpoints with their identity labels; the node a pod runs on is `host` to it and
every other node `remote-node`; addresses outside the cluster are `world` endpoints that remember
the DNS names the DNS proxy saw resolve to them (toFQDNs matches on those names).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Mapping, NamedTuple

from labs.manifests.objects import Pod
from labs.policy.labels import LabelSet, pod_labels, reserved_labels
from labs.probes import HttpRequest

__all__ = ["RESERVED_KINDS", "Endpoint", "PeerIdentity", "Traffic", "pod_endpoint", "reserved_endpoint",
           "resolve_named_port"]

RESERVED_KINDS = ("host", "remote-node", "world", "kube-apiserver", "health", "init", "unmanaged", "ingress")

RESERVED_IDENTITY = {"host": 1, "world": 2, "unmanaged": 3, "health": 4, "init": 5, "remote-node": 6,
                     "kube-apiserver": 7, "ingress": 8}


@dataclass(frozen=True)
class Endpoint:
    kind: str
    """"pod" or one of RESERVED_KINDS."""
    name: str
    """`ns/pod` for pods; a readable name otherwise (`host`, `world 1.1.1.1`)."""
    labels: LabelSet
    ip: str | None = None
    node: str | None = None
    named_ports: tuple[tuple[str, str, int], ...] = ()
    """(name, protocol, number) of the container ports, for named-port rules."""
    dns_names: frozenset[str] = frozenset()
    """For world endpoints: names the DNS proxy saw resolve to this IP."""
    namespace: str | None = None

    @property
    def is_pod(self) -> bool:
        return self.kind == "pod"

    def resolve_named_port(self, name: str, protocol: str | None = None) -> int | None:
        return resolve_named_port(self.named_ports, name, protocol)

    @cached_property
    def identity(self) -> PeerIdentity:
        """What policy sees of this endpoint as a peer: Cilium resolves policy per identity, not per pod.

        A pod, a node or another reserved endpoint is its kind and label set (never its address, name or
        node); an address outside the cluster also keeps its address and the names the DNS proxy saw
        resolve to it (CIDR and FQDN rules apply to those).
        """
        if self.kind == "world":
            return PeerIdentity(self.kind, self.labels, self.ip, self.dns_names)
        return PeerIdentity(self.kind, self.labels)


class PeerIdentity(NamedTuple):
    """The part of an endpoint that peer matchers may read; a tuple, so it hashes fast as a cache key."""

    kind: str
    labels: LabelSet
    ip: str | None = None
    dns_names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Traffic:
    """What is sent: protocol and destination port, and the L7 request if any."""

    protocol: str = "TCP"
    port: int | None = None
    icmp_type: int = 8
    http: HttpRequest | None = None
    dns_name: str | None = None
    """Set for a DNS query (UDP or TCP to port 53)."""

    @cached_property
    def _hash(self) -> int:
        return hash((self.protocol, self.port, self.icmp_type, self.http, self.dns_name))

    def __hash__(self) -> int:  # frozen: the hash never changes, so it is computed once (traffic keys the cache)
        return self._hash

    @cached_property
    def text(self) -> str:
        """`describe()`, computed once per object."""
        return self.describe()

    def describe(self) -> str:
        if self.protocol == "ICMP":
            return "ICMP echo request"
        text = f"{self.port}/{self.protocol}"
        if self.http:
            text += f" HTTP {self.http.method} {self.http.path}"
        if self.dns_name:
            text += f" DNS {self.dns_name}"
        return text


def resolve_named_port(named_ports: tuple[tuple[str, str, int], ...], name: str,
                       protocol: str | None = None) -> int | None:
    """The number of a named container port (for `protocol`, if given), or None."""
    for port_name, proto, number in named_ports:
        if port_name == name and (protocol is None or proto == protocol):
            return number
    return None


def pod_endpoint(pod: Pod, ip: str | None, namespace_labels: Mapping[str, str],
                 node_is_host: bool = False) -> Endpoint:
    """A pod's endpoint; a hostNetwork pod shares its node's identity and is not a pod endpoint."""
    if pod.host_network:
        return reserved_endpoint("host" if node_is_host else "remote-node", ip=ip, node=pod.node,
                                 name=f"{pod.namespace}/{pod.name} (hostNetwork)")
    return Endpoint(
        kind="pod", name=pod.key,
        labels=pod_labels(pod.labels, pod.namespace, namespace_labels, pod.service_account),
        ip=ip, node=pod.node, namespace=pod.namespace,
        named_ports=tuple((p.name, p.protocol, p.port) for p in pod.ports if p.name),
    )


def reserved_endpoint(kind: str, *, ip: str | None = None, node: str | None = None, name: str | None = None,
                      dns_names: frozenset[str] = frozenset(), apiserver: bool = False) -> Endpoint:
    names = [kind] + (["kube-apiserver"] if apiserver and kind != "kube-apiserver" else [])
    return Endpoint(kind=kind, name=name or (f"{kind} {ip}" if ip and kind == "world" else kind),
                    labels=reserved_labels(*names), ip=ip, node=node, dns_names=dns_names)
