"""The live backend (`labs.cluster.live`) against a real API server: apply, delete, namespaces, bounded waits.

The local cluster has no kubelet, so pods are never scheduled: waits must end at their deadline with a
message that says so. Every test works in namespaces of its own (prefix `rt-`), so tests can run in
parallel on one cluster.
"""

from __future__ import annotations

import time
import uuid

import pytest

from labs.cluster.base import ClusterError
from labs.cluster.live.api import resource_path


def _ns(tag: str) -> str:
    return f"rt-{tag}-{uuid.uuid4().hex[:6]}"


def _configmap(ns: str, name: str, value: str = "1") -> str:
    return f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}, namespace: {ns}}}
data: {{value: "{value}"}}
"""


def _cnp(ns: str, name: str, port: str = "80") -> str:
    return f"""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: {name}, namespace: {ns}}}
spec:
  endpointSelector: {{matchLabels: {{app: web}}}}
  ingress:
    - fromEndpoints: [{{matchLabels: {{app: client}}}}]
      toPorts: [{{ports: [{{port: "{port}", protocol: TCP}}]}}]
"""


def test_connects_and_sees_the_cilium_crds(live):
    assert live.connection.kubernetes_version == "v1.35.8"
    assert live.connection.cilium_installed
    assert live.api.server.startswith("https://127.0.0.1:")


def test_apply_creates_then_reports_unchanged_then_configured(live):
    ns = _ns("apply")
    text = _configmap(ns, "settings") + "---" + _cnp(ns, "web-from-client")
    first = live.apply(text, lab="rtlab", wait=False)
    assert set(first.created) == {f"Namespace {ns}", f"ConfigMap {ns}/settings",
                                  f"CiliumNetworkPolicy {ns}/web-from-client"}
    again = live.apply(text, lab="rtlab", wait=False)
    assert not again.created and not again.configured
    assert set(again.unchanged) >= {f"ConfigMap {ns}/settings", f"CiliumNetworkPolicy {ns}/web-from-client"}
    changed = live.apply(_cnp(ns, "web-from-client", port="8080"), wait=False)
    assert changed.configured == (f"CiliumNetworkPolicy {ns}/web-from-client",)
    stored = live.api.get(resource_path("cilium.io/v2", "ciliumnetworkpolicies", namespace=ns,
                                        name="web-from-client"))
    assert stored["spec"]["ingress"][0]["toPorts"][0]["ports"][0]["port"] == "8080"
    managers = {m["manager"] for m in stored["metadata"]["managedFields"]}
    assert managers == {"ciliumlab"}
    assert ns in live.lab_namespaces("rtlab")
    policies = [p for p in live.policies() if getattr(p, "namespace", None) == ns]
    assert len(policies) == 1
    live.delete_namespaces([ns], timeout=60)


def _terminating_namespace(live, ns: str) -> str:
    """A namespace stuck in Terminating: a ConfigMap with a finalizer nobody removes holds it."""
    live.apply(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: held, namespace: {ns}, finalizers: [ciliumlab.io/test-hold]}}
""", wait=False)
    live.api.delete(resource_path("v1", "namespaces", name=ns))
    deadline = time.monotonic() + 30
    while live.api.get(resource_path("v1", "namespaces", name=ns))["status"].get("phase") != "Terminating":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return resource_path("v1", "configmaps", namespace=ns, name="held")


def _release(live, held: str, ns: str) -> None:
    live.api.request("PATCH", held, body={"metadata": {"finalizers": None}},
                     content_type="application/merge-patch+json")
    deadline = time.monotonic() + 60
    while live.api.get_or_none(resource_path("v1", "namespaces", name=ns)) is not None:
        assert time.monotonic() < deadline, f"{ns} still there after 60 s"
        time.sleep(0.5)


def _restricted_namespace(live, ns: str) -> None:
    """A namespace whose Pod Security level is `restricted`: admission refuses a plain nginx pod there."""
    live.ensure_namespace(ns, labels={"pod-security.kubernetes.io/enforce": "restricted"})


