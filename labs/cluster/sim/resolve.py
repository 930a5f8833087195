"""Turn probe targets into endpoints: pods, Services (to one backend), names, addresses, entities.

Errors here are `error` outcomes with a reason, decided before any traffic is simulated, as a real
client would fail: unknown pod, a Service with no ready backend, a name that does not resolve, a
named port the destination does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from labs.manifests.objects import Pod, Service
from labs.policy.labels import Label

__all__ = ["ResolveError", "Resolved", "backends", "cluster_dns_name", "service_port"]


class ResolveError(Exception):
    """The probe cannot be run; the message is the reason shown with the `error` outcome."""


@dataclass(frozen=True)
class Resolved:
    """The destination after Service translation: a pod key, or a non-pod kind with an address."""

    kind: str
    ip: str
    port: int | None
    pod: Pod | None = None
    via: str = ""
    """How it was reached, e.g. "Service backend/api 10.96.0.101:80 -> 10.244.1.12:8080"."""
    names: frozenset[str] = frozenset()


def backends(svc: Service, pods: list[Pod]) -> list[Pod]:
    if svc.selector is None:
        return []
    sel = dict(svc.selector)
    return sorted((p for p in pods if p.namespace == svc.namespace and not p.host_network
                   and all(p.labels.get(k) == v for k, v in sel.items())), key=lambda p: p.name)


def service_port(svc: Service, port: int | str | None, protocol: str) -> tuple[int | str, int]:
    """(target port, service port) for a probe port given as number or port name."""
    for sp in svc.ports:
        if sp.protocol != protocol:
            continue
        if (isinstance(port, int) and sp.port == port) or (isinstance(port, str) and sp.name == port):
            return sp.target_port, sp.port
    offered = ", ".join(f"{sp.port}/{sp.protocol}" + (f" ({sp.name})" if sp.name else "") for sp in svc.ports)
    raise ResolveError(f"Service {svc.key} has no port {port}/{protocol}; it offers {offered or 'no ports'}")


def pod_port(pod: Pod, port: int | str | None, protocol: str) -> int:
    """A numeric port, or a named container port of the pod."""
    if isinstance(port, int):
        return port
    if port is None:
        raise ResolveError(f"a {protocol} probe needs a port")
    text = str(port)
    if text.isdigit():
        return int(text)
    for cp in pod.ports:
        if cp.name == text and cp.protocol == protocol:
            return cp.port
    names = ", ".join(f"{cp.name} ({cp.port}/{cp.protocol})" for cp in pod.ports if cp.name) or "none"
    raise ResolveError(f"pod {pod.key} has no {protocol} port named {text!r}; its named ports: {names}")


def cluster_dns_name(name: str, services: dict[str, Service]) -> Service | None:
    """`api.backend`, `api.backend.svc` and `api.backend.svc.cluster.local` name Service backend/api."""
    parts = name.rstrip(".").lower().split(".")
    if len(parts) >= 2 and (len(parts) == 2 or parts[2:] in (["svc"], ["svc", "cluster", "local"])):
        return services.get(f"{parts[1]}/{parts[0]}")
    return None


def label_set(labels: dict[str, str]) -> frozenset[Label]:
    return frozenset(Label("k8s", k, v) for k, v in labels.items())
