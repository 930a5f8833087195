"""A lab's files seen from workshop mode: its namespaces, its `lab.yaml` rewritten, and whether it can run.

A lab lives in `manifests/<lab-id>/` (`workloads.yaml`, `policies/`, `solutions/`, `lab.yaml`). Probes
and expected matrices in `lab.yaml` use the scenario format of the design notes (`from: ns/pod`,
`to: ns/pod | svc:ns/name | fqdn:name | ip:A | entity:E`, `dns: name`); they are rewritten with the same
namespace rule as the manifests. A lab that needs cluster-wide objects (a CiliumClusterwideNetworkPolicy,
an enforcement-mode change) is reported as read-only: trainees cannot change what every trainee shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labs.workshop.rewrite import Skipped, WorkshopRewriteError, rewrite_document, rewrite_text
from labs.workshop.scope import SHARED_NAMESPACES, NamespaceMap

__all__ = ["LabSupport", "lab_files", "lab_namespaces", "assess_lab", "rewrite_lab_spec", "load_lab_spec",
           "CLUSTER_WIDE_MARKERS"]

_POD_KEYS = ("from", "source")
_TARGET_KEYS = ("to", "target")
CLUSTER_WIDE_MARKERS = ("policy_enforcement", "policyEnforcement", "enforcement", "enforcement_mode",
                        "cluster_wide", "clusterWide", "helm_values", "cilium_config")
"""lab.yaml keys (top level or in a step) that mean the lab changes something every trainee shares."""
_CLUSTER_WIDE_REQUIREMENTS = ("cluster-wide", "enforcement-mode", "ccnp", "helm", "cilium-config", "host-firewall")


@dataclass(frozen=True)
class LabSupport:
    """Whether a lab runs per trainee ("full") or only as a demonstration ("read-only"), and why."""

    lab_id: str
    mode: str
    reasons: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()

    @property
    def runnable(self) -> bool:
        return self.mode == "full"

    def describe(self) -> str:
        if self.runnable:
            return f"{self.lab_id}: runs per trainee in namespaces {', '.join(self.namespaces) or '(none)'}"
        return f"{self.lab_id}: read-only in workshop mode: " + "; ".join(self.reasons)


def lab_files(lab_dir: Path) -> list[Path]:
    """The manifest files of a lab, in apply order: workloads, then policies, then solutions."""
    files = [lab_dir / "workloads.yaml"] if (lab_dir / "workloads.yaml").is_file() else []
    for sub in ("policies", "solutions"):
        folder = lab_dir / sub
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return files


def load_lab_spec(lab_dir: Path) -> dict[str, Any]:
    """`lab.yaml` as a dict ({} when the lab has none); errors name the file and line."""
    path = lab_dir / "lab.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise WorkshopRewriteError(f"{where}: the lab file cannot be read ({getattr(exc, 'problem', exc)}).") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise WorkshopRewriteError(f"{path}: a lab file must be a mapping with 'steps:', not {type(data).__name__}.")
    return data


def _documents(path: Path) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
    except yaml.YAMLError as exc:
        raise WorkshopRewriteError(f"{path}: the YAML cannot be read ({getattr(exc, 'problem', exc)}).") from None


def lab_namespaces(lab_dir: Path) -> list[str]:
    """Every namespace the lab's manifests and lab.yaml use, shared ones excluded, sorted."""
    found: set[str] = set()
    for path in lab_files(lab_dir):
        for doc in _documents(path):
            meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
            if doc.get("kind") == "Namespace" and meta.get("name"):
                found.add(str(meta["name"]))
            elif meta.get("namespace"):
                found.add(str(meta["namespace"]))
    spec = load_lab_spec(lab_dir)
    _collect_spec_namespaces(spec, found)
    return sorted(found - SHARED_NAMESPACES)