def _plain_pod(ns: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: plain, namespace: {ns}}}
spec: {{containers: [{{name: web, image: "nginx:1.27"}}]}}
"""


def _wait_absent(live, ns: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while live.api.get_or_none(resource_path("v1", "namespaces", name=ns)) is not None:
        assert time.monotonic() < deadline, f"{ns} still there after {timeout:g} s"
        time.sleep(0.5)


def test_a_document_the_server_rejects_means_nothing_is_applied(live):
    """The validator accepts all three documents; Pod Security admission (which a dry run runs) refuses the
    pod. The other two must not be applied, and the namespace created for them must be removed again."""
    strict, fresh = _ns("restricted"), _ns("fresh")
    _restricted_namespace(live, strict)
    text = _configmap(fresh, "first") + "---" + _cnp(fresh, "web-from-client") + "---" + _plain_pod(strict)
    with pytest.raises(ClusterError) as err:
        live.apply(text, wait=False)
    message = str(err.value)
    assert "rejected 1 document" in message and "nothing was applied" in message
    assert f"Pod {strict}/plain" in message and 'violates PodSecurity "restricted' in message
    assert live.api.get_or_none(resource_path("v1", "configmaps", namespace=fresh, name="first")) is None
    assert live.api.get_or_none(resource_path("cilium.io/v2", "ciliumnetworkpolicies", namespace=fresh,
                                              name="web-from-client")) is None
    _wait_absent(live, fresh)
    live.delete_namespaces([strict], timeout=60)


def test_a_corrected_apply_right_after_a_rejected_one_succeeds(live):
    """The rejected apply deletes the namespace it created; deletion takes the namespace controller a few
    seconds, and a namespace being deleted refuses new objects. The next apply waits for it to go."""
    strict, fresh = _ns("restricted"), _ns("again")
    _restricted_namespace(live, strict)
    with pytest.raises(ClusterError):
        live.apply(_configmap(fresh, "first") + "---" + _plain_pod(strict), wait=False)
    result = live.apply(_configmap(fresh, "first"), wait=False)
    assert f"ConfigMap {fresh}/first" in result.created
    assert live.api.get(resource_path("v1", "configmaps", namespace=fresh, name="first"))["data"] == {"value": "1"}
    live.delete_namespaces([strict, fresh], timeout=60)


def test_waiting_for_a_namespace_being_deleted_is_bounded(live):
    """A finalizer nobody removes keeps the namespace Terminating: the apply gives up after its wait."""
    from labs.cluster.live.apply import apply_documents
    from labs.manifests import load_text

    ns = _ns("closing")
    live.apply(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: held, namespace: {ns}, finalizers: [ciliumlab.io/test-hold]}}
""", wait=False)
    live.api.delete(resource_path("v1", "namespaces", name=ns))
    started = time.monotonic()
    try:
        with pytest.raises(ClusterError, match=f"The namespace '{ns}' is still being deleted after 2 s"):
            apply_documents(live.api, load_text(_configmap(ns, "late")).documents, namespace_wait=2)
        assert time.monotonic() - started < 10
    finally:
        live.api.request("PATCH", resource_path("v1", "configmaps", namespace=ns, name="held"),
                         body={"metadata": {"finalizers": None}}, content_type="application/merge-patch+json")
    _wait_absent(live, ns)


def test_the_crd_schema_rejects_in_the_dry_run(live):
    """Cilium's CRD, not only the course's validator, refuses a malformed policy (sent past the validator)."""
    from labs.cluster.live.api import ApiError

    ns = _ns("schema")
    live.ensure_namespace(ns, lab="rtlab")
    path = resource_path("cilium.io/v2", "ciliumnetworkpolicies", namespace=ns, name="bad")
    bad = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "bad", "namespace": ns},
           "spec": {"endpointSelector": {"matchExpressions": [{"key": "app", "operator": "Sometimes"}]}}}
    with pytest.raises(ApiError) as err:
        live.api.apply(path, bad, dry_run=True)
    assert err.value.status == 422
    assert 'Unsupported value: "Sometimes"' in err.value.detail
    live.delete_namespaces([ns], timeout=60)


