"""Load and validate Kubernetes and Cilium manifests: YAML in, typed objects or located problems out.

Flow: `load_sources` reads files or text (multi-document YAML, with line numbers), validates every
document (Kubernetes kinds against offline schemas plus the API server's rules trainees hit; Cilium
kinds against the course's own strict typed model), expands workloads into the pods Kubernetes would
create, and returns a `ManifestSet`, or raises `ManifestError` listing every problem. One bad document
means nothing from that call is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labs.manifests.errors import ManifestError, Problem
from labs.manifests.objects import Namespace, Pod, Service, SourceRef

__all__ = ["Document", "ManifestSet", "ManifestError", "Problem", "load_sources", "load_text"]


@dataclass(frozen=True)
class Document:
    """One YAML document as written, with where it came from."""

    obj: dict[str, Any]
    source: SourceRef

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        ns = (self.obj.get("metadata") or {}).get("namespace")
        return str(ns) if ns else None


@dataclass
class ManifestSet:
    """Everything a set of files or texts describes, validated."""

    documents: list[Document] = field(default_factory=list)
    namespaces: list[Namespace] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    """Pods written as Pods plus those expanded from Deployments, ReplicaSets, StatefulSets, DaemonSets."""
    services: list[Service] = field(default_factory=list)
    policies: list[Any] = field(default_factory=list)
    """`labs.policy.model.CiliumPolicy` and `KubeNetworkPolicy` objects."""
    others: list[Document] = field(default_factory=list)
    """Valid documents of kinds the course passes through untouched (ConfigMap, ServiceAccount, ...)."""


def load_sources(sources, *, default_namespace: str = "default", nodes: tuple[str, ...] = ()) -> ManifestSet:
    """Load files (paths) and/or YAML texts; raise ManifestError with every problem, or return all.

    A string containing a newline, or starting with `apiVersion:`, `kind:` or a `---` line, is YAML text
    (named `<input>`); anything else is a path (`kind-policy.yaml` is a file). `nodes` are the node
    names DaemonSet pods are created on.
    """
    from labs.manifests.load import load_sources as _load

    return _load(sources, default_namespace=default_namespace, nodes=nodes)


def load_text(text: str, *, name: str = "<input>", default_namespace: str = "default",
              nodes: tuple[str, ...] = (), api_server_only: bool = False) -> ManifestSet:
    """Load YAML text, naming it `name` in every problem (e.g. "<policy editor>").

    `api_server_only` reports only what the API server rejects (what `kubectl apply` sees); a Cilium rule
    the agent refuses but the CRD accepts (`ingress: []` alone) then loads, and its status says invalid.
    """
    from labs.manifests.load import load_text as _load_text

    return _load_text(text, name=name, default_namespace=default_namespace, nodes=nodes,
                      api_server_only=api_server_only)
