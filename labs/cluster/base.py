"""The one interface both backends implement: `SimCluster` (in-process) and `LiveCluster` (real).

Everything above it (labs, checks, explain, plots, widgets) is written once against this Protocol.
Every waiting method takes a `timeout` in seconds; options are keyword-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Protocol, Sequence, runtime_checkable

from labs.manifests.objects import Namespace, Pod, Service
from labs.probes import Probe, ProbeResult

__all__ = ["Cluster", "ClusterInfo", "NodeInfo", "ApplyResult", "ClusterError", "DEFAULT_PROBE_TIMEOUT"]

DEFAULT_PROBE_TIMEOUT = 5.0


class ClusterError(RuntimeError):
    """A backend operation failed; the message says what failed and what to do about it."""


@dataclass(frozen=True)
class NodeInfo:
    name: str
    internal_ip: str
    ready: bool = True
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterInfo:
    """Facts a notebook shows in its first cell and checks rely on."""

    backend: str
    """"sim" or "live"."""
    reason: str
    """Why this backend was chosen (e.g. "no cluster reachable at https://192.168.56.10:6443")."""
    cilium_version: str | None = None
    policy_enforcement: str = "default"
    kube_proxy_replacement: str | None = None
    l7_proxy: bool = True
    hubble: str | None = None
    nodes: tuple[NodeInfo, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApplyResult:
    """What an apply changed: `kind ns/name` strings per action."""

    created: tuple[str, ...] = ()
    configured: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    spec_changed: tuple[str, ...] = ()
    """Of `configured`, those whose spec changed (metadata.generation rose), not only labels or annotations:
    a policy the agents must import again (live backend)."""

    def summary(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in (("created", self.created), ("configured", self.configured),
                                             ("unchanged", self.unchanged), ("deleted", self.deleted)) if v]
        return ", ".join(parts) or "nothing changed"


@runtime_checkable
class Cluster(Protocol):
    """A cluster running Cilium, real or simulated."""

    backend: str

    def info(self) -> ClusterInfo:
        """Backend, Cilium version and mode, nodes, Hubble status."""

    def apply(self, sources: Iterable[str] | str, *, timeout: float = 120.0) -> ApplyResult:
        """Validate then apply YAML files or text (all documents or none); wait for pods to be ready."""

    def delete(self, sources: Iterable[str] | str, *, timeout: float = 120.0) -> ApplyResult:
        """Delete the objects the YAML files or text describe; absent objects are not an error."""

    def delete_namespaces(self, names: Iterable[str], *, timeout: float = 120.0) -> ApplyResult:
        """Delete namespaces and everything in them (lab reset)."""

    def delete_policies(self, *, namespaces: Iterable[str] | None = None, cluster_wide: bool = False) -> ApplyResult:
        """Delete Cilium and Kubernetes network policies (in the namespaces; CCNPs if cluster_wide)."""

    def namespaces(self) -> list[Namespace]: ...

    def pods(self, namespace: str | None = None) -> list[Pod]: ...

    def services(self, namespace: str | None = None) -> list[Service]: ...

    def policies(self) -> list[Any]:
        """Policies in force, as `labs.policy.model` objects."""

    def identity(self, pod: str) -> int | None:
        """The Cilium security identity of `ns/pod`."""

    def probe(self, probe: Probe, *, timeout: float = DEFAULT_PROBE_TIMEOUT) -> ProbeResult: ...

    def probe_many(self, probes: Sequence[Probe], *, timeout: float = DEFAULT_PROBE_TIMEOUT,
                   parallel: int = 8) -> list[ProbeResult]:
        """Run probes concurrently (bounded); results in the order given."""

    def flows(self, *, since: datetime | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        """Hubble GetFlowsResponse dicts seen since `since` (oldest first)."""
