"""Apply, delete and reset on the stub API server: validate, dry-run everything, then apply everything."""

from __future__ import annotations

import pytest
from live_fakes import ScriptedExec

from labs.cluster.base import ClusterError
from labs.cluster.live import LiveCluster
from labs.cluster.live.connect import connect
from labs.cluster.live.execpod import ExecResult
from labs.manifests import ManifestError

WORKLOADS = """\
apiVersion: v1
kind: Namespace
metadata: {name: frontend}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: frontend, labels: {app: web}}
spec: {containers: [{name: c, image: "curlimages/curl:8.10.1"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: backend}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: "nginx:1.27", ports: [{containerPort: 8080, name: http}]}]}
"""

POLICY = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-ingress, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": frontend}}]
"""


@pytest.fixture
def live(stub, isolated):
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    return LiveCluster(connect(), execer=ScriptedExec(lambda *a: ExecResult(0)), hubble=False, progress=False,
                       policy_settle=0.05)


def patches(stub):
    return [path for method, path, _ in stub.requests if method == "PATCH"]


def test_apply_creates_lab_namespaces_and_objects(stub, live):
    result = live.apply(WORKLOADS, lab="lab01", timeout=5)
    assert result.created == ("Namespace backend", "Namespace frontend", "Pod frontend/web",
                              "Deployment backend/api")
    assert stub.get("/api/v1/namespaces/frontend")["metadata"]["labels"] == {"ciliumlab.io/lab": "lab01"}
    assert stub.get("/api/v1/namespaces/backend")["metadata"]["labels"] == {"ciliumlab.io/lab": "lab01"}
    assert all("fieldManager=ciliumlab" in p for p in patches(stub))
    assert live.lab_namespaces("lab01") == ["backend", "frontend"]


def test_every_document_is_dry_run_before_any_is_applied(stub, live):
    live.apply(WORKLOADS, timeout=5)
    objects = [p for p in patches(stub) if "/namespaces/frontend?" not in p and "/namespaces/backend?" not in p]
    dry = [i for i, p in enumerate(objects) if "dryRun=All" in p]
    real = [i for i, p in enumerate(objects) if "dryRun=All" not in p]
    assert len(dry) == len(real) == 2
    assert max(dry) < min(real)


def test_repeated_apply_is_unchanged_and_a_change_is_configured(stub, live):
    live.apply(WORKLOADS, timeout=5)
    again = live.apply(WORKLOADS, timeout=5)
    assert again.created == () and again.configured == ()
    changed = live.apply(WORKLOADS.replace("replicas: 2", "replicas: 3"), timeout=5)
    assert changed.configured == ("Deployment backend/api",)
    assert changed.summary() == "1 configured, 3 unchanged"


def test_a_rejected_document_means_nothing_is_applied(stub, live):
    stub.reject[("deployments", "api")] = ('Deployment.apps "api" is invalid: spec.template.spec.containers[0].image: '
                                           "Required value")
    with pytest.raises(ClusterError) as err:
        live.apply(WORKLOADS, lab="lab01", timeout=5)
    assert str(err.value) == (
        "The API server rejected 1 document in a dry run; nothing was applied:\n"
        "  <input>:10 (document 2): Deployment backend/api: Deployment.apps \"api\" is invalid: "
        "spec.template.spec.containers[0].image: Required value\n"
        "Fix the documents named above and apply again.")
    assert stub.paths("pods") == [] and stub.paths("deployments") == []
    assert stub.paths("namespaces") == ["default", "kube-system"], "namespaces made for the dry run are removed"


def test_invalid_manifest_is_refused_before_any_request(stub, live):
    before = len(stub.requests)
    with pytest.raises(ManifestError):
        live.apply("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: 3}\n", timeout=5)
    assert [r for r in stub.requests[before:] if r[0] != "GET"] == []


def test_unknown_kind_names_the_document(stub, live):
    from labs.cluster.live.apply import ResourceMapper

    with pytest.raises(ClusterError) as err:
        ResourceMapper(live.api).lookup("cilium.io/v2", "CiliumNetworkPolicies", "policy.yaml:3 (document 1)")
    assert str(err.value) == (
        "policy.yaml:3 (document 1): the API server has no kind 'CiliumNetworkPolicies' in apiVersion 'cilium.io/v2' "
        "(it serves: CiliumClusterwideNetworkPolicy, CiliumEndpoint, CiliumNetworkPolicy). Check apiVersion and "
        "kind; for Cilium kinds, check that Cilium is installed (`python -m labs doctor`).")


def test_wait_timeout_lists_what_is_not_ready_and_why(stub, live):
    stub.statuses[("pods", "web")] = {"phase": "Pending", "containerStatuses": [
        {"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff",
                                            "message": 'Back-off pulling image "curlimages/curl:8.10.1"'}}}]}
    text = WORKLOADS.split("---\napiVersion: apps/v1")[0]
    with pytest.raises(ClusterError) as err:
        live.apply(text, timeout=0.3)
    assert str(err.value) == (
        "Not ready after 0.3 s:\n"
        "  Pod frontend/web: c: ImagePullBackOff (Back-off pulling image \"curlimages/curl:8.10.1\")\n"
        "Look closer with `kubectl -n <namespace> describe pod <name>`, or wait longer with a larger timeout= "
        "(e.g. timeout=300 while images are pulled the first time).")


def test_delete_removes_what_exists_and_skips_the_rest(stub, live):
    live.apply(WORKLOADS, timeout=5)
    stub.objects.pop(("/api/v1", "frontend", "pods", "web"))
    result = live.delete(WORKLOADS, timeout=2)
    assert result.deleted == ("Deployment backend/api", "Namespace frontend")


def test_reset_deletes_lab_namespaces_but_never_system_ones(stub, live):
    live.apply(WORKLOADS, lab="lab01", timeout=5)
    assert live.delete_namespaces(["frontend", "nothere"], timeout=2).deleted == ("Namespace frontend",)
    with pytest.raises(ClusterError) as err:
        live.delete_namespaces(["kube-system"])
    assert str(err.value) == ("Refusing to delete the namespace 'kube-system': the course only deletes its own lab "
                              "namespaces.")


def test_delete_policies_in_lab_namespaces(stub, live):
    live.apply(WORKLOADS, lab="lab01", timeout=5)
    live.apply(POLICY, timeout=5)
    stub.put("/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies/global",
             {"kind": "CiliumClusterwideNetworkPolicy", "spec": {"endpointSelector": {}}})
    assert live.delete_policies().deleted == ("CiliumNetworkPolicy backend/api-ingress",)
    assert stub.paths("ciliumclusterwidenetworkpolicies") == ["global"]
    assert live.delete_policies(cluster_wide=True).deleted == ("CiliumClusterwideNetworkPolicy global",)


def test_policies_are_read_back_through_the_course_model(stub, live):
    live.apply(WORKLOADS, timeout=5)
    live.apply(POLICY, timeout=5)
    stub.objects[("/apis/cilium.io/v2", "backend", "ciliumnetworkpolicies", "api-ingress")]["metadata"].update(
        uid="1234", managedFields=[{"manager": "ciliumlab"}], creationTimestamp="2026-11-23T10:00:00Z")
    policies = live.policies()
    assert [(type(p).__name__, p.kind, p.ref) for p in policies] == [
        ("CiliumPolicy", "CiliumNetworkPolicy", "backend/api-ingress")]
    assert policies[0].source.file == "<cluster> CiliumNetworkPolicy backend/api-ingress"
