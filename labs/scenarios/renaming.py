"""Give one run of a scenario namespaces of its own: `frontend` becomes `frontend-<run id>` everywhere.

Every scenario of the corpus uses a handful of names (`frontend`, `backend`, `default`), so two runs on
one real cluster, or one run right after another whose namespaces are still terminating, would collide.
A run therefore renames each namespace the scenario creates, and rewrites every place where a policy or
a probe names one, so that what the policies select is unchanged:

- `metadata.namespace` of namespaced policies (a policy without one lived in `default`, now renamed);
- in every label selector (`matchLabels`, `matchExpressions` values), the keys whose value is a
  namespace name: `io.kubernetes.pod.namespace` and `kubernetes.io/metadata.name`, plain or behind a
  Cilium source prefix (`k8s:`, `any:`) or the namespace-label prefix `io.cilium.k8s.namespace.labels.`;
- the `namespace` of `toServices` references (`k8sService`, `k8sServiceSelector`);
- the name of cluster-wide policies (two runs' CCNPs must not overwrite each other);
- probe sources and targets (`ns/pod`, `svc:ns/name`); a pod the scenario puts in `kube-system` keeps
  that namespace and carries the run id in its name.

`kube-system` is never renamed (the cluster's DNS lives there). Whether the rewrite preserves every
verdict is a test: the renamed scenario on the simulated backend gives the same outcomes as the original
(tests/scenarios/test_live_workload.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

from labs.probes import Probe, Target

__all__ = ["NamespaceRenamer", "NAMESPACE_VALUE_KEYS", "KEPT_NAMESPACES"]

NAMESPACE_VALUE_KEYS = ("io.kubernetes.pod.namespace", "kubernetes.io/metadata.name")
"""Label keys whose value is a namespace name (see cilium/cilium pkg/k8s/apis/cilium.io/const.go,
`PodNamespaceLabel`, and the `kubernetes.io/metadata.name` label the API server sets on namespaces)."""
_NS_LABEL_PREFIX = "io.cilium.k8s.namespace.labels."
KEPT_NAMESPACES = ("kube-system",)
_MAX_NAME = 63


def _is_namespace_key(key: str) -> bool:
    bare = key.split(":", 1)[1] if ":" in key and key.split(":", 1)[0] in ("k8s", "any") else key
    if bare.startswith(_NS_LABEL_PREFIX):
        bare = bare[len(_NS_LABEL_PREFIX):]
    return bare in NAMESPACE_VALUE_KEYS


@dataclass(frozen=True)
class NamespaceRenamer:
    """Renames a scenario's namespaces with one run's suffix; everything else passes through."""

    suffix: str
    names: frozenset[str]
    """The namespaces the scenario creates (those named in its `cluster:` section, `default` included)."""

    def namespace(self, name: str) -> str:
        if name not in self.names or name in KEPT_NAMESPACES:
            return name
        tail = f"-{self.suffix}"
        return name[: _MAX_NAME - len(tail)] + tail

    def pod_name(self, namespace: str, name: str) -> str:
        """A pod keeps its name in a renamed namespace; in one the run does not own (kube-system) it
        carries the run id instead, so two runs' pods do not meet there."""
        if self.namespace(namespace) != namespace or namespace not in self.names:
            return name
        tail = f"-{self.suffix}"
        return name[: _MAX_NAME - len(tail)] + tail

    def pod_key(self, key: str) -> str:
        """`frontend/client` -> `frontend-<run>/client`; `kube-system/agent` -> `kube-system/agent-<run>`."""
        namespace, _, name = key.partition("/")
        return f"{self.namespace(namespace)}/{self.pod_name(namespace, name)}" if name else key

    def service_key(self, key: str) -> str:
        """`backend/api` -> `backend-<run>/api`; Services of kube-system are the cluster's own."""
        namespace, _, name = key.partition("/")
        return f"{self.namespace(namespace)}/{name}" if name else key

    def probe(self, probe: Probe) -> Probe:
        source = probe.source if probe.outside else self.pod_key(probe.source)
        target = probe.target
        if target is not None and target.kind == "pod":
            target = Target("pod", self.pod_key(target.value))
        elif target is not None and target.kind == "svc":
            target = Target("svc", self.service_key(target.value))
        return replace(probe, source=source, target=target)

    # Policies -------------------------------------------------------------------------------------

    def policy(self, doc: dict[str, Any], *, namespaced: bool) -> dict[str, Any]:
        """A renamed deep copy of one policy document."""
        out = copy.deepcopy(doc)
        meta = out.setdefault("metadata", {})
        if namespaced:
            meta["namespace"] = self.namespace(str(meta.get("namespace") or "default"))
        elif meta.get("name"):
            meta["name"] = f"{meta['name']}-{self.suffix}"
        for key in ("spec", "specs"):
            if key in out:
                out[key] = self._walk(out[key])
        return out

    def _walk(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "matchLabels" and isinstance(value, dict):
                result[key] = {k: self.namespace(v) if _is_namespace_key(str(k)) and isinstance(v, str) else v
                               for k, v in value.items()}
            elif key == "matchExpressions" and isinstance(value, list):
                result[key] = [self._expression(e) for e in value]
            elif key in ("k8sService", "k8sServiceSelector") and isinstance(value, dict):
                service = self._walk(value)
                if isinstance(service.get("namespace"), str):
                    service["namespace"] = self.namespace(service["namespace"])
                result[key] = service
            else:
                result[key] = self._walk(value)
        return result

    def _expression(self, expression: Any) -> Any:
        if not isinstance(expression, dict) or not _is_namespace_key(str(expression.get("key", ""))):
            return self._walk(expression)
        values = expression.get("values")
        if not isinstance(values, list):
            return dict(expression)
        return {**expression, "values": [self.namespace(v) if isinstance(v, str) else v for v in values]}