def test_delete_removes_what_the_documents_name_and_skips_the_absent(live):
    ns = _ns("delete")
    text = _configmap(ns, "a") + "---" + _configmap(ns, "b")
    live.apply(text, wait=False)
    live.api.delete(resource_path("v1", "configmaps", namespace=ns, name="b"))
    result = live.delete(text, timeout=30)
    assert result.deleted == (f"ConfigMap {ns}/a",)
    assert live.api.get_or_none(resource_path("v1", "configmaps", namespace=ns, name="a")) is None
    live.delete_namespaces([ns], timeout=60)


def test_namespaces_created_labelled_and_deleted(live):
    ns = _ns("ns")
    assert live.ensure_namespace(ns, lab="rtns", labels={"team": "web"}) is True
    assert live.ensure_namespace(ns, lab="rtns", labels={"team": "web"}) is False
    found = {n.name: n for n in live.namespaces()}
    assert found[ns].labels["team"] == "web"
    assert found[ns].labels["ciliumlab.io/lab"] == "rtns"
    assert live.lab_namespaces("rtns") == [ns]
    started = time.monotonic()
    result = live.delete_namespaces([ns], timeout=60)
    assert result.deleted == (f"Namespace {ns}",)
    assert live.api.get_or_none(resource_path("v1", "namespaces", name=ns)) is None
    assert time.monotonic() - started < 60
    with pytest.raises(ClusterError, match="Refusing to delete"):
        live.delete_namespaces(["kube-system"])


def test_waiting_for_a_pod_ends_at_the_deadline_with_the_reason(live):
    """No kubelet: the scheduler finds no node, the wait stops after its timeout and says why."""
    ns = _ns("waitpod")
    text = f"""
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: {ns}, labels: {{app: web}}}}
spec: {{containers: [{{name: web, image: "nginx:1.27"}}]}}
"""
    started = time.monotonic()
    with pytest.raises(ClusterError) as err:
        live.apply(text, timeout=4)
    took = time.monotonic() - started
    assert 4 <= took < 20
    message = str(err.value)
    assert "Not ready after 4 s" in message and f"Pod {ns}/web" in message
    assert "not scheduled" in message or "phase Pending" in message
    live.delete_namespaces([ns], timeout=60)


def test_waiting_for_a_deployment_is_bounded_and_names_its_pods(live):
    ns = _ns("waitdeploy")
    text = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: {ns}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec: {{containers: [{{name: api, image: "nginx:1.27"}}]}}
"""
    started = time.monotonic()
    with pytest.raises(ClusterError) as err:
        live.apply(text, timeout=6)
    assert time.monotonic() - started < 25
    message = str(err.value)
    assert f"Deployment {ns}/api" in message
    # The controller manager really created the ReplicaSet and its pods; the scheduler has no node for them.
    pods = live.pods(ns)
    assert len(pods) == 2
    live.delete_namespaces([ns], timeout=60)


def test_delete_wait_is_bounded(live):
    """A finalizer keeps the object; the wait gives up at its deadline and names it."""
    ns = _ns("finalizer")
    live.apply(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: held, namespace: {ns}, finalizers: [ciliumlab.io/test-hold]}}
""", wait=False)
    path = resource_path("v1", "configmaps", namespace=ns, name="held")
    with pytest.raises(ClusterError, match=f"Still being deleted after 2 s: ConfigMap {ns}/held"):
        live.delete(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: held, namespace: {ns}}}
""", timeout=2)
    live.api.request("PATCH", path, body={"metadata": {"finalizers": None}},
                     content_type="application/merge-patch+json")
    live.delete_namespaces([ns], timeout=60)


def test_services_get_cluster_ips_and_node_ports_from_the_allocator(live):
    ns = _ns("svc")
    live.apply(f"""
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {ns}}}
spec:
  type: NodePort
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080}}]
""", wait=False)
    services = {s.name: s for s in live.services(ns)}
    stored = live.api.get(resource_path("v1", "services", namespace=ns, name="web"))
    assert stored["spec"]["clusterIP"].startswith("10.96.")
    assert 30000 <= stored["spec"]["ports"][0]["nodePort"] <= 32767
    assert "web" in services
    live.delete_namespaces([ns], timeout=60)
