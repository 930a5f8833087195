"""Typed Hubble flows: what `hubble observe -o jsonpb` prints, as frozen values.

Field names follow Hubble's proto names where they are clear, so a trainee can match what
they read here with the Hubble documentation. Everything the parser does not model is kept in
`Flow.extra` (the original keys and values), so nothing Hubble says is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "Endpoint",
    "L4",
    "HttpInfo",
    "DnsInfo",
    "L7",
    "PolicyRef",
    "Flow",
    "RESERVED_IDENTITIES",
    "workload_from_pod_name",
]

RESERVED_IDENTITIES: Mapping[int, str] = MappingProxyType(
    {
        1: "host",
        2: "world",
        3: "unmanaged",
        4: "health",
        5: "init",
        6: "remote-node",
        7: "kube-apiserver",
        8: "ingress",
        9: "world",  # world-ipv4 in dual-stack clusters
        10: "world",  # world-ipv6
    }
)
"""Cilium's reserved numeric identities and the entity each stands for."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})

# Kubernetes generated name suffixes use this alphabet (no vowels, no 0/1/3), so "api-cache"
# is never mistaken for a generated suffix while "reviews-v1-545db77b95-s6jb8" is.
_SAFE = "[bcdfghjklmnpqrstvwxz2456789]"
_GENERATED_SUFFIX = re.compile(rf"(?:-{_SAFE}{{6,10}})?-{_SAFE}{{5}}$")


def workload_from_pod_name(pod_name: str) -> str:
    """The Deployment/DaemonSet name a pod most likely belongs to (`reviews-v1-545db77b95-s6jb8` -> `reviews-v1`)."""
    stripped = _GENERATED_SUFFIX.sub("", pod_name)
    return stripped or pod_name


@dataclass(frozen=True)
class Endpoint:
    """One side of a flow: a pod, or a reserved identity such as world or host."""

    namespace: str | None = None
    pod_name: str | None = None
    labels: tuple[str, ...] = ()
    """Cilium label strings as Hubble prints them, e.g. `k8s:app=api`, `reserved:world`."""
    identity: int | None = None
    ip: str | None = None
    names: tuple[str, ...] = ()
    """FQDNs Hubble knows for this address (`source_names` / `destination_names`), lower case, no trailing dot."""
    workloads: tuple[tuple[str, str], ...] = ()
    """(name, kind) pairs, e.g. ("api", "Deployment")."""
    endpoint_id: int | None = None
    cluster_name: str | None = None

    @property
    def label_map(self) -> dict[str, str]:
        """`k8s:app=api` labels as {"app": "api"}; reserved labels as {"reserved:world": ""}."""
        result: dict[str, str] = {}
        for text in self.labels:
            source, _, rest = text.partition(":")
            if source == "reserved":
                result[text] = ""
                continue
            key, _, value = rest.partition("=")
            result[key] = value
        return result

    @property
    def reserved(self) -> tuple[str, ...]:
        """Reserved entity names carried as labels (`reserved:host` -> "host"), plus the one the identity implies."""
        found = [text.split(":", 1)[1] for text in self.labels if text.startswith("reserved:")]
        if not found and self.identity in RESERVED_IDENTITIES:
            found.append(RESERVED_IDENTITIES[self.identity])  # type: ignore[index]
        return tuple(found)

    @property
    def workload(self) -> str | None:
        """The owning workload's name: from Hubble's `workloads`, else derived from the pod name."""
        if self.workloads:
            return self.workloads[0][0]
        if self.pod_name:
            return workload_from_pod_name(self.pod_name)
        return None

    @property
    def is_kube_dns(self) -> bool:
        return "k8s:k8s-app=kube-dns" in self.labels

    def describe(self) -> str:
        """Short human form: `ns/pod`, `fqdn api.github.com`, `world 1.1.1.1`, `host`."""
        if self.pod_name:
            return f"{self.namespace}/{self.pod_name}" if self.namespace else self.pod_name
        reserved = self.reserved
        if self.names:
            return self.names[0]
        if reserved:
            return f"{reserved[0]} {self.ip}" if self.ip and reserved[0] == "world" else reserved[0]
        return self.ip or "unknown"


