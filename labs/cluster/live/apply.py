"""Apply and delete manifests on the live cluster: all documents or none.

Order of work: the course's validator first (no network), then the namespaces the documents need
(created and labelled `ciliumlab.io/lab=<lab>`, removed again if anything is rejected), then a
server-side dry run of every document, and only when all pass the real server-side apply
(field manager `ciliumlab`). Waiting for readiness lives in `labs.cluster.live.wait`.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, Iterable

from labs.cluster.base import ApplyResult, ClusterError
from labs.cluster.live.api import ApiError, KubeApi, resource_path
from labs.manifests import Document

__all__ = ["ResourceMapper", "Target", "apply_documents", "delete_documents", "LAB_LABEL", "namespace_object",
           "location"]

LAB_LABEL = "ciliumlab.io/lab"


def location(doc: Document) -> str:
    return str(doc.source)


def namespace_object(name: str, lab: str | None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    merged = dict(labels or {})
    if lab:
        merged[LAB_LABEL] = lab
    if merged:
        meta["labels"] = merged
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


class ResourceMapper:
    """kind -> (plural, namespaced) through API discovery, cached per group/version."""

    def __init__(self, api: KubeApi):
        self.api = api
        self._cache: dict[str, dict[str, tuple[str, bool]]] = {}

    def lookup(self, api_version: str, kind: str, where: str) -> tuple[str, bool]:
        if api_version not in self._cache:
            path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            listing = self.api.get_or_none(path)
            kinds: dict[str, tuple[str, bool]] = {}
            for res in (listing or {}).get("resources") or []:
                if "/" not in res.get("name", ""):
                    kinds.setdefault(res.get("kind"), (res["name"], bool(res.get("namespaced"))))
            self._cache[api_version] = kinds
        found = self._cache[api_version].get(kind)
        if found is None:
            served = ", ".join(sorted(self._cache[api_version])) or "nothing"
            raise ClusterError(f"{where}: the API server has no kind {kind!r} in apiVersion {api_version!r} "
                               f"(it serves: {served}). Check apiVersion and kind; for Cilium kinds, check that "
                               "Cilium is installed (`python -m labs doctor`).")
        return found


@dataclass(frozen=True)
class Target:
    doc: Document
    obj: dict[str, Any]
    plural: str
    namespace: str | None

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def path(self) -> str:
        return resource_path(self.obj["apiVersion"], self.plural, namespace=self.namespace, name=self.name)


def _targets(mapper: ResourceMapper, docs: Iterable[Document], lab: str | None,
             default_namespace: str) -> list[Target]:
    found = []
    for doc in docs:
        obj = copy.deepcopy(doc.obj)
        plural, namespaced = mapper.lookup(str(obj.get("apiVersion")), doc.kind, location(doc))
        meta = obj.setdefault("metadata", {})
        namespace = None
        if namespaced:
            namespace = doc.namespace or default_namespace
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if doc.kind == "Namespace" and lab:
            meta.setdefault("labels", {})[LAB_LABEL] = lab
        found.append(Target(doc, obj, plural, namespace))
    return found


def _rejected(failures: list[tuple[Target, ApiError]]) -> ClusterError:
    lines = [f"The API server rejected {len(failures)} document{'s' if len(failures) != 1 else ''} in a dry run; "
             "nothing was applied:"]
    for target, exc in failures:
        lines.append(f"  {location(target.doc)}: {target.label}: {exc.detail or exc}")
    lines.append("Fix the documents named above and apply again.")
    return ClusterError("\n".join(lines))


def _after_termination(api: KubeApi, path: str, current: dict[str, Any] | None, timeout: float) -> dict | None:
    """The namespace as it stands once any deletion in progress has finished (None: it is gone).

    A namespace being deleted refuses new content, and deletion takes the namespace controller a few
    seconds: right after a reset, or after a rejected apply removed the namespaces it had created.
    """
    if current is None or (current.get("status") or {}).get("phase") != "Terminating":
        return current
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        current = api.get_or_none(path)
        if current is None:
            return None
    name = path.rsplit("/", 1)[-1]
    raise ClusterError(f"The namespace {name!r} is still being deleted after {timeout:g} s, and a namespace being "
                       "deleted refuses new objects. Wait until it is gone (`kubectl get namespace "
                       f"{name}` says NotFound), then apply again.")


def apply_documents(api: KubeApi, docs: list[Document], *, lab: str | None = None,
                    default_namespace: str = "default", mapper: ResourceMapper | None = None,
                    namespace_wait: float = 60.0) -> tuple[ApplyResult, list[Target]]:
    """Dry-run everything, then apply everything; returns what changed and the applied targets.

    A namespace still being deleted is waited for (at most `namespace_wait` seconds) and created again.
    """
    mapper = mapper or ResourceMapper(api)
    targets = _targets(mapper, docs, lab, default_namespace)
    ns_targets = [t for t in targets if t.kind == "Namespace"]
    written = {t.name for t in ns_targets}
    needed = sorted({t.namespace for t in targets if t.namespace and t.namespace not in written})
    created_ns: list[str] = []
    failures: list[tuple[Target, ApiError]] = []
    before: dict[str, str | None] = {}
    generations: dict[str, int | None] = {}
    # Namespaces first: a namespaced object cannot be dry-run in a namespace that does not exist yet.
    ns_objects = [(t.obj, t) for t in ns_targets] + [(namespace_object(n, lab), None) for n in needed]
    for obj, target in ns_objects:
        name = obj["metadata"]["name"]
        path = resource_path("v1", "namespaces", name=name)
        current = _after_termination(api, path, api.get_or_none(path), namespace_wait)
        if target is not None:
            before[target.path] = (current or {}).get("metadata", {}).get("resourceVersion")
        if current is not None:
            continue
        try:
            api.apply(path, obj, dry_run=True)
        except ApiError as exc:
            if target is None:
                raise ClusterError(f"The namespace {name!r} that the documents need could not be created: "
                                   f"{exc.detail or exc}") from None
            failures.append((target, exc))
            continue
        api.apply(path, obj)
        created_ns.append(name)
    for target in targets:
        if target.kind == "Namespace":
            continue
        current = api.get_or_none(target.path)
        before[target.path] = (current or {}).get("metadata", {}).get("resourceVersion")
        generations[target.path] = (current or {}).get("metadata", {}).get("generation")
        try:
            api.apply(target.path, target.obj, dry_run=True)
        except ApiError as exc:
            failures.append((target, exc))
    if failures:
        for name in created_ns:
            api.delete(resource_path("v1", "namespaces", name=name))
        raise _rejected(failures)
    created: list[str] = []
    configured: list[str] = []
    respecified: list[str] = []
    unchanged: list[str] = []
    for name in needed:
        (created if name in created_ns else unchanged).append(f"Namespace {name}")
    for target in targets:
        result = api.apply(target.path, target.obj) or {}
        after = (result.get("metadata") or {}).get("resourceVersion")
        old = before.get(target.path)
        if old is None or (target.kind == "Namespace" and target.name in created_ns):
            created.append(target.label)
        elif old != after:
            configured.append(target.label)
            if (result.get("metadata") or {}).get("generation") != generations.get(target.path):
                respecified.append(target.label)
        else:
            unchanged.append(target.label)
    return ApplyResult(tuple(created), tuple(configured), tuple(unchanged),
                       spec_changed=tuple(respecified)), targets


def delete_documents(api: KubeApi, docs: list[Document], *, default_namespace: str = "default",
                     mapper: ResourceMapper | None = None) -> tuple[ApplyResult, list[Target]]:
    """Delete what the documents describe, in reverse order; absent objects are skipped."""
    mapper = mapper or ResourceMapper(api)
    targets = _targets(mapper, docs, None, default_namespace)
    deleted = []
    gone = []
    for target in reversed(targets):
        if api.delete(target.path):
            deleted.append(target.label)
            gone.append(target)
    return ApplyResult(deleted=tuple(deleted)), gone
