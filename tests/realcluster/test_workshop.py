"""Workshop mode on a real API server: provisioning through the live backend, then the REAL RBAC authorizer,
Pod Security admission and the namespace guard (a ValidatingAdmissionPolicy) decide what trainees may do.

Trainees act with the ServiceAccount tokens the controller manager put into their token Secrets, through
the kubeconfig files provisioning wrote: nothing here is decided by the course's own RBAC evaluator.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from labs.cluster.base import ClusterError
from labs.cluster.live.api import ApiError, resource_path
from labs.workshop.rewrite import rewrite_text
from labs.workshop.scope import NamespaceMap

REPO = Path(__file__).resolve().parents[2]
LAB = "02-segregation"
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw").removeprefix("gw")
ALICE, BOB = f"alice{_WORKER}", f"bob{_WORKER}"
"""Trainee names of this xdist worker: two workers provision two rooms side by side on one cluster."""


def _labs(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labs", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def workshop(local_cluster, tmp_path_factory):
    """ALICE and BOB provisioned for lab 02 by `labs workshop provision --backend live`; torn down after.

    The teardown leaves the workshop's shared objects (a second worker's room may still use them)."""
    root = tmp_path_factory.mktemp("workshop")
    trainees = root / "trainees.txt"
    trainees.write_text(f"{ALICE}\n{BOB}\n")
    (root / "repo").mkdir()
    env = {**os.environ, "KUBECONFIG": str(local_cluster.kubeconfig), "LABS_REPO": str(root / "repo"),
           "HOME": str(root), "LABS_BACKEND": "live"}
    env.pop("LABS_TRAINEE", None)
    common = ["--trainees", str(trainees), "--lab", LAB, "--manifests", str(REPO / "manifests"),
              "--folder", str(root / "ws"), "--backend", "live", "--timeout", "90"]
    done = _labs(env, "workshop", "provision", *common)
    assert done.returncode == 0, done.stdout + done.stderr
    yield {"env": env, "common": common, "root": root, "kubeconfigs": root / "ws" / "kubeconfigs",
           "provision": done.stdout}
    gone = _labs(env, "workshop", "teardown", *common)
    assert gone.returncode == 0, gone.stdout + gone.stderr


def _trainee_api(workshop, trainee: str):
    from labs.cluster.live.connect import build_api
    from labs.cluster.live.kubeconfig import discover

    choice = discover(env={"KUBECONFIG": str(workshop["kubeconfigs"] / f"{trainee}.kubeconfig"),
                           "LABS_TRAINEE": trainee, "HOME": str(workshop["root"]),
                           "LABS_REPO": str(workshop["root"] / "repo")})
    assert choice is not None
    return build_api(choice, timeout=10)


def _own(trainee: str) -> str:
    return NamespaceMap(trainee).ns("segregation")


def test_provisioning_wrote_private_token_kubeconfigs(workshop):
    for trainee in (ALICE, BOB):
        path = workshop["kubeconfigs"] / f"{trainee}.kubeconfig"
        assert path.stat().st_mode & 0o777 == 0o600
    assert "Provisioned 2 trainee(s)" in workshop["provision"]


def test_the_real_authorizer_confirms_isolation(workshop):
    """`labs workshop verify` on the live backend asks the API server (SubjectAccessReviews)."""
    common = [a for a in workshop["common"] if a not in ("--timeout", "90")]
    done = _labs(workshop["env"], "workshop", "verify", *common)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_trainee_works_in_their_own_namespace(workshop):
    alice = _trainee_api(workshop, ALICE)
    ns = _own(ALICE)
    path = resource_path("v1", "configmaps", namespace=ns, name="notes")
    alice.apply(path, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "notes", "namespace": ns},
                       "data": {"a": "1"}})
    assert alice.get(path)["data"] == {"a": "1"}
    assert alice.delete(path)


@pytest.mark.parametrize("verb", ["get", "list", "create"])
def test_a_trainee_cannot_touch_another_trainees_namespace(workshop, verb):
    alice = _trainee_api(workshop, ALICE)
    bob_ns = _own(BOB)
    with pytest.raises(ApiError) as err:
        if verb == "get":
            alice.get(resource_path("v1", "configmaps", namespace=bob_ns, name="kube-root-ca.crt"))
        elif verb == "list":
            alice.get(resource_path("v1", "pods", namespace=bob_ns))
        else:
            path = resource_path("cilium.io/v2", "ciliumnetworkpolicies", namespace=bob_ns, name="intrude")
            alice.apply(path, {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                               "metadata": {"name": "intrude", "namespace": bob_ns},
                               "spec": {"endpointSelector": {}, "ingress": [{}]}}, dry_run=True)
    assert err.value.status == 403
    assert f"system:serviceaccount:ciliumlab-workshop:trainee-{ALICE}" in err.value.detail


def test_a_trainee_cannot_read_another_trainees_token(workshop):
    alice = _trainee_api(workshop, ALICE)
    with pytest.raises(ApiError) as err:
        alice.get(resource_path("v1", "secrets", namespace="ciliumlab-workshop", name=f"trainee-{BOB}-token"))
    assert err.value.status == 403


def test_the_namespace_guard_and_pod_security_hold(workshop):
    alice = _trainee_api(workshop, ALICE)
    ns = _own(ALICE)
    path = resource_path("v1", "namespaces", name=ns)
    alice.request("PATCH", path, body={"metadata": {"labels": {"team": "a"}}},
                  content_type="application/merge-patch+json")
    with pytest.raises(ApiError, match="cannot change the ciliumlab.io/trainee label|Trainees cannot change"):
        alice.request("PATCH", path, body={"metadata": {"labels": {"ciliumlab.io/trainee": BOB}}},
                      content_type="application/merge-patch+json")
    with pytest.raises(ApiError, match="pod-security"):
        alice.request("PATCH", path,
                      body={"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
                      content_type="application/merge-patch+json")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root", "namespace": ns},
           "spec": {"hostNetwork": True, "containers": [{"name": "c", "image": "busybox:1.36"}]}}
    with pytest.raises(ApiError, match="violates PodSecurity"):
        alice.apply(resource_path("v1", "pods", namespace=ns, name="root"), pod, dry_run=True)


def test_the_trainees_lab_applies_within_the_role(workshop, monkeypatch):
    """The lab's workloads, rewritten into alice's namespace, applied with alice's own credentials."""
    from labs.cluster.live.cluster import LiveCluster
    from labs.cluster.live.connect import connect
    from labs.cluster.live.kubeconfig import discover

    env = {"KUBECONFIG": str(workshop["kubeconfigs"] / f"{ALICE}.kubeconfig"), "LABS_TRAINEE": ALICE,
           "HOME": str(workshop["root"]), "LABS_REPO": str(workshop["root"] / "repo")}
    live = LiveCluster(connect(discover(env=env), timeout=10), hubble=False, progress=False)
    objs = rewrite_text((REPO / "manifests" / LAB / "workloads.yaml").read_text(), NamespaceMap(ALICE),
                        strict=False).documents
    for obj in objs:  # the lab's fixed nodePort is shared by all rooms (see the expected failure below)
        for port in (obj.get("spec") or {}).get("ports") or [] if obj.get("kind") == "Service" else []:
            port.pop("nodePort", None)
    result = live.apply(yaml.safe_dump_all(objs, sort_keys=False), wait=False)
    assert result.created
    assert all(_own(ALICE) in label or label.startswith("Namespace") for label in result.created)
    with pytest.raises(ClusterError, match="403"):
        live.apply(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x, namespace: {_own(BOB)}}}\n", wait=False)


