"""The simulated cluster's object store: namespaces, pods, services and policies, applied atomically.

`stage` checks a ManifestSet against what exists (namespaces must exist or come in the same set)
before anything changes, so a bad apply changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labs.cluster.base import ApplyResult, ClusterError
from labs.manifests import ManifestSet
from labs.manifests.objects import Namespace, Pod, Service

__all__ = ["ObjectStore", "policy_key"]


def policy_key(policy: Any) -> tuple[str, str | None, str]:
    return (policy.kind, policy.namespace, policy.name)


@dataclass
class ObjectStore:
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    pods: dict[str, Pod] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    policies: dict[tuple[str, str | None, str], Any] = field(default_factory=dict)
    others: dict[tuple[str, str | None, str], Any] = field(default_factory=dict)

    def check_namespaces(self, ms: ManifestSet) -> None:
        """Every namespaced object's namespace must exist or be created by the same apply."""
        known = set(self.namespaces) | {ns.name for ns in ms.namespaces}
        missing: dict[str, list[str]] = {}
        objects = [(p.namespace, f"Pod {p.key}") for p in ms.pods]
        objects += [(s.namespace, f"Service {s.key}") for s in ms.services]
        objects += [(p.namespace, f"{p.kind} {p.ref}") for p in ms.policies if p.namespace]
        for ns, what in objects:
            if ns not in known:
                missing.setdefault(ns, []).append(what)
        if missing:
            text = "; ".join(f"namespace {ns!r} does not exist (needed by {', '.join(w)})" for ns, w in missing.items())
            raise ClusterError(f"{text}. Nothing was applied: add a Namespace document to the same apply, "
                               "or apply the lab's workloads first.")

    def apply(self, ms: ManifestSet, place: Any) -> ApplyResult:
        """Store everything; `place(pod)` assigns node and address to new pods."""
        created: list[str] = []
        configured: list[str] = []
        unchanged: list[str] = []

        def put(table: dict, key: Any, obj: Any, label: str) -> None:
            old = table.get(key)
            if old is None:
                created.append(label)
            elif old == obj:
                unchanged.append(label)
            else:
                configured.append(label)
            table[key] = obj

        for ns in ms.namespaces:
            put(self.namespaces, ns.name, ns, f"namespace/{ns.name}")
        for pod in ms.pods:
            old = self.pods.get(pod.key)
            if old is not None and old.node and not pod.node:
                pod = _with_node(pod, old.node)
            put(self.pods, pod.key, pod, f"pod/{pod.key}")
            if old is None or old != pod:
                place(pod)
        for svc in ms.services:
            put(self.services, svc.key, svc, f"service/{svc.key}")
        for pol in ms.policies:
            put(self.policies, policy_key(pol), pol, f"{pol.kind.lower()}/{pol.ref}")
        for doc in ms.others:
            put(self.others, (doc.kind, doc.namespace, doc.name), doc.obj, f"{doc.kind.lower()}/{doc.name}")
        return ApplyResult(tuple(created), tuple(configured), tuple(unchanged))

    def delete(self, ms: ManifestSet) -> ApplyResult:
        deleted: list[str] = []
        for pol in ms.policies:
            if self.policies.pop(policy_key(pol), None) is not None:
                deleted.append(f"{pol.kind.lower()}/{pol.ref}")
        for svc in ms.services:
            if self.services.pop(svc.key, None) is not None:
                deleted.append(f"service/{svc.key}")
        for pod in ms.pods:
            if self.pods.pop(pod.key, None) is not None:
                deleted.append(f"pod/{pod.key}")
        for doc in ms.others:
            if self.others.pop((doc.kind, doc.namespace, doc.name), None) is not None:
                deleted.append(f"{doc.kind.lower()}/{doc.name}")
        names = [ns.name for ns in ms.namespaces]
        return ApplyResult(deleted=tuple(deleted) + self.delete_namespaces(names).deleted)

    def delete_namespaces(self, names: list[str]) -> ApplyResult:
        deleted: list[str] = []
        for name in names:
            if name in ("kube-system", "default"):
                raise ClusterError(f"namespace {name!r} belongs to the cluster and is never deleted by the course")
            if self.namespaces.pop(name, None) is None:
                continue
            deleted.append(f"namespace/{name}")
            for table in (self.pods, self.services):
                for key in [k for k, v in table.items() if v.namespace == name]:
                    del table[key]
            for ref in [k for k in self.policies if k[1] == name]:
                del self.policies[ref]
            for ref in [k for k in self.others if k[1] == name]:
                del self.others[ref]
        return ApplyResult(deleted=tuple(deleted))


def _with_node(pod: Pod, node: str) -> Pod:
    from dataclasses import replace

    return replace(pod, node=node)
