"""scripts/local-cluster itself: status, the kubeconfig, the authorizers and the CRDs it installs."""

from __future__ import annotations

import stat

import yaml


def test_status_lists_every_component_running(local_cluster):
    done = local_cluster.cli("status")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert f"{name}" in done.stdout
    assert "HTTP 200" in done.stdout


def test_kubeconfig_is_private_and_points_at_loopback(local_cluster):
    assert stat.S_IMODE(local_cluster.kubeconfig.stat().st_mode) == 0o600
    config = yaml.safe_load(local_cluster.kubeconfig.read_text())
    assert config["clusters"][0]["cluster"]["server"].startswith("https://127.0.0.1:")


def test_version_and_authorization_modes(local_cluster):
    admin = local_cluster.admin()
    assert admin.request("GET", "/version").json()["gitVersion"] == "v1.35.8"
    # RBAC is on: a user with no binding is refused (impersonation by the admin shows what it would see).
    review = admin.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "nobody", "resourceAttributes": {"verb": "list", "resource": "secrets"}}}).json()
    assert review["status"]["allowed"] is False
    # The Node authorizer answers for node identities (it has an opinion on system:node:* users).
    node = admin.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "system:node:worker", "groups": ["system:nodes"],
                 "resourceAttributes": {"verb": "get", "resource": "secrets", "namespace": "default",
                                        "name": "unrelated"}}}).json()
    assert node["status"]["allowed"] is False
    assert "no relationship found" in node["status"].get("reason", "")


def test_cilium_crds_are_established_with_their_schema(local_cluster):
    admin = local_cluster.admin()
    crd = admin.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                               "ciliumnetworkpolicies.cilium.io").json()
    assert any(c["type"] == "Established" and c["status"] == "True" for c in crd["status"]["conditions"])
    served = {v["name"] for v in crd["spec"]["versions"] if v["served"]}
    assert "v2" in served
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == "v2")["schema"]["openAPIV3Schema"]
    assert "spec" in schema["properties"]
    names = {i["metadata"]["name"] for i in admin.request(
        "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions").json()["items"]}
    assert {"ciliumclusterwidenetworkpolicies.cilium.io", "ciliumcidrgroups.cilium.io"} <= names


def test_up_again_is_a_no_op(local_cluster):
    done = local_cluster.cli("up")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(local_cluster.kubeconfig)
    assert "already running" in done.stderr
