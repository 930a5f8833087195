"""A whole lab run by a workshop trainee on the stub API server, with the course's RBAC evaluator enforcing
exactly the roles `labs workshop provision` creates: every cell must work inside the trainee's rights."""

from __future__ import annotations

import json

import pytest
from test_exec import answer, running_pod

from labs.probes import OUTSIDE_SOURCES
from labs.workshop.rbac import trainee_access, workshop_objects
from labs.workshop.rbac_eval import RbacAuthorizer

LAB = "02-segregation"
LABS = ["00-environment", "01-flat-network", "02-segregation", "03-identity-default-deny", "04-namespace-isolation",
        "05-l7-http", "06-dns-fqdn", "07-observability", "08-capstone"]


@pytest.fixture
def trainee_cluster(stub, isolated, monkeypatch):
    return make_trainee_cluster(stub, isolated, monkeypatch, LAB)


def make_trainee_cluster(stub, isolated, monkeypatch, lab):
    """A LiveCluster on the stub as trainee alice of `lab` (bob provisioned too), RBAC enforced after connecting."""
    from pathlib import Path

    from labs.cluster.live import LiveCluster
    from labs.cluster.live.connect import connect
    from labs.paths import manifests_dir
    from labs.workshop.labfile import lab_namespaces

    (isolated / "repo" / "manifests").symlink_to(Path(__file__).resolve().parents[2] / "manifests")
    access = trainee_access("alice", {lab: lab_namespaces(manifests_dir() / lab)})
    objects = workshop_objects([access, trainee_access("bob", {lab: lab_namespaces(manifests_dir() / lab)})])
    for obj in objects:
        if obj["kind"] == "Namespace":
            stub.put(f"/api/v1/namespaces/{obj['metadata']['name']}", obj)
    running_pod(stub, "kube-system", "cilium-a", labels={"k8s-app": "cilium"}, container="cilium-agent")
    stub.put("/api/v1/namespaces/kube-system/configmaps/cilium-config",
             {"kind": "ConfigMap", "data": {"enable-policy": "default", "kube-proxy-replacement": "true"}})
    stub.put("/apis/apps/v1/namespaces/kube-system/deployments/hubble-relay",
             {"kind": "Deployment", "spec": {"replicas": 1}, "status": {"readyReplicas": 1, "updatedReplicas": 1}})
    stub.put("/api/v1/nodes/ciliumlab-cp", {"kind": "Node", "metadata": {"labels": {}}, "status": {
        "addresses": [{"type": "InternalIP", "address": "192.168.56.10"}],
        "conditions": [{"type": "Ready", "status": "True"}]}})
    stub.put("/api/v1/namespaces/default/services/kubernetes",
             {"kind": "Service", "spec": {"clusterIP": "10.96.0.1", "ports": [{"port": 443}]}})
    stub.exec_answer = answer
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    cluster = LiveCluster(connect(timeout=5.0), progress=False, flow_settle=0.0, policy_settle=0.05)
    stub.authorizer = RbacAuthorizer(objects)
    stub.user = access.user
    monkeypatch.setenv("LABS_TRAINEE", "alice")
    return cluster


def test_a_trainee_runs_a_whole_lab_inside_their_rights(stub, trainee_cluster, capsys):
    from labs.course.session import open_lab

    lab = open_lab(LAB, cluster=trainee_cluster)
    info = trainee_cluster.info()
    assert info.hubble.startswith("unknown")
    overview = lab.overview()
    assert overview.backend == "live"
    deployed = lab.deploy(timeout=10)
    assert deployed.ok, deployed
    assert stub.paths("pods") and all(p.startswith(("alice-", "kube-system/")) for p in stub.paths("pods"))
    probed = 0
    for step in lab.spec.steps:
        result = lab.check(step.id)
        text = repr(result)
        assert "forbidden" not in text and "Traceback" not in text, text
        probed += len([p for p in step.probes if p.probe.source not in OUTSIDE_SOURCES])  # outside: no exec
    assert probed and len([e for e in stub.execs if e[0].startswith("alice-")]) >= probed
    explained = lab.explain("alice-segregation/client-a", "alice-segregation/server-a", port=80)
    assert explained.outcome.value == "allowed", explained.reason
    assert explained.evidence and explained.evidence[0].startswith("(no Hubble evidence: Hubble could not be read")
    reset = lab.reset(confirm=True, timeout=10)
    assert reset.ok, reset
    assert not [p for p in stub.paths("pods") if p.startswith("alice-")]
    # What the trainee was refused: cluster-wide lists (then read namespace by namespace), and in kube-system the
    # agents' exec, hubble-relay and policies; never anything in their own namespaces, never another trainee's.
    unexpected = [m for m in stub.denied if "at the cluster scope" not in m and 'namespace "kube-system"' not in m]
    assert unexpected == [], json.dumps(unexpected, indent=1)
    assert any('cannot list resource "pods" in API group "" at the cluster scope' in m for m in stub.denied)
    assert not any("bob-" in m for m in stub.denied)


def test_an_unreadable_probe_target_is_one_error_cell(stub, trainee_cluster):
    """`entity:kube-apiserver` reads default/services/kubernetes, which a trainee may not: one error, not a crash."""
    from labs.probes import HttpRequest, Probe, Target

    running_pod(stub, "alice-segregation", "client-a")
    results = trainee_cluster.probe_many([
        Probe("alice-segregation/client-a", Target("entity", "kube-apiserver"), 443),
        Probe("alice-segregation/client-a", Target("ip", "10.0.0.1"), 80, http=HttpRequest()),
    ], timeout=2)
    assert [r.outcome.value for r in results] == ["error", "allowed"]
    assert results[0].reason.startswith("the destination could not be looked up: The API server refused GET "
                                        "/api/v1/namespaces/default/services/kubernetes: HTTP 403")


@pytest.mark.parametrize("lab", LABS)
def test_every_lab_deploys_checks_and_resets_as_a_trainee(stub, isolated, monkeypatch, lab):
    from labs.course.session import open_lab

    cluster = make_trainee_cluster(stub, isolated, monkeypatch, lab)
    session = open_lab(lab, cluster=cluster)
    deployed = session.deploy(timeout=10)
    assert deployed.ok, deployed
    for step in session.spec.steps:
        text = repr(session.check(step.id))
        assert "forbidden" not in text and "Traceback" not in text, text
    reset = session.reset(timeout=10)
    assert reset.ok, reset
    assert not [m for m in stub.denied if "at the cluster scope" not in m and 'namespace "kube-system"' not in m]
