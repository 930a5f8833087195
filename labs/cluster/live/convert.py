"""API objects (dicts as the API server returns them) -> the course's typed Namespace, Pod and Service."""

from __future__ import annotations

from typing import Any

from labs.manifests.objects import ContainerPort, Namespace, Pod, Service, ServicePort, SourceRef, frozen_map

__all__ = ["namespace_from_api", "pod_from_api", "service_from_api"]


def _source(kind: str, meta: dict[str, Any]) -> SourceRef:
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return SourceRef(file=f"<cluster> {kind} {ns}{meta.get('name', '')}")


def namespace_from_api(obj: dict[str, Any]) -> Namespace:
    meta = obj.get("metadata") or {}
    return Namespace(meta.get("name", ""), frozen_map(meta.get("labels")), _source("Namespace", meta))


def pod_from_api(obj: dict[str, Any]) -> Pod:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    ports = tuple(ContainerPort(int(p["containerPort"]), p.get("name"), p.get("protocol", "TCP"))
                  for c in spec.get("containers") or [] for p in c.get("ports") or [] if "containerPort" in p)
    owners = meta.get("ownerReferences") or []
    owner = f"{owners[0].get('kind')}/{owners[0].get('name')}" if owners else None
    containers = spec.get("containers") or [{}]
    return Pod(
        name=meta.get("name", ""), namespace=meta.get("namespace", "default"), labels=frozen_map(meta.get("labels")),
        ports=ports, node=spec.get("nodeName"), service_account=spec.get("serviceAccountName") or "default",
        host_network=bool(spec.get("hostNetwork")), image=containers[0].get("image"), owner=owner,
        source=_source("Pod", meta))


def service_from_api(obj: dict[str, Any]) -> Service:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    ports = tuple(ServicePort(int(p["port"]), p.get("targetPort", p["port"]), p.get("protocol", "TCP"), p.get("name"),
                              p.get("nodePort")) for p in spec.get("ports") or [])
    selector = spec.get("selector")
    return Service(name=meta.get("name", ""), namespace=meta.get("namespace", "default"), ports=ports,
                   selector=frozen_map(selector) if selector is not None else None,
                   type=spec.get("type", "ClusterIP"), cluster_ip=spec.get("clusterIP"),
                   labels=frozen_map(meta.get("labels")), source=_source("Service", meta),
                   external_traffic_policy=spec.get("externalTrafficPolicy") or "Cluster")
