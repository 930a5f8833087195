"""What the API server keeps about each object beyond its network facts: the manifest as applied, when it was
created, its uid and resourceVersion.

`kubectl get` prints ages from `creationTimestamp` and `-o yaml` prints the stored object, so the simulated
cluster keeps one record per object. A record is created when its object first appears, kept (creation time
and uid unchanged) while the object is re-applied, and dropped when the object goes; re-creating an object
gives it a new creation time, as on a real API server. Pods expanded from a Deployment get a manifest built
from the workload's pod template (with the owner reference a ReplicaSet would set).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from labs.cluster.sim.state import ObjectStore
    from labs.manifests import ManifestSet
    from labs.manifests.objects import Pod

__all__ = ["CLUSTER_SCOPED", "ObjectRecord", "Records", "RecordKey", "record_namespace"]

RecordKey = tuple[str, str, str]
"""(kind, namespace or "", name)."""

_UID_NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-4e0a-9c55-0d6c1f3e8a21")
CLUSTER_SCOPED = frozenset({"Namespace", "Node", "CiliumClusterwideNetworkPolicy", "CiliumIdentity", "ClusterRole",
                            "ClusterRoleBinding", "PersistentVolume", "StorageClass", "PriorityClass",
                            "CustomResourceDefinition", "IngressClass", "CiliumNode", "CiliumCIDRGroup"})


def record_namespace(kind: str, namespace: str | None) -> str | None:
    """None for cluster-scoped kinds, else the namespace (the API server's default `default` when unset)."""
    return None if kind in CLUSTER_SCOPED else (namespace or "default")


_POLICY_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy")


@dataclass
class ObjectRecord:
    kind: str
    namespace: str | None
    name: str
    manifest: dict[str, Any]
    """The object as last applied (or built for pods a workload created); never includes server fields."""
    created: datetime
    uid: str
    resource_version: int
    generation: int = 1
    applied: bool = True
    """Written by `apply` (it then carries the last-applied-configuration annotation); False for `create`."""
    status: dict[str, Any] = field(default_factory=dict)
    """Status written by controllers (e.g. the policy validation condition of a Cilium policy)."""


class Records:
    """One ObjectRecord per stored object; see module docstring."""

    def __init__(self, clock: Callable[[], datetime]):
        self._clock = clock
        self._records: dict[RecordKey, ObjectRecord] = {}
        self._version = 1000
        self._serial = 0

    # --- reading ------------------------------------------------------------------------------------------

    def get(self, kind: str, namespace: str | None, name: str) -> ObjectRecord | None:
        return self._records.get((kind, namespace or "", name))

    def of_kind(self, kind: str) -> list[ObjectRecord]:
        return [r for (k, _, _), r in self._records.items() if k == kind]

    # --- writing ------------------------------------------------------------------------------------------

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def put(self, kind: str, namespace: str | None, name: str, manifest: dict[str, Any], *,
            applied: bool = True) -> ObjectRecord:
        """Record a create or an update; an update keeps creation time and uid, bumping the version.

        The record keeps `manifest` itself (callers pass a copy they no longer change)."""
        key = (kind, namespace or "", name)
        old = self._records.get(key)
        if old is not None:
            if old.manifest != manifest:
                if _spec_of(old.manifest) != _spec_of(manifest):
                    old.generation += 1
                old.manifest = manifest
                old.resource_version = self._next_version()
            old.applied = old.applied or applied
            return old
        self._serial += 1
        record = ObjectRecord(kind, namespace, name, manifest, self._clock(),
                              str(uuid.uuid5(_UID_NAMESPACE, f"{kind}/{namespace}/{name}/{self._serial}")),
                              self._next_version(), applied=applied)
        self._records[key] = record
        return record

    def touch(self, record: ObjectRecord) -> None:
        """A change made in place (labels, status): a new resourceVersion."""
        record.resource_version = self._next_version()

    def drop(self, kind: str, namespace: str | None, name: str) -> None:
        self._records.pop((kind, namespace or "", name), None)

    def observe(self, ms: ManifestSet, *, applied: bool = True) -> None:
        """Record every document of an apply, and the pods its workloads expand into."""
        templates: dict[tuple[str, str, str], dict[str, Any]] = {}
        for doc in ms.documents:
            namespace = record_namespace(doc.kind, doc.namespace)
            manifest = copy.deepcopy(doc.obj)
            if namespace is not None:
                manifest.setdefault("metadata", {})["namespace"] = namespace
            self.put(doc.kind, namespace, doc.name, manifest, applied=applied)
            template = (doc.obj.get("spec") or {}).get("template")
            if isinstance(template, dict):
                templates[(doc.kind, namespace or "", doc.name)] = template
        for pod in ms.pods:
            if pod.owner is None:
                continue
            owner_kind, _, owner_name = pod.owner.partition("/")
            template = templates.get((owner_kind, pod.namespace, owner_name))
            if template is not None and self.get("Pod", pod.namespace, pod.name) is None:
                self.put("Pod", pod.namespace, pod.name, owned_pod_manifest(pod, template), applied=False)

    def sync(self, store: ObjectStore) -> None:
        """Forget records whose objects are gone (deleted, or their namespace deleted)."""
        live: dict[str, Callable[[str, str], bool]] = {
            "Namespace": lambda ns, name: name in store.namespaces,
            "Pod": lambda ns, name: f"{ns}/{name}" in store.pods,
            "Service": lambda ns, name: f"{ns}/{name}" in store.services,
        }
        for key in list(self._records):
            kind, ns, name = key
            if kind in live:
                alive = live[kind](ns, name)
            elif kind in _POLICY_KINDS:
                alive = (kind, ns or None, name) in store.policies
            else:
                alive = not ns or ns in store.namespaces
            if not alive:
                del self._records[key]


def owned_pod_manifest(pod: Pod, template: dict[str, Any]) -> dict[str, Any]:
    """The Pod a controller creates from `template` (labels already include the controller's own)."""
    owner_kind, _, owner_name = (pod.owner or "/").partition("/")
    meta: dict[str, Any] = {"name": pod.name, "namespace": pod.namespace, "labels": dict(pod.labels)}
    if owner_kind == "Deployment":
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "controller": True,
                                    "blockOwnerDeletion": True,
                                    "name": f"{owner_name}-{pod.labels.get('pod-template-hash', '')}"}]
    elif owner_kind:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner_kind, "controller": True,
                                    "blockOwnerDeletion": True, "name": owner_name}]
    annotations = (template.get("metadata") or {}).get("annotations")
    if annotations:
        meta["annotations"] = dict(annotations)
    spec = copy.deepcopy(template.get("spec") or {})
    if pod.node:
        spec["nodeName"] = pod.node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _spec_of(manifest: dict[str, Any]) -> Any:
    return {k: v for k, v in manifest.items() if k not in ("metadata", "status")}
