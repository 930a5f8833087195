"""The simulated cluster's objects as the API server would return them: a dict for `-o yaml|json`, and the
cells of the server-side table `kubectl get` prints.

Columns and cell values follow the server's table printers (k8s.io/kubernetes
`pkg/printers/internalversion/printers.go`, `AddHandlers` column definitions and `printPod`,
`printService`, `printDeployment`, `printNamespace`, `printNode`, `printNetworkPolicy`), and for Cilium's
types the CRDs' additionalPrinterColumns (`pkg/k8s/apis/cilium.io/v2/cnp_types.go`, `ccnp_types.go`,
`types.go`: CiliumEndpoint, CiliumIdentity). What the simulation cannot know (OS image, kernel) is not
invented: the callers refuse those columns.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from labs.cluster.sim.policy_status import validation_message
from labs.cluster.sim.records import ObjectRecord
from labs.commands.kubectl.resources import ResourceType, lookup
from labs.commands.kubectl.table import age, format_labels

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["ObjectView", "list_views", "COLUMNS", "timestamp", "LAST_APPLIED"]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

COLUMNS: dict[str, list[tuple[str, int]]] = {
    "Pod": [("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0), ("IP", 1), ("Node", 1),
            ("Nominated Node", 1), ("Readiness Gates", 1)],
    "Service": [("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0), ("Age", 0),
                ("Selector", 1)],
    "Deployment": [("Name", 0), ("Ready", 0), ("Up-to-date", 0), ("Available", 0), ("Age", 0), ("Containers", 1),
                   ("Images", 1), ("Selector", 1)],
    "Namespace": [("Name", 0), ("Status", 0), ("Age", 0)],
    "Node": [("Name", 0), ("Status", 0), ("Roles", 0), ("Age", 0), ("Version", 0), ("Internal-IP", 1),
             ("External-IP", 1), ("OS-Image", 1), ("Kernel-Version", 1), ("Container-Runtime", 1)],
    "NetworkPolicy": [("Name", 0), ("Pod-Selector", 0), ("Age", 0)],
    "CiliumNetworkPolicy": [("Name", 0), ("Age", 0), ("Valid", 0)],
    "CiliumClusterwideNetworkPolicy": [("Name", 0), ("Valid", 0)],
    "CiliumEndpoint": [("Name", 0), ("Security Identity", 0), ("Ingress Enforcement", 1),
                       ("Egress Enforcement", 1), ("Endpoint State", 0), ("IPv4", 0), ("IPv6", 0)],
    "CiliumIdentity": [("Name", 0), ("Namespace", 0), ("Age", 0)],
}

AGE = "\0age"
"""Placeholder cell for the AGE column (never a real value)."""

ENDPOINT_POLICY_STATE_DISABLED = "<status disabled>"
"""Cilium's EndpointPolicyStateDisabled: what CiliumEndpoint ingress/egress enforcement show while the
agent's `endpoint-status` option leaves policy status off (its default)."""


def timestamp(when: datetime) -> str:
    """RFC 3339 in UTC with seconds, as metav1.Time marshals."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ObjectView:
    rtype: ResourceType
    namespace: str | None
    name: str
    labels: dict[str, str]
    created: datetime | None
    obj: dict[str, Any]
    row: list[str]
    """Table cells, AGE written as `AGE` (the age is computed when printed)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def cells(self, now: datetime) -> list[str]:
        return [age(self.created, now) if cell == AGE else cell for cell in self.row]