def test_two_trainees_apply_the_same_lab_without_node_port_clashes(workshop):
    """The workshop rewrite turns the lab's NodePort Services (fixed 30080) into ClusterIP ones, so the
    second trainee's apply is not refused with 'provided port is already allocated'."""
    from labs.cluster.live.cluster import LiveCluster
    from labs.cluster.live.connect import connect
    from labs.cluster.live.kubeconfig import discover

    ports = {}
    for trainee in (ALICE, BOB):
        env = {"KUBECONFIG": str(workshop["kubeconfigs"] / f"{trainee}.kubeconfig"), "LABS_TRAINEE": trainee,
               "HOME": str(workshop["root"]), "LABS_REPO": str(workshop["root"] / "repo")}
        live = LiveCluster(connect(discover(env=env), timeout=10), hubble=False, progress=False)
        text = rewrite_text((REPO / "manifests" / LAB / "workloads.yaml").read_text(), NamespaceMap(trainee),
                            strict=False).to_yaml()
        live.apply(text, wait=False)
        services = live.api.items(resource_path("v1", "services", namespace=_own(trainee)))
        assert services, f"{trainee}: no Service applied"
        ports[trainee] = {p["nodePort"] for s in services for p in s["spec"].get("ports") or [] if p.get("nodePort")}
        assert {s["spec"]["type"] for s in services} == {"ClusterIP"}
    assert ports == {ALICE: set(), BOB: set()}


@pytest.mark.parametrize("path", ["/api/v1/namespaces", "/apis/cilium.io/v2/ciliumidentities",
                                  "/apis/cilium.io/v2/ciliumendpoints"])
def test_a_trainee_cannot_list_what_names_other_trainees(workshop, path):
    """Namespaces, identities (their labels carry the namespace) and endpoints, listed cluster-wide."""
    with pytest.raises(ApiError) as err:
        _trainee_api(workshop, ALICE).items(path)
    assert err.value.status == 403


def test_a_trainee_does_not_see_another_trainees_namespaces(workshop, monkeypatch):
    """The live backend, with alice's credentials, finds her lab namespace by name, and never bob's."""
    from labs.cluster.live.cluster import LiveCluster
    from labs.cluster.live.connect import connect
    from labs.cluster.live.kubeconfig import discover

    alice = _trainee_api(workshop, ALICE)
    assert alice.get(resource_path("v1", "namespaces", name=_own(ALICE)))["metadata"]["name"] == _own(ALICE)
    with pytest.raises(ApiError) as err:
        alice.get(resource_path("v1", "namespaces", name=_own(BOB)))
    assert err.value.status == 403
    env = {"KUBECONFIG": str(workshop["kubeconfigs"] / f"{ALICE}.kubeconfig"), "LABS_TRAINEE": ALICE,
           "HOME": str(workshop["root"]), "LABS_REPO": str(workshop["root"] / "repo")}
    monkeypatch.setenv("LABS_TRAINEE", ALICE)
    live = LiveCluster(connect(discover(env=env), timeout=10), hubble=False, progress=False)
    names = {n.name for n in live.namespaces()}
    assert _own(ALICE) in names
    assert _own(BOB) not in names
    assert live.lab_namespaces(LAB) == [_own(ALICE)]
    assert _own(ALICE) in live.readable_namespaces()
