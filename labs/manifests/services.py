"""Namespace and Service documents -> typed objects, with the API server's rules for Services.

Service rules trainees hit: names are DNS-1123 labels, ports 1-65535 and unique, named when there
is more than one, nodePort only on NodePort/LoadBalancer Services and within 30000-32767,
targetPort a number or a valid port name.
"""

from __future__ import annotations

from labs.manifests.fields import Field
from labs.manifests.meta import parse_metadata
from labs.manifests.objects import Namespace, Service, ServicePort, frozen_map
from labs.manifests.values import dns1123_label, iana_service_name

__all__ = ["parse_namespace", "parse_service", "NODE_PORT_RANGE"]

NODE_PORT_RANGE = (30000, 32767)


def parse_namespace(doc: Field) -> Namespace | None:
    meta = parse_metadata(doc.child("metadata", doc.value["metadata"]) if "metadata" in doc.value else None, doc,
                          namespaced=False, default_namespace="", name_rule="label")
    if meta is None:
        return None
    labels = {**meta.labels, "kubernetes.io/metadata.name": meta.name}
    return Namespace(name=meta.name, labels=frozen_map(labels), source=meta.source)


def _service_port(node: Field, service_type: str, multiple: bool) -> ServicePort | None:
    value = node.value
    count = len(node.ctx.problems)
    port = value.get("port")
    if not isinstance(port, int) or not 1 <= port <= 65535:
        node.child("port", port).problem(f"The port {port!r} is out of range; expected a number from 1 to 65535.")
    name = value.get("name")
    if name is not None:
        problem = dns1123_label(name)
        if problem:
            node.child("name", name).problem(problem)
    elif multiple:
        node.problem("A Service with more than one port must name every port (ports[].name).")
    target = value.get("targetPort", port)
    if isinstance(target, int) and not 1 <= target <= 65535:
        node.child("targetPort", target).problem(
            f"targetPort {target!r} is out of range; expected a number from 1 to 65535 or a container port name.")
    elif isinstance(target, str) and (target.isdigit() or not iana_service_name(target) or target != target.lower()):
        node.child("targetPort", target).problem(
            f"targetPort {target!r} must be a number (without quotes) or a container port name "
            "(1-15 lower case letters, digits and '-').")
    node_port = value.get("nodePort")
    if node_port is not None:
        low, high = NODE_PORT_RANGE
        if service_type not in ("NodePort", "LoadBalancer"):
            node.child("nodePort", node_port).problem(
                f"nodePort is only allowed on Services of type NodePort or LoadBalancer, not {service_type!r}; "
                "set spec.type: NodePort or remove nodePort.")
        elif not isinstance(node_port, int) or not low <= node_port <= high:
            node.child("nodePort", node_port).problem(
                f"nodePort {node_port!r} is outside the node port range {low}-{high}; pick a port in that range "
                "or leave nodePort out to get one assigned.")
    protocol = value.get("protocol") or "TCP"
    if protocol not in ("TCP", "UDP", "SCTP"):
        node.child("protocol", protocol).problem(f"Unknown protocol {protocol!r}; expected TCP, UDP or SCTP.")
    if len(node.ctx.problems) != count:
        return None
    return ServicePort(port=port, target_port=target, protocol=protocol, name=name, node_port=node_port)


def parse_service(doc: Field, *, default_namespace: str) -> Service | None:
    meta = parse_metadata(doc.child("metadata", doc.value["metadata"]) if "metadata" in doc.value else None, doc,
                          namespaced=True, default_namespace=default_namespace, name_rule="label")
    spec_value = doc.value.get("spec") or {}
    spec = doc.child("spec", spec_value)
    count = len(doc.ctx.problems)
    service_type = spec_value.get("type") or "ClusterIP"
    if service_type not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        spec.child("type", service_type).problem(
            f"Unknown Service type {service_type!r}; expected ClusterIP, NodePort, LoadBalancer or ExternalName.")
    raw_ports = spec_value.get("ports") or []
    if not raw_ports and service_type != "ExternalName" and spec_value.get("clusterIP") != "None":
        spec.problem("A Service needs at least one entry in spec.ports.")
    ports_field = spec.child("ports", raw_ports)
    ports = [_service_port(ports_field.child(i, p), service_type, len(raw_ports) > 1) for i, p in enumerate(raw_ports)]
    seen: set[tuple[int, str]] = set()
    names: set[str] = set()
    for i, port in enumerate(p for p in ports if p is not None):
        if (port.port, port.protocol) in seen:
            ports_field.child(i, None).problem(f"Port {port.port}/{port.protocol} is listed twice in this Service.")
        if port.name and port.name in names:
            ports_field.child(i, None).child("name", port.name).problem(f"The port name {port.name!r} is used twice.")
        seen.add((port.port, port.protocol))
        names.add(port.name or "")
    selector = spec_value.get("selector")
    cluster_ip = spec_value.get("clusterIP")
    traffic_policy = _external_traffic_policy(spec, spec_value, service_type)
    if meta is None or len(doc.ctx.problems) != count or None in ports:
        return None
    return Service(name=meta.name, namespace=meta.namespace or default_namespace, ports=tuple(ports),  # type: ignore[arg-type]
                   selector=frozen_map(selector) if selector else None, type=service_type,
                   labels=frozen_map(meta.labels),
                   cluster_ip=cluster_ip if cluster_ip not in (None, "", "None") else None, source=meta.source,
                   external_traffic_policy=traffic_policy)


def _external_traffic_policy(spec: Field, spec_value: dict, service_type: str) -> str:
    """`externalTrafficPolicy`, as the API server validates it (pkg/apis/core/validation/validation.go,
    `validateServiceExternalTrafficPolicy`): Cluster or Local, and only on a Service reachable from outside
    (NodePort, LoadBalancer, or one with externalIPs)."""
    value = spec_value.get("externalTrafficPolicy")
    if value is None:
        return "Cluster"
    if value not in ("Cluster", "Local"):
        spec.child("externalTrafficPolicy", value).problem(
            f"Unknown externalTrafficPolicy {value!r}; expected Cluster or Local.")
        return "Cluster"
    if service_type not in ("NodePort", "LoadBalancer") and not spec_value.get("externalIPs"):
        spec.child("externalTrafficPolicy", value).problem(
            f"externalTrafficPolicy may only be set on a Service reachable from outside the cluster (type NodePort "
            f"or LoadBalancer), not on type {service_type!r}.")
    return str(value)