@dataclass(frozen=True)
class L4:
    """Transport layer: protocol name (TCP, UDP, SCTP, ICMPv4, ICMPv6...), ports and TCP flags."""

    protocol: str
    source_port: int | None = None
    destination_port: int | None = None
    flags: tuple[str, ...] = ()
    """Set TCP flags in Hubble's spelling and order (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, NS)."""
    icmp_type: int | None = None
    icmp_code: int | None = None


@dataclass(frozen=True)
class HttpInfo:
    method: str | None = None
    url: str | None = None
    code: int | None = None
    protocol: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> str | None:
        """The URL's path, which is what HTTP rules match (`http://10.0.0.1:80/api?x=1` -> `/api`)."""
        if not self.url:
            return None
        rest = self.url.split("://", 1)[1] if "://" in self.url else self.url
        if "://" in self.url:
            slash = rest.find("/")
            rest = rest[slash:] if slash >= 0 else "/"
        return rest.split("?", 1)[0] or "/"


@dataclass(frozen=True)
class DnsInfo:
    query: str | None = None
    """The name looked up, lower case, without the trailing dot."""
    rcode: int | None = None
    """0 NOERROR, 3 NXDOMAIN, 5 REFUSED (what Cilium's DNS proxy answers for a name no rule allows)."""
    ips: tuple[str, ...] = ()
    qtypes: tuple[str, ...] = ()
    observation_source: str | None = None


@dataclass(frozen=True)
class L7:
    type: str | None = None
    """REQUEST, RESPONSE or SAMPLE."""
    http: HttpInfo | None = None
    dns: DnsInfo | None = None
    latency_ns: int | None = None


@dataclass(frozen=True)
class PolicyRef:
    """A policy Hubble names as having allowed or denied a flow."""

    name: str
    namespace: str | None = None
    kind: str | None = None
    """CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy or NetworkPolicy."""

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}" if self.kind else where


@dataclass(frozen=True)
class Flow:
    """One Hubble flow event, normalised; `extra` holds every field this type does not model."""

    time: datetime | None = None
    verdict: str = "VERDICT_UNKNOWN"
    """FORWARDED, DROPPED, AUDIT, REDIRECTED, ERROR, TRACED, TRANSLATED."""
    drop_reason: str | None = None
    """Hubble's `drop_reason_desc`, e.g. POLICY_DENIED (default deny) or POLICY_DENY (an explicit deny rule)."""
    type: str = "UNKNOWN_TYPE"
    """L3_L4, L7 or SOCK."""
    event_type: int | None = None
    """Monitor event: 1 drop, 4 trace, 5 policy verdict, 7 socket trace, 129 L7 access log."""
    event_subtype: int | None = None
    direction: str | None = None
    """INGRESS or EGRESS (Hubble's `traffic_direction`), or None when unknown."""
    is_reply: bool | None = None
    source: Endpoint = field(default_factory=Endpoint)
    destination: Endpoint = field(default_factory=Endpoint)
    l4: L4 | None = None
    l7: L7 | None = None
    ingress_allowed_by: tuple[PolicyRef, ...] = ()
    egress_allowed_by: tuple[PolicyRef, ...] = ()
    ingress_denied_by: tuple[PolicyRef, ...] = ()
    egress_denied_by: tuple[PolicyRef, ...] = ()
    node_name: str | None = None
    summary: str | None = None
    trace_observation_point: str | None = None
    uuid: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False, hash=False)
    """Unmodelled keys: those of the flow object as they were, plus `response.<key>` for the envelope."""

    @property
    def protocol(self) -> str | None:
        """The L7 protocol when there is one (HTTP, DNS), else the L4 one (TCP, UDP, ICMPv4...)."""
        if self.l7 is not None:
            if self.l7.http is not None:
                return "HTTP"
            if self.l7.dns is not None:
                return "DNS"
        return self.l4.protocol if self.l4 else None

    @property
    def destination_port(self) -> int | None:
        return self.l4.destination_port if self.l4 else None

    @property
    def allowed_by(self) -> tuple[PolicyRef, ...]:
        return self.ingress_allowed_by + self.egress_allowed_by

    @property
    def denied_by(self) -> tuple[PolicyRef, ...]:
        return self.ingress_denied_by + self.egress_denied_by

    @property
    def http(self) -> HttpInfo | None:
        return self.l7.http if self.l7 else None

    @property
    def dns(self) -> DnsInfo | None:
        return self.l7.dns if self.l7 else None
