"""Typed Kubernetes objects the course works with (namespaces, pods, services).

Produced by the manifest loader (workload kinds are expanded into the pods Kubernetes would create)
and by scenario `cluster:` sections; consumed by both cluster backends and the policy engine.
Only the fields that matter to network policy are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

__all__ = ["SourceRef", "Namespace", "ContainerPort", "Pod", "ServicePort", "Service", "frozen_map"]


def frozen_map(data: Mapping[str, str] | None) -> Mapping[str, str]:
    """A read-only copy with string keys and values, sorted for deterministic output."""
    return MappingProxyType({str(k): str(v) for k, v in sorted((data or {}).items())})


@dataclass(frozen=True)
class SourceRef:
    """Where an object was written: file (or a name such as "<policy editor>"), document index, line."""

    file: str | None = None
    document: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
        text = ":".join(parts)
        if self.document is not None:
            text += f" (document {self.document})"
        return text


@dataclass(frozen=True)
class Namespace:
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    source: SourceRef = SourceRef()


@dataclass(frozen=True)
class ContainerPort:
    port: int
    name: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True)
class Pod:
    """A pod as Cilium sees it: labels (identity), named ports, node and service account."""

    name: str
    namespace: str
    labels: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    ports: tuple[ContainerPort, ...] = ()
    node: str | None = None
    service_account: str = "default"
    host_network: bool = False
    image: str | None = None
    owner: str | None = None
    """`Kind/name` of the workload that created this pod (Deployment/web), if any."""
    source: SourceRef = SourceRef()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ServicePort:
    port: int
    target_port: int | str
    protocol: str = "TCP"
    name: str | None = None
    node_port: int | None = None


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    ports: tuple[ServicePort, ...] = ()
    selector: Mapping[str, str] | None = None
    """None for a Service without selector (its backends come from EndpointSlices)."""
    type: str = "ClusterIP"
    cluster_ip: str | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    """The Service's own labels (toServices k8sServiceSelector selects on them)."""
    source: SourceRef = SourceRef()
    external_traffic_policy: str = "Cluster"
    """`spec.externalTrafficPolicy` of a NodePort/LoadBalancer Service: "Cluster" (the default) or "Local"."""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"
