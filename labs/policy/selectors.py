"""Label selectors as Cilium evaluates them, including the namespace and cluster it injects.

`compile_selector` turns a model LabelSelector into a `Selector` with a `matches(labels)` method.
`subject_selector` and `peer_selector` apply Cilium's injection rules (cilium-semantics §3.2,
pkg/k8s/apis/cilium.io/utils/utils.go): a CNP's subject is confined to its namespace; a CNP's
endpoint peers default to its namespace unless they name a namespace or namespace labels; a CCNP's
peers default to "any namespace" (pods only); every peer is confined to the local cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from labs.policy.labels import CLUSTER_LABEL, DEFAULT_CLUSTER, NAMESPACE_LABEL, NS_LABELS_PREFIX, Label, split_source
from labs.policy.model import LabelSelector

__all__ = ["Requirement", "Selector", "compile_selector", "peer_selector", "subject_selector"]


def _index(labels: Iterable[Label]) -> dict[str, list[tuple[str, str]]]:
    """Label key -> [(source, value)], so a requirement looks at its own key only."""
    out: dict[str, list[tuple[str, str]]] = {}
    for lb in labels:
        out.setdefault(lb.key, []).append((lb.source, lb.value))
    return out


@lru_cache(maxsize=16384)
def _by_key(labels: frozenset[Label]) -> dict[str, list[tuple[str, str]]]:
    """`_index` of an identity's label set, computed once per label set (callers must not modify it)."""
    return _index(labels)


@dataclass(frozen=True)
class Requirement:
    """One normalised condition: source-qualified key, operator and values."""

    source: str
    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: frozenset[Label]) -> bool:
        return self.matches_index(_by_key(labels) if isinstance(labels, frozenset) else _index(labels))

    def matches_index(self, by_key: dict[str, list[tuple[str, str]]]) -> bool:
        """`matches` on a label set already indexed by key (see `_index`)."""
        pairs = by_key.get(self.key, ())
        found = [v for source, v in pairs if source == self.source] if self.source != "any" else [v for _, v in pairs]
        if self.operator == "In":
            return any(v in self.values for v in found)
        if self.operator == "NotIn":
            return not any(v in self.values for v in found)
        if self.operator == "Exists":
            return bool(found)
        if self.operator == "DoesNotExist":
            return not found
        raise ValueError(f"unknown selector operator {self.operator!r}")

    def __str__(self) -> str:
        key = f"{self.source}:{self.key}"
        if self.operator == "In" and len(self.values) == 1:
            return f"{key}={next(iter(self.values))}"
        if self.operator in ("Exists", "DoesNotExist"):
            return f"{key} {self.operator}"
        return f"{key} {self.operator} ({', '.join(sorted(self.values))})"


@dataclass(frozen=True)
class Selector:
    """A conjunction of requirements; no requirement selects every identity it is asked about."""

    requirements: tuple[Requirement, ...] = ()
    path: str = ""
    written: str = field(default="", compare=False)

    def matches(self, labels: frozenset[Label]) -> bool:
        if not self.requirements:
            return True
        by_key = _by_key(labels) if isinstance(labels, frozenset) else _index(labels)
        for r in self.requirements:  # noqa: SIM110 (a plain loop: the engine's innermost call)
            if not r.matches_index(by_key):
                return False
        return True

    def has_key(self, source_key_pairs: Iterable[tuple[str, str]]) -> bool:
        wanted = set(source_key_pairs)
        return any((r.source, r.key) in wanted for r in self.requirements)

    def with_requirement(self, req: Requirement) -> Selector:
        return Selector(self.requirements + (req,), self.path, self.written)

    def __str__(self) -> str:
        return "{" + ", ".join(str(r) for r in self.requirements) + "}" if self.requirements else "{} (everything)"


def compile_selector(sel: LabelSelector | None) -> Selector:
    if sel is None:
        return Selector()
    reqs: list[Requirement] = []
    for key, value in sel.match_labels:
        source, bare = split_source(key)
        reqs.append(Requirement(source, bare, "In", frozenset({str(value)})))
    for expr in sel.match_expressions:
        source, bare = split_source(expr.key)
        reqs.append(Requirement(source, bare, expr.operator, frozenset(str(v) for v in expr.values)))
    written = ", ".join([f"{k}: {v}" for k, v in sel.match_labels] +
                        [f"{e.key} {e.operator} {list(e.values)}" for e in sel.match_expressions])
    return Selector(tuple(reqs), sel.path, written)


_NS_KEYS = (("k8s", NAMESPACE_LABEL), ("any", NAMESPACE_LABEL))


def subject_selector(sel: LabelSelector | None, namespace: str | None) -> Selector:
    """endpointSelector of a rule; CNP subjects are confined to the policy's namespace."""
    compiled = compile_selector(sel)
    if namespace is None:
        return compiled
    kept = tuple(r for r in compiled.requirements if (r.source, r.key) not in _NS_KEYS)
    return Selector(kept + (Requirement("k8s", NAMESPACE_LABEL, "In", frozenset({namespace})),),
                    compiled.path, compiled.written)


def peer_selector(sel: LabelSelector | None, namespace: str | None) -> Selector:
    """fromEndpoints / toEndpoints entry with Cilium's namespace and cluster injection.

    `namespace` is the CNP's namespace, or None for a CCNP.
    """
    compiled = compile_selector(sel)
    if any(r.source == "reserved" for r in compiled.requirements):
        return compiled
    if not compiled.has_key(_NS_KEYS):
        names_ns_labels = any(r.key.startswith(NS_LABELS_PREFIX) and r.source in ("k8s", "any")
                              for r in compiled.requirements)
        if namespace is not None and not names_ns_labels:
            compiled = compiled.with_requirement(Requirement("k8s", NAMESPACE_LABEL, "In", frozenset({namespace})))
        elif namespace is None:
            compiled = compiled.with_requirement(Requirement("k8s", NAMESPACE_LABEL, "Exists"))
    if not compiled.has_key((("k8s", CLUSTER_LABEL), ("any", CLUSTER_LABEL))):
        compiled = compiled.with_requirement(Requirement("k8s", CLUSTER_LABEL, "In", frozenset({DEFAULT_CLUSTER})))
    return compiled