def _meta(record: ObjectRecord | None, name: str, namespace: str | None, labels: dict[str, str],
          created: datetime | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if created is not None:
        meta["creationTimestamp"] = timestamp(created)
    if record is not None:
        written = record.manifest.get("metadata") or {}
        for key in ("annotations", "ownerReferences"):
            if written.get(key):
                meta[key] = copy.deepcopy(written[key])
        if record.applied:
            meta.setdefault("annotations", {})[LAST_APPLIED] = json.dumps(
                record.manifest, sort_keys=True, separators=(",", ":")) + "\n"
        meta["uid"] = record.uid
        meta["resourceVersion"] = str(record.resource_version)
        if record.kind not in ("Pod", "Namespace", "Service"):
            meta["generation"] = record.generation
    return meta


def _object(record: ObjectRecord | None, api_version: str, kind: str, meta: dict[str, Any],
            status: dict[str, Any] | None = None) -> dict[str, Any]:
    body = copy.deepcopy({k: v for k, v in (record.manifest if record else {}).items()
                          if k not in ("apiVersion", "kind", "metadata", "status")})
    obj = {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}
    if status is not None:
        obj["status"] = status
    return obj


def _selector_text(selector: dict[str, Any] | None) -> str:
    """metav1.FormatLabelSelector: requirements sorted by key; `<none>` for an empty selector."""
    if not selector:
        return "<none>"
    parts: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        parts.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append((key, f"{key} in ({','.join(sorted(values))})"))
        elif op == "NotIn":
            parts.append((key, f"{key} notin ({','.join(sorted(values))})"))
        elif op == "Exists":
            parts.append((key, key))
        elif op == "DoesNotExist":
            parts.append((key, f"!{key}"))
    if not parts:
        return "<none>"
    return ",".join(text for _, text in sorted(parts))


def _containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in ((manifest.get("spec") or {}).get("containers") or []) if isinstance(c, dict)]


def pod_containers(cluster: SimCluster, namespace: str, name: str) -> list[dict[str, Any]]:
    """The pod's containers as written (name, image); one unnamed container when nothing was recorded."""
    record = cluster.records.get("Pod", namespace, name)
    containers = _containers(record.manifest) if record else []
    if containers:
        return containers
    pod = cluster.store.pods.get(f"{namespace}/{name}")
    return [{"name": name.split("-")[0], "image": (pod.image if pod else None) or ""}]


def _pods(cluster: SimCluster) -> list[ObjectView]:
    rt = lookup("pods")
    views = []
    for pod in cluster.pods():
        record = cluster.records.get("Pod", pod.namespace, pod.name)
        created = record.created if record else cluster.created
        containers = pod_containers(cluster, pod.namespace, pod.name)
        ip = cluster.pod_ip(pod.key) or "<none>"
        node_ip = next((n.internal_ip for n in cluster.nodes if n.name == pod.node), "")
        total = len(containers)
        meta = _meta(record, pod.name, pod.namespace, dict(pod.labels), created)
        status = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": node_ip,
                  "hostIPs": [{"ip": node_ip}], "startTime": timestamp(created),
                  "containerStatuses": [{"name": c.get("name", ""), "image": c.get("image", ""), "ready": True,
                                         "restartCount": 0, "started": True,
                                         "state": {"running": {"startedAt": timestamp(created)}}}
                                        for c in sorted(containers, key=lambda c: c.get("name", ""))]}
        obj = _object(record, "v1", "Pod", meta, status)
        obj.setdefault("spec", {"containers": containers})
        obj["spec"]["nodeName"] = pod.node
        row = [pod.name, f"{total}/{total}", "Running", "0", AGE, ip, pod.node or "<none>", "<none>", "<none>"]
        views.append(ObjectView(rt, pod.namespace, pod.name, dict(pod.labels), created, obj, row,
                                {"pod": pod, "containers": containers}))
    return views


def _services(cluster: SimCluster) -> list[ObjectView]:
    rt = lookup("services")
    views = []
    for svc in cluster.services():
        record = cluster.records.get("Service", svc.namespace, svc.name)
        created = record.created if record else cluster.created
        spec = (record.manifest.get("spec") if record else None) or {}
        cluster_ip = "None" if spec.get("clusterIP") == "None" else (svc.cluster_ip or "<none>")
        ports = []
        for p in svc.ports:
            ports.append(f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port else f"{p.port}/{p.protocol}")
        external = ",".join(spec.get("externalIPs") or []) or ("<pending>" if svc.type == "LoadBalancer"
                                                                else "<none>")
        selector = dict(svc.selector) if svc.selector is not None else None
        meta = _meta(record, svc.name, svc.namespace, dict(svc.labels), created)
        obj = _object(record, "v1", "Service", meta, {"loadBalancer": {}})
        obj.setdefault("spec", {})
        if svc.cluster_ip and cluster_ip != "None":
            obj["spec"]["clusterIP"] = svc.cluster_ip
            obj["spec"]["clusterIPs"] = [svc.cluster_ip]
        obj["spec"].setdefault("type", svc.type)
        row = [svc.name, svc.type, cluster_ip, external, ",".join(ports) or "<none>", AGE, format_labels(selector)]
        views.append(ObjectView(rt, svc.namespace, svc.name, dict(svc.labels), created, obj, row, {"svc": svc}))
    return views


