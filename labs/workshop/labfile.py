"""A lab's files seen from workshop mode: its namespaces, its `lab.yaml` rewritten, and whether it can run.

A lab lives in `manifests/<lab-id>/` (`workloads.yaml`, `policies/`, `solutions/`, `lab.yaml`). Probes
and expected matrices in `lab.yaml` use the scenario format of the design notes (`from: ns/pod`,
`to: ns/pod | svc:ns/name | fqdn:name | ip:A | entity:E`, `dns: name`); they are rewritten with the same
namespace rule as the manifests. A lab that needs cluster-wide objects (a CiliumClusterwideNetworkPolicy,
an enforcement-mode change) is reported as read-only: trainees cannot change what every trainee shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from labs.manifests.yaml_lines import YamlSyntaxError, parse_documents
from labs.probe_entry import DNS_KEY, SOURCE_KEY, TARGET_KEY, is_outside_source
from labs.workshop.rewrite import Skipped, WorkshopRewriteError, rewrite_document, rewrite_text
from labs.workshop.scope import SHARED_NAMESPACES, NamespaceMap

__all__ = ["LabSupport", "lab_files", "lab_namespaces", "assess_lab", "rewrite_lab_spec", "load_lab_spec",
           "CLUSTER_WIDE_MARKERS"]

_REF_KEYS = (SOURCE_KEY, TARGET_KEY)
"""The probe format's keys that hold a pod or Service reference (`labs.probe_entry`)."""
CLUSTER_WIDE_MARKERS = ("policy_enforcement", "policyEnforcement", "enforcement", "enforcement_mode",
                        "cluster_wide", "clusterWide", "helm_values", "cilium_config")
"""lab.yaml keys (top level or in a step) that mean the lab changes something every trainee shares."""
_CLUSTER_WIDE_REQUIREMENTS = ("cluster-wide", "enforcement-mode", "ccnp", "helm", "cilium-config", "host-firewall")


@dataclass(frozen=True)
class LabSupport:
    """How a lab runs in workshop mode: per trainee ("full"), partly ("partial") or only as a demonstration
    ("read-only"), with the reason for every step that trainees cannot run on the shared cluster."""

    lab_id: str
    mode: str
    reasons: tuple[str, ...] = ()
    """Why the whole lab is read-only (cluster-wide objects among its workloads)."""
    namespaces: tuple[str, ...] = ()
    read_only_steps: Mapping[str, str] = field(default_factory=dict)
    """Step id -> why trainees only watch that step (it needs something cluster-wide)."""

    @property
    def runnable(self) -> bool:
        return self.mode != "read-only"

    def describe(self) -> str:
        if self.mode == "read-only":
            return f"{self.lab_id}: read-only in workshop mode: " + "; ".join(self.reasons)
        text = f"{self.lab_id}: runs per trainee in namespaces {', '.join(self.namespaces) or '(none)'}"
        for step, why in self.read_only_steps.items():
            text += f"; step {step!r} is read-only ({why})"
        return text


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
        docs = parse_documents(path.read_text(encoding="utf-8"))  # the YAML rules and marks the course reads it with
    except YamlSyntaxError as exc:
        where = f"{path}:{exc.line}" if exc.line is not None else str(path)
        raise WorkshopRewriteError(f"{where}: the lab file cannot be read ({exc.message}).") from None
    if len(docs) > 1:
        raise WorkshopRewriteError(f"{path}: a lab file is one YAML document, found {len(docs)}.")
    data = docs[0].data if docs else None
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
            meta = doc["metadata"] if isinstance(doc.get("metadata"), dict) else {}
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
            if key in _REF_KEYS and isinstance(value, str):
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


def _skipped_in(path: Path, lab_dir: Path) -> list[str]:
    out = []
    for index, doc in enumerate(_documents(path)):
        result = rewrite_document(doc, NamespaceMap("probe"), source=f"{lab_dir.name}/{path.relative_to(lab_dir)} "
                                  f"(document {index})")
        if isinstance(result, Skipped):
            out.append(f"{result.source}: {result.kind} {result.name!r} {result.reason.split(';')[0]}")
    return out


def assess_lab(lab_dir: Path) -> LabSupport:
    """Say whether the lab can run per trainee, naming every cluster-wide thing it or its steps need."""
    spec = load_lab_spec(lab_dir)
    workload_files = [lab_dir / str(w) for w in spec.get("workloads") or ["workloads.yaml"]]
    reasons = [r for f in workload_files if f.is_file() for r in _skipped_in(f, lab_dir)]
    read_only: dict[str, str] = {}
    steps = spec["steps"] if isinstance(spec.get("steps"), list) else []
    for step in steps:
        if not isinstance(step, dict) or not step.get("id"):
            continue
        why: list[str] = []
        if step.get("enforcement") not in (None, "default"):
            why.append(f"it sets the policy enforcement mode to {step['enforcement']!r}, which is cluster-wide "
                       "(shown on a simulated copy only)")
        files = [*(step.get("policies") or []), step.get("exercise"), step.get("solution")]
        for name in files:
            if isinstance(name, str) and (lab_dir / name).is_file():
                why += _skipped_in(lab_dir / name, lab_dir)
        why += _spec_markers({k: v for k, v in step.items() if k != "enforcement"}, f"step {step['id']}")
        outside = sorted({str(p.get(SOURCE_KEY)) for p in step.get("probes") or []
                          if isinstance(p, dict) and is_outside_source(p.get(SOURCE_KEY))})
        if outside:
            why.append(f"its probes start outside the cluster (from: {', '.join(outside)}) and need a node port; "
                       "trainees' Services are ClusterIP (node ports are one per cluster)")
        if why:
            read_only[str(step["id"])] = "; ".join(why)
    reasons += _spec_markers({k: v for k, v in spec.items() if k != "steps"}, f"{lab_dir.name}/lab.yaml")
    if reasons:
        mode = "read-only"
    elif read_only:
        mode = "partial"
    else:
        mode = "full"
    return LabSupport(lab_dir.name, mode, tuple(reasons), tuple(lab_namespaces(lab_dir)), read_only)


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
        if key == SOURCE_KEY:
            return nsmap.pod_ref(value)
        if key == TARGET_KEY:
            return nsmap.target(value)
        if key == DNS_KEY:
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
