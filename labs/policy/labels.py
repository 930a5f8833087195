"""Cilium identity labels: the label set that decides what a policy selector matches.

A pod's identity is its own labels (minus those Cilium ignores) plus the labels Cilium adds: its
namespace, its namespace's labels, its service account and its cluster. Reserved identities (host,
remote-node, world, ...) carry `reserved:` labels. Selector keys are matched with their source:
`k8s:app` matches only Kubernetes labels, `any:app` (or plain `app`) any source.
(cilium-semantics §3.1: pkg/k8s/utils/utils.go SanitizePodLabels, pkg/labelsfilter/filter.go.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

__all__ = [
    "CLUSTER_LABEL", "NAMESPACE_LABEL", "NS_LABELS_PREFIX", "SERVICEACCOUNT_LABEL", "Label", "LabelSet",
    "pod_labels", "reserved_labels", "split_source", "identity_relevant",
]

NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
NS_LABELS_PREFIX = "io.cilium.k8s.namespace.labels."
SERVICEACCOUNT_LABEL = "io.cilium.k8s.policy.serviceaccount"
CLUSTER_LABEL = "io.cilium.k8s.policy.cluster"
DEFAULT_CLUSTER = "default"


@dataclass(frozen=True, order=True)
class Label:
    source: str
    key: str
    value: str = ""

    def __str__(self) -> str:
        return f"{self.source}:{self.key}={self.value}" if self.value or self.source != "reserved" \
            else f"{self.source}:{self.key}"


LabelSet = frozenset  # frozenset[Label]: hashable, so it can key identity caches


def split_source(key: str) -> tuple[str, str]:
    """`k8s:app` -> ("k8s", "app"); `app` -> ("any", "app"); `$host` -> ("reserved", "host")."""
    if key.startswith("$"):
        return "reserved", key[1:]
    source, sep, rest = key.partition(":")
    if not sep:
        return "any", key
    return source, rest


_IGNORED_EXACT = {"pod-template-hash", "controller-revision-hash", "pod-template-generation",
                  "statefulset.kubernetes.io/pod-name", "job-name", "batch.kubernetes.io/job-name",
                  "controller-uid", "batch.kubernetes.io/controller-uid"}


def identity_relevant(key: str) -> bool:
    """Whether Cilium keeps a pod label for the identity (it drops generated and k8s-owned keys)."""
    if key in _IGNORED_EXACT or key.startswith("io.cilium.k8s"):
        return False
    prefix = key.split("/", 1)[0] if "/" in key else ""
    if prefix.startswith("app.kubernetes.io"):
        return True
    return not (prefix.endswith("kubernetes.io") or prefix.endswith("k8s.io"))


def pod_labels(labels: Mapping[str, str], namespace: str, namespace_labels: Mapping[str, str],
               service_account: str = "default", cluster: str = DEFAULT_CLUSTER) -> LabelSet:
    """The identity labels Cilium derives for a pod (all `k8s:`-sourced)."""
    out = {Label("k8s", k, v) for k, v in labels.items() if identity_relevant(k)}
    ns_labels = dict(namespace_labels)
    ns_labels.setdefault("kubernetes.io/metadata.name", namespace)
    out |= {Label("k8s", NS_LABELS_PREFIX + k, v) for k, v in ns_labels.items()}
    out.add(Label("k8s", NAMESPACE_LABEL, namespace))
    out.add(Label("k8s", SERVICEACCOUNT_LABEL, service_account))
    out.add(Label("k8s", CLUSTER_LABEL, cluster))
    return frozenset(out)


def reserved_labels(*names: str, extra: Iterable[Label] = ()) -> LabelSet:
    return frozenset({Label("reserved", n) for n in names} | set(extra))
