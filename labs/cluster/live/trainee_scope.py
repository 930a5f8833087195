"""Where a workshop trainee's namespaces are, without listing namespaces.

The workshop roles give a trainee `get` on their own namespaces by name and no `list` on namespaces at
all: a list cannot be narrowed by RBAC, so it would show every other trainee's namespace names and
labels. The names are known in advance instead: each lab namespace the course uses, with the
trainee's prefix (`labs.workshop.scope.NamespaceMap`), read one by one.
"""

from __future__ import annotations

from typing import Any

from labs.cluster.live.api import ApiError, KubeApi, resource_path
from labs.commands.kubectl.selector import parse_selector
from labs.paths import manifests_dir

__all__ = ["trainee_namespace_names", "read_namespaces", "selector_matches"]


def trainee_namespace_names(trainee: str) -> list[str]:
    """The names the course's labs would give this trainee's namespaces (shared ones excluded), sorted."""
    from labs.workshop.labfile import lab_namespaces
    from labs.workshop.scope import NamespaceMap

    nsmap = NamespaceMap(trainee)
    names: set[str] = set()
    root = manifests_dir()
    for lab_dir in sorted(p for p in root.iterdir() if (p / "lab.yaml").is_file()):
        names.update(nsmap.ns(ns) for ns in lab_namespaces(lab_dir) if not nsmap.is_shared(ns))
    return sorted(names)


def read_namespaces(api: KubeApi, names: list[str]) -> list[dict[str, Any]]:
    """Each named namespace that exists and may be read; absent (404) and forbidden (403) ones are skipped."""
    found: list[dict[str, Any]] = []
    for name in names:
        try:
            obj = api.get_or_none(resource_path("v1", "namespaces", name=name))
        except ApiError as exc:
            if exc.status != 403:
                raise
            continue
        if obj is not None:
            found.append(obj)
    return found


def selector_matches(label_selector: str, obj: dict[str, Any]) -> bool:
    """What the API server's label selector would keep, for objects read by name instead of listed."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return parse_selector(label_selector).matches(labels)