def _deployments(cluster: SimCluster) -> list[ObjectView]:
    rt = lookup("deployments")
    views = []
    for record in sorted(cluster.records.of_kind("Deployment"), key=lambda r: (r.namespace or "", r.name)):
        spec = record.manifest.get("spec") or {}
        replicas = spec.get("replicas", 1)
        replicas = 1 if replicas is None else int(replicas)
        template = spec.get("template") or {}
        containers = _containers(template)
        labels = dict((record.manifest.get("metadata") or {}).get("labels") or {})
        meta = _meta(record, record.name, record.namespace, labels, record.created)
        meta.setdefault("annotations", {})["deployment.kubernetes.io/revision"] = "1"
        status = {"availableReplicas": replicas, "observedGeneration": record.generation,
                  "readyReplicas": replicas, "replicas": replicas, "updatedReplicas": replicas} if replicas \
            else {"observedGeneration": record.generation}
        obj = _object(record, "apps/v1", "Deployment", meta, status)
        names = ",".join(c.get("name", "") for c in containers)
        images = ",".join(c.get("image", "") for c in containers)
        row = [record.name, f"{replicas}/{replicas}", str(replicas), str(replicas), AGE, names, images,
               _selector_text(spec.get("selector"))]
        views.append(ObjectView(rt, record.namespace, record.name, labels, record.created, obj, row))
    return views


def _namespaces(cluster: SimCluster) -> list[ObjectView]:
    rt = lookup("namespaces")
    views = []
    for ns in cluster.namespaces():
        record = cluster.records.get("Namespace", None, ns.name)
        created = record.created if record else cluster.created
        meta = _meta(record, ns.name, None, dict(ns.labels), created)
        obj = _object(record, "v1", "Namespace", meta, {"phase": "Active"})
        obj["spec"] = {"finalizers": ["kubernetes"]}
        views.append(ObjectView(rt, None, ns.name, dict(ns.labels), created, obj, [ns.name, "Active", AGE]))
    return views


def kubernetes_version() -> str:
    """`v<KUBERNETES_VERSION>` from versions.lock (the kubelet version nodes report)."""
    from labs.paths import repo_root

    for line in (repo_root() / "versions.lock").read_text(encoding="utf-8").splitlines():
        if line.startswith("KUBERNETES_VERSION="):
            return "v" + line.split("=", 1)[1].strip()
    return "<unknown>"


def _nodes(cluster: SimCluster) -> list[ObjectView]:
    rt = lookup("nodes")
    version = kubernetes_version()
    views = []
    for node in cluster.nodes:
        labels = {"kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux"}
        if node.control_plane:
            labels["node-role.kubernetes.io/control-plane"] = ""
        meta = {"name": node.name, "labels": labels, "creationTimestamp": timestamp(cluster.created)}
        obj = {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": {"podCIDR": node.pod_cidr,
                                                                              "podCIDRs": [node.pod_cidr]},
               "status": {"addresses": [{"address": node.internal_ip, "type": "InternalIP"},
                                        {"address": node.name, "type": "Hostname"}],
                          "nodeInfo": {"kubeletVersion": version}}}
        roles = "control-plane" if node.control_plane else "<none>"
        row = [node.name, "Ready", roles, AGE, version, node.internal_ip, "<none>", "", "", ""]
        views.append(ObjectView(rt, None, node.name, labels, cluster.created, obj, row))
    return views


def _policies(cluster: SimCluster, kind: str) -> list[ObjectView]:
    rt = next(r for r in (lookup("cnp"), lookup("ccnp"), lookup("netpol")) if r.kind == kind)
    views = []
    for policy in cluster.policies():
        if policy.kind != kind:
            continue
        record = cluster.records.get(kind, policy.namespace, policy.name)
        created = record.created if record else cluster.created
        labels = dict((record.manifest.get("metadata") or {}).get("labels") or {}) if record else {}
        meta = _meta(record, policy.name, policy.namespace, labels, created)
        status = None
        valid = ""
        if kind != "NetworkPolicy":
            message = validation_message(policy)
            valid = "False" if message else "True"
            status = {"conditions": [{"lastTransitionTime": timestamp(created),
                                      "message": message or "Policy validation succeeded",
                                      "status": valid, "type": "Valid"}]}
        api = "networking.k8s.io/v1" if kind == "NetworkPolicy" else "cilium.io/v2"
        obj = _object(record, api, kind, meta, status)
        spec = (record.manifest.get("spec") if record else None) or {}
        if kind == "NetworkPolicy":
            row = [policy.name, _selector_text(spec.get("podSelector")), AGE]
        elif kind == "CiliumNetworkPolicy":
            row = [policy.name, AGE, valid]
        else:
            row = [policy.name, valid]
        views.append(ObjectView(rt, policy.namespace, policy.name, labels, created, obj, row,
                                {"policy": policy, "valid": valid, "message": (status or {}).get("conditions",
                                                                                              [{}])[0].get("message")}))
    return views


