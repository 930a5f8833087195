"""Rewrite a lab's manifests for one trainee: namespaces prefixed, policies re-pointed, shared kept.

Entry points: `rewrite_documents` (raw dicts, e.g. `ManifestSet.documents[i].obj`) and `rewrite_text`
(YAML in, YAML out, ready for `Cluster.apply`). Documents a trainee cannot own on a shared cluster
(cluster-scoped kinds such as CiliumClusterwideNetworkPolicy, or objects written into kube-system) are
not rewritten: they come back in `RewriteResult.skipped` with the reason, and `strict=True` turns them
into an error instead, so nothing is applied half-way. NodePort and LoadBalancer Services become
ClusterIP: a node port is one port for the whole cluster.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Iterable

import yaml

from labs.workshop.rbac import POD_SECURITY_LABEL, POD_SECURITY_LEVEL
from labs.workshop.rewrite_policy import NS_NAME_LABEL, rewrite_policy_document
from labs.workshop.scope import CLUSTER_SCOPED_KINDS, TRAINEE_LABEL, WORKSHOP_LABEL, NamespaceMap

__all__ = ["Skipped", "RewriteResult", "WorkshopRewriteError", "rewrite_document", "rewrite_documents",
           "rewrite_text"]


class WorkshopRewriteError(ValueError):
    """The input cannot be used in workshop mode; nothing was applied. The message says which document."""


@dataclass(frozen=True)
class Skipped:
    """A document left out in workshop mode, and why."""

    kind: str
    name: str
    reason: str
    source: str = "<input>"

    def __str__(self) -> str:
        return f"{self.source}: {self.kind} {self.name!r} skipped: {self.reason}"


@dataclass
class RewriteResult:
    documents: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def to_yaml(self) -> str:
        return yaml.safe_dump_all(self.documents, sort_keys=False) if self.documents else ""


def rewrite_document(obj: dict[str, Any], nsmap: NamespaceMap, *, default_namespace: str = "default",
                     source: str = "<input>") -> dict[str, Any] | Skipped:
    """The trainee's copy of one manifest document, or a Skipped saying why it cannot have one."""
    kind = str(obj.get("kind", ""))
    meta = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    name = str(meta.get("name", ""))
    if kind in CLUSTER_SCOPED_KINDS:
        return Skipped(kind, name, "it is cluster-wide and would affect every trainee on the shared cluster; "
                       "this part of the lab is read-only in workshop mode", source)
    if kind == "Namespace":
        return _namespace(obj, nsmap)
    namespace = str(meta.get("namespace") or default_namespace)
    if nsmap.is_shared(namespace):
        return Skipped(kind, name, f"it would be written into the shared namespace {namespace!r}; "
                       "this part of the lab is read-only in workshop mode", source)
    out = rewrite_policy_document(obj, nsmap)
    out.setdefault("metadata", {})
    out["metadata"]["namespace"] = nsmap.ns(namespace)
    if kind == "Service" and isinstance(out.get("spec"), dict) and isinstance(out["spec"].get("externalName"), str):
        out["spec"]["externalName"] = nsmap.dns_name(out["spec"]["externalName"])
    if kind == "Service" and isinstance(out.get("spec"), dict):
        _no_node_ports(out["spec"])
    return out


_NODE_PORT_FIELDS = ("externalTrafficPolicy", "allocateLoadBalancerNodePorts", "loadBalancerIP",
                     "loadBalancerSourceRanges", "loadBalancerClass", "healthCheckNodePort")


def _no_node_ports(spec: dict[str, Any]) -> None:
    """Trainees get ClusterIP Services only: a nodePort is one port for the whole cluster (the second trainee's
    copy would be rejected), and it opens every node to the outside; the trainee quota allows none."""
    if spec.get("type") not in ("NodePort", "LoadBalancer"):
        return
    spec["type"] = "ClusterIP"
    for key in _NODE_PORT_FIELDS:
        spec.pop(key, None)
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.pop("nodePort", None)


def _namespace(obj: dict[str, Any], nsmap: NamespaceMap) -> dict[str, Any] | Skipped:
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    name = str(meta.get("name", ""))
    if nsmap.is_shared(name):
        return Skipped("Namespace", name, "it is shared by every trainee and already exists")
    meta["name"] = nsmap.ns(name)
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    if NS_NAME_LABEL in labels:
        labels[NS_NAME_LABEL] = meta["name"]
    labels[TRAINEE_LABEL] = nsmap.trainee
    labels[WORKSHOP_LABEL] = "true"
    labels[POD_SECURITY_LABEL] = POD_SECURITY_LEVEL
    meta["labels"] = labels
    return out


def rewrite_documents(objs: Iterable[dict[str, Any]], nsmap: NamespaceMap, *, default_namespace: str = "default",
                      source: str = "<input>", strict: bool = False) -> RewriteResult:
    """Rewrite every document; with `strict`, any document that must be skipped is an error instead."""
    result = RewriteResult()
    for index, obj in enumerate(objs):
        if obj is None:
            continue
        if not isinstance(obj, dict):
            raise WorkshopRewriteError(f"{source}: document {index} is {type(obj).__name__}, not a mapping; "
                                       "every YAML document must be a Kubernetes object.")
        out = rewrite_document(obj, nsmap, default_namespace=default_namespace, source=f"{source} (document {index})")
        if isinstance(out, Skipped):
            result.skipped.append(out)
        else:
            result.documents.append(out)
    if strict and result.skipped:
        lines = "\n".join(f"  {s}" for s in result.skipped)
        raise WorkshopRewriteError(
            f"{len(result.skipped)} document(s) of {source} cannot be applied by trainee {nsmap.trainee!r} on a "
            f"shared cluster; nothing was applied:\n{lines}\n"
            "Leave LABS_TRAINEE unset to run this lab on your own cluster.")
    return result


def rewrite_text(text: str, nsmap: NamespaceMap, *, name: str = "<input>", default_namespace: str = "default",
                 strict: bool = False) -> RewriteResult:
    """Parse multi-document YAML, rewrite it, and return the result (`.to_yaml()` for `Cluster.apply`)."""
    try:
        objs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise WorkshopRewriteError(f"{where}: the YAML cannot be read ({getattr(exc, 'problem', exc)}); "
                                   "fix it before applying.") from None
    return rewrite_documents(objs, nsmap, default_namespace=default_namespace, source=name, strict=strict)
