"""API objects as the API server returns them -> the course's typed Namespace, Pod and Service."""

from __future__ import annotations

from labs.cluster.live.convert import namespace_from_api, pod_from_api, service_from_api
from labs.manifests.objects import ContainerPort, ServicePort, SourceRef


def test_a_service_keeps_its_labels_selector_ports_and_source():
    svc = service_from_api({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "api", "namespace": "backend", "labels": {"tier": "api", "team": "shop"},
                     "resourceVersion": "7"},
        "spec": {"type": "NodePort", "clusterIP": "10.96.0.20", "selector": {"app": "api"},
                 "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP", "nodePort": 30080},
                           {"port": 9090}]}})
    assert (svc.name, svc.namespace, svc.type, svc.cluster_ip) == ("api", "backend", "NodePort", "10.96.0.20")
    assert dict(svc.labels) == {"tier": "api", "team": "shop"}
    assert dict(svc.selector) == {"app": "api"}
    assert svc.ports == (ServicePort(80, "http", "TCP", "http", 30080), ServicePort(9090, 9090, "TCP", None, None))
    assert svc.source == SourceRef(file="<cluster> Service backend/api")


def test_a_service_without_selector_or_labels():
    svc = service_from_api({"metadata": {"name": "ext", "namespace": "shop"}, "spec": {"ports": [{"port": 443}]}})
    assert svc.selector is None
    assert dict(svc.labels) == {}
    assert svc.type == "ClusterIP"


def test_to_services_selects_a_live_service_by_its_labels():
    """A k8sServiceSelector reads Service.labels: a SourceRef there crashed the engine."""
    from labs.manifests import load_text

    svc = service_from_api({"metadata": {"name": "api", "namespace": "backend", "labels": {"tier": "api"}},
                            "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]}})
    manifest = load_text("""\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: to-api, namespace: frontend}
spec:
  endpointSelector: {}
  egress:
  - toServices:
    - k8sServiceSelector:
        selector: {matchLabels: {tier: api}}
        namespace: backend
""", name="to-api.yaml")
    from labs.policy.build import build_entries

    other = service_from_api({"metadata": {"name": "db", "namespace": "backend", "labels": {"tier": "db"}},
                              "spec": {"selector": {"app": "db"}, "ports": [{"port": 5432}]}})
    entries = build_entries(manifest.policies, [svc, other])
    shown = repr(entries)
    assert "Service backend/api" in shown and "Service backend/db" not in shown


def test_a_pod_and_a_namespace():
    pod = pod_from_api({
        "metadata": {"name": "client", "namespace": "frontend", "labels": {"app": "client"},
                     "ownerReferences": [{"kind": "ReplicaSet", "name": "client-7d"}]},
        "spec": {"nodeName": "worker-1", "serviceAccountName": "web", "containers": [
            {"name": "main", "image": "curlimages/curl:8.11.1", "ports": [{"containerPort": 8080, "name": "http"}]}]}})
    assert (pod.name, pod.namespace, pod.node, pod.service_account, pod.image, pod.owner) == (
        "client", "frontend", "worker-1", "web", "curlimages/curl:8.11.1", "ReplicaSet/client-7d")
    assert pod.ports == (ContainerPort(8080, "http", "TCP"),)
    assert dict(pod.labels) == {"app": "client"}
    ns = namespace_from_api({"metadata": {"name": "frontend", "labels": {"team": "web"}}})
    assert (ns.name, dict(ns.labels)) == ("frontend", {"team": "web"})
    assert ns.source == SourceRef(file="<cluster> Namespace frontend")