def _endpoints(cluster: SimCluster) -> list[ObjectView]:
    rt = lookup("cep")
    views = []
    for pod in cluster.pods():
        if pod.host_network:
            continue
        record = cluster.records.get("Pod", pod.namespace, pod.name)
        created = record.created if record else cluster.created
        identity = cluster.identity(pod.key)
        ip = cluster.pod_ip(pod.key) or ""
        endpoint_id = cluster.endpoint_id(pod.key) or 0
        meta = {"name": pod.name, "namespace": pod.namespace, "labels": dict(pod.labels),
                "creationTimestamp": timestamp(created),
                "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": pod.name}]}
        obj = {"apiVersion": "cilium.io/v2", "kind": "CiliumEndpoint", "metadata": meta,
               "status": {"id": endpoint_id, "identity": {"id": identity}, "state": "ready",
                          "networking": {"addressing": [{"ipv4": ip}]},
                          "policy": {"ingress": {"enforcing": False, "state": ENDPOINT_POLICY_STATE_DISABLED},
                                     "egress": {"enforcing": False, "state": ENDPOINT_POLICY_STATE_DISABLED}}}}
        row = [pod.name, str(identity), ENDPOINT_POLICY_STATE_DISABLED, ENDPOINT_POLICY_STATE_DISABLED, "ready", ip,
               ""]
        views.append(ObjectView(rt, pod.namespace, pod.name, dict(pod.labels), created, obj, row))
    return views


def _identities(cluster: SimCluster) -> list[ObjectView]:
    rt = lookup("ciliumid")
    seen: dict[int, ObjectView] = {}
    for pod in cluster.pods():
        if pod.host_network:
            continue
        security = cluster.identity_labels(pod.key) or frozenset()
        number = cluster.identity(pod.key)
        if number is None:
            continue
        record = cluster.records.get("Pod", pod.namespace, pod.name)
        created = record.created if record else cluster.created
        if number in seen:
            view = seen[number]
            if view.created is not None and created < view.created:
                view.created = created
                view.obj["metadata"]["creationTimestamp"] = timestamp(created)
            continue
        labels = {label.key: label.value for label in security if label.source == "k8s"}
        security_labels = {f"k8s:{k}": v for k, v in sorted(labels.items())}
        obj = {"apiVersion": "cilium.io/v2", "kind": "CiliumIdentity",
               "metadata": {"name": str(number), "labels": dict(sorted(labels.items())),
                            "creationTimestamp": timestamp(created)},
               "security-labels": security_labels}
        seen[number] = ObjectView(rt, None, str(number), labels, created, obj,
                                  [str(number), labels.get("io.kubernetes.pod.namespace", ""), AGE])
    return list(seen.values())


_LISTERS: dict[str, Callable[[SimCluster], list[ObjectView]]] = {
    "Pod": _pods, "Service": _services, "Deployment": _deployments, "Namespace": _namespaces, "Node": _nodes,
    "NetworkPolicy": lambda c: _policies(c, "NetworkPolicy"),
    "CiliumNetworkPolicy": lambda c: _policies(c, "CiliumNetworkPolicy"),
    "CiliumClusterwideNetworkPolicy": lambda c: _policies(c, "CiliumClusterwideNetworkPolicy"),
    "CiliumEndpoint": _endpoints, "CiliumIdentity": _identities,
}


def list_views(cluster: SimCluster, rtype: ResourceType) -> list[ObjectView]:
    """Every object of a type, in the API server's list order (namespace, then name)."""
    views = _LISTERS[rtype.kind](cluster)
    return sorted(views, key=lambda v: (v.namespace or "", v.name))
