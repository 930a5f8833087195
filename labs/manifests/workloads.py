"""Pods and the workloads that create them, expanded into the `Pod` objects Kubernetes would create.

Runs after the schema check, so types are right; this adds the API server's rules trainees hit
(selector must match the template's labels, unique valid port names) and names pods as the
controllers do: Deployment `<name>-<pod-template-hash>-<5>`, ReplicaSet `<name>-<5>`, StatefulSet
`<name>-<ordinal>`, DaemonSet `<name>-<5>` once per node. Hashes and suffixes are derived from the
object itself (not random), so the same file always yields the same pod names.
"""

from __future__ import annotations

import json
from typing import Any

from labs.manifests.fields import Field
from labs.manifests.meta import Meta, parse_labels, parse_metadata
from labs.manifests.objects import ContainerPort, Pod, frozen_map
from labs.manifests.values import iana_service_name

__all__ = ["WORKLOAD_KINDS", "expand_workload", "pod_template_hash", "name_suffix", "selector_matches"]

WORKLOAD_KINDS = ("Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
"""The alphabet Kubernetes uses for generated name suffixes and safe-encoded hashes."""


def _fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _safe_encode(text: str) -> str:
    return "".join(_ALPHANUMS[ord(ch) % len(_ALPHANUMS)] for ch in text)


def pod_template_hash(template: Any) -> str:
    """A stable hash of a pod template, encoded like Kubernetes' `pod-template-hash` (e.g. '7c5ddbdf54').

    Kubernetes hashes its Go struct dump, which cannot be reproduced here; this hashes canonical JSON
    with the same FNV-32a and encoding, so names look and behave like real ones.
    """
    digest = _fnv32a(json.dumps(template, sort_keys=True, default=str).encode())
    return _safe_encode(str(digest))


def name_suffix(seed: str) -> str:
    """Five characters from Kubernetes' suffix alphabet, derived from `seed` (deterministic)."""
    value = _fnv32a(seed.encode())
    chars = []
    for _ in range(5):
        chars.append(_ALPHANUMS[value % len(_ALPHANUMS)])
        value //= len(_ALPHANUMS)
        value ^= _fnv32a(f"{seed}{len(chars)}".encode()) >> 8
    return "".join(chars)


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Does a Kubernetes label selector (already schema-valid) match these labels?"""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if (op == "In" and (not present or labels[key] not in values)) or (
                op == "NotIn" and present and labels[key] in values) or (
                op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def _pod_spec(spec: Field) -> dict[str, Any] | None:
    """Ports, service account, host network, node and image of a pod spec; port names checked."""
    value = spec.value if isinstance(spec.value, dict) else {}
    ports: list[ContainerPort] = []
    seen: dict[str, int] = {}
    count = len(spec.ctx.problems)
    for c_index, container in enumerate(value.get("containers") or ()):
        for p_index, port in enumerate(container.get("ports") or ()):
            where = spec.child("containers", None).child(c_index, None).child("ports", None).child(p_index, port)
            number = port.get("containerPort")
            if not isinstance(number, int) or not 1 <= number <= 65535:
                where.child("containerPort", number).problem(
                    f"containerPort {number!r} is out of range; expected a number from 1 to 65535.")
                continue
            name = port.get("name")
            if name is not None:
                if not iana_service_name(name) or name != name.lower():
                    where.child("name", name).problem(
                        f"The port name {name!r} is not valid: 1-15 lower case letters, digits and '-', with at "
                        "least one letter (policies refer to ports by these names).")
                    continue
                if name in seen:
                    where.child("name", name).problem(f"The port name {name!r} is used twice in this pod; "
                                                      "port names must be unique.")
                    continue
                seen[name] = number
            ports.append(ContainerPort(port=number, name=name, protocol=port.get("protocol") or "TCP"))
    if len(spec.ctx.problems) != count:
        return None
    containers = value.get("containers") or [{}]
    return {
        "ports": tuple(ports),
        "service_account": value.get("serviceAccountName") or value.get("serviceAccount") or "default",
        "host_network": bool(value.get("hostNetwork")),
        "node": value.get("nodeName"),
        "image": containers[0].get("image"),
    }


def _template(doc: Field, meta: Meta) -> tuple[dict[str, str], dict[str, Any]] | None:
    """Checks the selector against the template labels; returns (template labels, pod spec facts)."""
    kind = doc.ctx.kind
    spec_value = doc.value.get("spec") or {}
    spec = doc.child("spec", spec_value)
    template = spec.child("template", spec_value.get("template") or {})
    template_meta = template.value.get("metadata") or {}
    labels_field = template.child("metadata", template_meta).child("labels", template_meta.get("labels") or {})
    labels = parse_labels(labels_field)
    selector = spec_value.get("selector")
    count = len(doc.ctx.problems)
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        spec.child("selector", selector).problem(
            f"A {kind} needs a non-empty spec.selector that matches spec.template.metadata.labels, "
            "for example selector: {matchLabels: {app: web}}.")
    elif labels is not None and not selector_matches(selector, labels):
        spec.child("selector", selector).problem(
            f"The selector {selector!r} does not match the template labels {labels!r}; the API server rejects "
            f"this {kind} (`selector` does not match template `labels`). Make them agree.")
    facts = _pod_spec(template.child("spec", template.value.get("spec") or {}))
    if labels is None or facts is None or len(doc.ctx.problems) != count:
        return None
    return labels, facts


def expand_workload(doc: Field, *, default_namespace: str, nodes: tuple[str, ...]) -> list[Pod] | None:
    """The pods one Pod/Deployment/ReplicaSet/StatefulSet/DaemonSet document stands for."""
    kind = doc.ctx.kind
    meta = parse_metadata(doc.child("metadata", doc.value.get("metadata")) if "metadata" in doc.value else None,
                          doc, namespaced=True, default_namespace=default_namespace)
    if meta is None:
        return None
    namespace = meta.namespace or default_namespace
    if kind == "Pod":
        facts = _pod_spec(doc.child("spec", doc.value.get("spec") or {}))
        if facts is None:
            return None
        return [Pod(name=meta.name, namespace=namespace, labels=frozen_map(meta.labels), source=meta.source, **facts)]
    found = _template(doc, meta)
    if found is None:
        return None
    labels, facts = found
    spec = doc.value.get("spec") or {}
    replicas = spec.get("replicas", 1)
    replicas = 1 if replicas is None else replicas
    owner = f"{kind}/{meta.name}"
    template_hash = pod_template_hash(spec.get("template"))
    pods: list[Pod] = []

    def add(name: str, extra: dict[str, str], node: str | None = None) -> None:
        pod_facts = dict(facts)
        if node is not None:
            pod_facts["node"] = node
        pods.append(Pod(name=name, namespace=namespace, labels=frozen_map({**labels, **extra}), owner=owner,
                        source=meta.source, **pod_facts))

    if kind == "Deployment":
        replica_set = f"{meta.name}-{template_hash}"
        for i in range(replicas):
            add(f"{replica_set}-{name_suffix(f'{namespace}/{replica_set}/{i}')}", {"pod-template-hash": template_hash})
    elif kind == "ReplicaSet":
        for i in range(replicas):
            add(f"{meta.name}-{name_suffix(f'{namespace}/{meta.name}/{i}')}", {})
    elif kind == "StatefulSet":
        revision = f"{meta.name}-{template_hash}"
        for i in range(replicas):
            add(f"{meta.name}-{i}", {"controller-revision-hash": revision, "apps.kubernetes.io/pod-index": str(i),
                                     "statefulset.kubernetes.io/pod-name": f"{meta.name}-{i}"})
    else:  # DaemonSet
        revision = template_hash
        for node in nodes:
            add(f"{meta.name}-{name_suffix(f'{namespace}/{meta.name}/{node}')}",
                {"controller-revision-hash": revision, "pod-template-generation": "1"}, node=node)
    return pods
