"""Probes: what traffic to try (a Probe), and what happened (a ProbeResult).

Both backends take the same Probe and return the same ProbeResult, so expected-versus-observed
tables, checks and plots are written once. Expectations (`expect:` in scenario files) stay data.

Target forms (scenario `to:`): `ns/pod`, `svc:ns/name`, `fqdn:name`, `ip:1.2.3.4`, `entity:host`.
A DNS lookup probe has no target, only `dns: name`.

Sources (scenario `from:`) are pods, `ns/pod`, or one of `OUTSIDE_SOURCES`: `world`, a client outside
the cluster, and `host`, a node itself. Those reach a NodePort or LoadBalancer Service (`svc:ns/name`,
with the Service's port) or a pod (`ns/pod`), see `outside_problem`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from labs.outcomes import Outcome

__all__ = ["Target", "HttpRequest", "Probe", "ProbeResult", "parse_target", "source_problem", "outside_problem",
           "PROTOCOLS", "OUTSIDE_SOURCES"]

TargetKind = Literal["pod", "svc", "fqdn", "ip", "entity"]
PROTOCOLS = ("TCP", "UDP", "SCTP", "ICMP")
OUTSIDE_SOURCES = ("world", "host")
"""Probe sources that are not pods: a client outside the cluster, and a node of the cluster."""


def source_problem(source: object) -> str | None:
    """Why a `from:` value is not a probe source, or None when it is one (`ns/pod`, `world`, `host`)."""
    if isinstance(source, str) and (source in OUTSIDE_SOURCES
                                    or (source.count("/") == 1 and all(source.split("/")))):
        return None
    return f"{source!r} is not a probe source; write a pod as namespace/pod, or world or host"


def outside_problem(source: str, target: Target | None, protocol: str) -> str | None:
    """Why a probe from outside the cluster cannot be run as written, or None.

    A client outside the cluster reaches a Service's NodePort (or LoadBalancer), or a pod; DNS lookups
    and egress targets only make sense from a pod.
    """
    if source not in OUTSIDE_SOURCES:
        return None
    if target is None:
        return f"a probe from {source} needs `to` (a NodePort Service or a pod); DNS probes start from a pod"
    if target.kind not in ("svc", "pod"):
        return (f"a probe from {source} goes to a NodePort Service (svc:ns/name) or a pod (ns/pod), "
                f"not {target}")
    if protocol not in ("TCP", "UDP", "SCTP"):
        return f"a probe from {source} is a {protocol} probe; use TCP towards a NodePort Service or a pod"
    return None


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    value: str
    """`ns/name` for pod and svc, the name for fqdn, the address for ip, the entity name for entity."""

    @property
    def namespace(self) -> str | None:
        return self.value.split("/", 1)[0] if self.kind in ("pod", "svc") else None

    @property
    def name(self) -> str:
        return self.value.split("/", 1)[1] if self.kind in ("pod", "svc") else self.value

    def __str__(self) -> str:
        return self.value if self.kind == "pod" else f"{self.kind}:{self.value}"


def parse_target(text: str) -> Target:
    """Parse a `to:` value; raises ValueError naming the accepted forms."""
    raw = str(text).strip()
    kind, sep, rest = raw.partition(":")
    if sep and kind in ("svc", "fqdn", "ip", "entity"):
        value = rest.strip()
        if kind == "fqdn":
            value = value.lower().rstrip(".")
        if not value or (kind == "svc" and value.count("/") != 1):
            raise ValueError(f"target {raw!r} is incomplete; expected {_FORMS}")
        return Target(kind, value)  # type: ignore[arg-type]
    if raw.count("/") == 1 and all(raw.split("/")):
        return Target("pod", raw)
    raise ValueError(f"target {raw!r} is not understood; expected {_FORMS}")


_FORMS = "ns/pod, svc:ns/name, fqdn:name, ip:ADDRESS or entity:NAME"


@dataclass(frozen=True)
class HttpRequest:
    method: str = "GET"
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    host: str | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Probe:
    """One attempt: from a pod (`ns/pod`) to a target on a port, optionally as HTTP, or a DNS lookup."""

    source: str
    target: Target | None = None
    port: int | str | None = None
    """A number, or a named port of the destination pod; None for ICMP and DNS probes."""
    protocol: str = "TCP"
    http: HttpRequest | None = None
    dns: str | None = None
    """Name to look up through kube-dns (a DNS probe) when target is None."""

    @property
    def outside(self) -> bool:
        """True for `world` and `host` sources (no pod: the client is outside the pod network)."""
        return self.source in OUTSIDE_SOURCES

    @property
    def source_namespace(self) -> str:
        return self.source.split("/", 1)[0]

    @property
    def source_pod(self) -> str:
        return self.source.split("/", 1)[1]

    def describe(self) -> str:
        """Short human form, e.g. `frontend/client -> backend/api:8080/TCP GET /api`."""
        if self.dns is not None and self.target is None:
            return f"{self.source} -> dns {self.dns}"
        text = f"{self.source} -> {self.target}"
        if self.protocol == "ICMP":
            return text + " (ICMP echo)"
        text += f":{self.port}/{self.protocol}"
        if self.http:
            text += f" {self.http}"
        return text


@dataclass(frozen=True)
class ProbeResult:
    """What happened: the outcome word, why, and the Hubble-format flows the attempt produced."""

    probe: Probe
    outcome: Outcome
    reason: str
    flows: tuple[dict[str, Any], ...] = ()
    """GetFlowsResponse dicts as `hubble observe -o jsonpb` prints them (parse with labs.flows)."""
    verdict: Any = None
    """The policy engine's Verdict when the backend can compute one (always on the simulator)."""
    detail: dict[str, Any] = field(default_factory=dict)
    """Backend specifics: exit code, HTTP status, command output, resolved IPs."""
