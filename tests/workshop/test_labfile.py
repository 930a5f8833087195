"""Are lab.yaml probes and matrices rewritten, and do labs say what they cannot do in workshop mode?"""

from __future__ import annotations

import pytest
import yaml

from labs.paths import manifests_dir
from labs.workshop.labfile import assess_lab, lab_namespaces, rewrite_lab_spec
from labs.workshop.scope import NamespaceMap

ALICE = NamespaceMap("alice")


@pytest.mark.parametrize(("probe", "expected"), [
    ({"from": "frontend/web", "to": "backend/api", "port": 8080, "expect": "allowed"},
     {"from": "alice-frontend/web", "to": "alice-backend/api", "port": 8080, "expect": "allowed"}),
    ({"from": "frontend/web", "to": "svc:backend/api", "port": 80, "expect": "allowed"},
     {"from": "alice-frontend/web", "to": "svc:alice-backend/api", "port": 80, "expect": "allowed"}),
    ({"from": "frontend/web", "to": "fqdn:api.github.com", "port": 443, "expect": "dropped"},
     {"from": "alice-frontend/web", "to": "fqdn:api.github.com", "port": 443, "expect": "dropped"}),
    ({"from": "frontend/web", "to": "ip:1.1.1.1", "port": 443, "expect": "dropped"},
     {"from": "alice-frontend/web", "to": "ip:1.1.1.1", "port": 443, "expect": "dropped"}),
    ({"from": "frontend/web", "to": "entity:host", "protocol": "ICMP", "expect": "allowed"},
     {"from": "alice-frontend/web", "to": "entity:host", "protocol": "ICMP", "expect": "allowed"}),
    ({"from": "frontend/web", "dns": "api.backend.svc.cluster.local", "expect": "allowed"},
     {"from": "alice-frontend/web", "dns": "api.alice-backend.svc.cluster.local", "expect": "allowed"}),
    ({"from": "frontend/web", "to": "kube-system/coredns", "port": 53, "expect": "allowed"},
     {"from": "alice-frontend/web", "to": "kube-system/coredns", "port": 53, "expect": "allowed"}),
    ({"from": "world", "to": "svc:segregation/entry-a", "port": 80, "expect": "allowed"},
     {"from": "world", "to": "svc:alice-segregation/entry-a", "port": 80, "expect": "allowed"}),
    ({"from": "host", "to": "segregation/entry-a", "port": 80, "expect": "allowed"},
     {"from": "host", "to": "alice-segregation/entry-a", "port": 80, "expect": "allowed"}),
], ids=["pod", "svc", "fqdn", "ip", "entity", "dns", "kube-system", "from-world", "from-host"])
def test_probes(probe, expected):
    spec = {"steps": [{"id": "s", "probes": [probe]}]}
    assert rewrite_lab_spec(spec, ALICE)["steps"][0]["probes"] == [expected]


def test_matrices_cluster_and_inline_policies():
    spec = {
        "cluster": {"namespaces": {"frontend": {"labels": {"team": "web"}}},
                    "pods": [{"name": "web", "namespace": "frontend"}]},
        "expected_matrix": {"frontend/web": {"backend/api": "allowed", "svc:backend/api": "dropped"}},
        "policies": "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: backend}\n"
                    "spec: {endpointSelector: {}, ingress: [{fromEndpoints: [{matchLabels: "
                    "{k8s:io.kubernetes.pod.namespace: frontend}}]}]}\n",
        "description": "frontend/web talks to backend/api",
        "policies_files": ["policies/allow.yaml"],
    }
    out = rewrite_lab_spec(spec, ALICE)
    assert out["cluster"] == {"namespaces": {"alice-frontend": {"labels": {"team": "web"}}},
                              "pods": [{"name": "web", "namespace": "alice-frontend"}]}
    assert out["expected_matrix"] == {"alice-frontend/web": {"alice-backend/api": "allowed",
                                                             "svc:alice-backend/api": "dropped"}}
    policy = yaml.safe_load(out["policies"])
    assert policy["metadata"]["namespace"] == "alice-backend"
    assert policy["spec"]["ingress"][0]["fromEndpoints"][0]["matchLabels"] == {
        "k8s:io.kubernetes.pod.namespace": "alice-frontend"}
    assert out["description"] == spec["description"]
    assert out["policies_files"] == ["policies/allow.yaml"]


def test_course_lab_namespaces_and_support():
    assert lab_namespaces(manifests_dir() / "04-namespace-isolation") == ["backend", "frontend", "test"]
    support = assess_lab(manifests_dir() / "03-identity-default-deny")
    assert support.mode == "partial"
    assert support.read_only_steps == {"enforcement-always": "it sets the policy enforcement mode to 'always', "
                                       "which is cluster-wide (shown on a simulated copy only)"}


def test_a_lab_with_a_clusterwide_policy_is_read_only(tmp_path):
    lab = tmp_path / "99-ccnp"
    (lab / "policies").mkdir(parents=True)
    (lab / "workloads.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n")
    (lab / "policies" / "all.yaml").write_text(
        "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: deny-all}\n"
        "spec: {endpointSelector: {}, ingress: [{}]}\n")
    (lab / "lab.yaml").write_text(yaml.safe_dump({"id": "99-ccnp", "steps": [
        {"id": "deny", "kind": "observe", "policies": ["policies/all.yaml"], "probes": []}]}))
    support = assess_lab(lab)
    assert support.mode == "partial"
    assert support.read_only_steps == {
        "deny": "99-ccnp/policies/all.yaml (document 0): CiliumClusterwideNetworkPolicy 'deny-all' it is cluster-wide "
                "and would affect every trainee on the shared cluster"}
    (lab / "workloads.yaml").write_text((lab / "policies" / "all.yaml").read_text())
    assert assess_lab(lab).mode == "read-only"
    assert not assess_lab(lab).runnable


def test_a_step_probing_from_outside_the_cluster_is_read_only(tmp_path):
    lab = tmp_path / "99-north-south"
    lab.mkdir()
    (lab / "workloads.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n")
    (lab / "lab.yaml").write_text(yaml.safe_dump({"id": "99-north-south", "steps": [
        {"id": "inside", "kind": "observe", "probes": [{"from": "demo/a", "to": "demo/b", "port": 80,
                                                        "expect": "allowed"}]},
        {"id": "entry", "kind": "observe", "probes": [{"from": "world", "to": "svc:demo/web", "port": 80,
                                                       "expect": "allowed"}]}]}))
    support = assess_lab(lab)
    assert support.mode == "partial"
    assert support.read_only_steps == {
        "entry": "its probes start outside the cluster (from: world) and need a node port; trainees' Services are "
                 "ClusterIP (node ports are one per cluster)"}