def _collect_spec_namespaces(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _POD_KEYS + _TARGET_KEYS and isinstance(value, str):
                ref = value.split(":", 1)[1] if value.startswith("svc:") else value
                if ref.count("/") == 1 and ":" not in ref:
                    found.add(ref.split("/")[0])
            elif key == "namespace" and isinstance(value, str):
                found.add(value)
            elif key == "namespaces" and isinstance(value, (dict, list)):
                found.update(str(n) for n in value)
            else:
                _collect_spec_namespaces(value, found)
    elif isinstance(node, list):
        for item in node:
            _collect_spec_namespaces(item, found)


def assess_lab(lab_dir: Path) -> LabSupport:
    """Say whether the lab can run per trainee, listing every cluster-wide thing it needs."""
    lab_id = lab_dir.name
    probe_map = NamespaceMap("probe")
    reasons: list[str] = []
    for path in lab_files(lab_dir):
        for index, doc in enumerate(_documents(path)):
            out = rewrite_document(doc, probe_map, source=f"{path.relative_to(lab_dir.parent)} (document {index})")
            if isinstance(out, Skipped):
                reasons.append(f"{out.source}: {out.kind} {out.name!r} {out.reason.split(';')[0]}")
    spec = load_lab_spec(lab_dir)
    reasons += _spec_markers(spec, f"{lab_id}/lab.yaml")
    mode = "read-only" if reasons else "full"
    return LabSupport(lab_id, mode, tuple(reasons), tuple(lab_namespaces(lab_dir)))


def _spec_markers(node: Any, where: str) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CLUSTER_WIDE_MARKERS and value not in (None, False, "", "default"):
                found.append(f"{where}: {key}: {value!r} changes the whole cluster")
            elif key == "requires":
                items = value if isinstance(value, list) else [value]
                found += [f"{where}: requires {item!r}" for item in items
                          if str(item).lower() in _CLUSTER_WIDE_REQUIREMENTS]
            elif key == "policies" and isinstance(value, str):
                try:
                    skipped = rewrite_text(value, NamespaceMap("probe"), name=f"{where} policies").skipped
                except WorkshopRewriteError as exc:
                    found.append(str(exc))
                    continue
                found += [f"{s.source}: {s.kind} {s.name!r} is cluster-wide" for s in skipped]
            else:
                found += _spec_markers(value, where)
    elif isinstance(node, list):
        for item in node:
            found += _spec_markers(item, where)
    return found


def rewrite_lab_spec(spec: dict[str, Any], nsmap: NamespaceMap, *, name: str = "lab.yaml") -> dict[str, Any]:
    """A copy of a lab.yaml (or scenario) dict with probes, matrices, cluster and policies rewritten."""
    return _walk(spec, nsmap, name, in_matrix=False)


def _walk(node: Any, nsmap: NamespaceMap, name: str, *, in_matrix: bool) -> Any:
    if isinstance(node, dict):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            new_key = _ref(key, nsmap) if in_matrix and isinstance(key, str) else key
            out[new_key] = _value(str(key), value, nsmap, name, in_matrix=in_matrix)
        return out
    if isinstance(node, list):
        return [_walk(item, nsmap, name, in_matrix=in_matrix) for item in node]
    if in_matrix and isinstance(node, str):
        return _ref(node, nsmap)
    return node


def _value(key: str, value: Any, nsmap: NamespaceMap, name: str, *, in_matrix: bool) -> Any:
    if isinstance(value, str):
        if key in _POD_KEYS:
            return nsmap.pod_ref(value)
        if key in _TARGET_KEYS:
            return nsmap.target(value)
        if key == "dns":
            return nsmap.dns_name(value)
        if key == "namespace":
            return nsmap.ns(value)
        if key == "policies":
            return rewrite_text(value, nsmap, name=f"{name} policies").to_yaml()
    if key == "namespaces" and isinstance(value, dict):
        return {nsmap.ns(str(k)): _walk(v, nsmap, name, in_matrix=False) for k, v in value.items()}
    if key == "namespaces" and isinstance(value, list):
        return [nsmap.ns(v) if isinstance(v, str) else v for v in value]
    return _walk(value, nsmap, name, in_matrix=in_matrix or "matrix" in key.lower())


def _ref(text: str, nsmap: NamespaceMap) -> str:
    """A matrix label or cell: rewrite it only when it is a pod or service reference."""
    if text.startswith(("svc:", "fqdn:")):
        return nsmap.target(text)
    if text.count("/") == 1 and all(text.split("/")) and " " not in text:
        return nsmap.pod_ref(text)
    return text
