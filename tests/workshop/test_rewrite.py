"""Does every namespace reference in manifests and policies move into the trainee's namespaces?"""

from __future__ import annotations

import pytest
import yaml

from labs.workshop.rewrite import Skipped, WorkshopRewriteError, rewrite_document, rewrite_text
from labs.workshop.rewrite_policy import rewrite_policy_document
from labs.workshop.scope import NamespaceMap

ALICE = NamespaceMap("alice")
SCOPE = "k8s:io.cilium.k8s.namespace.labels.ciliumlab.io/trainee"


def cnp_peer(selector: dict) -> dict:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "p", "namespace": "backend"},
            "spec": {"endpointSelector": {}, "ingress": [{"fromEndpoints": [selector]}]}}


def peer_of(doc: dict) -> dict:
    return doc["spec"]["ingress"][0]["fromEndpoints"][0]


@pytest.mark.parametrize(("selector", "expected"), [
    ({"matchLabels": {"k8s:io.kubernetes.pod.namespace": "frontend"}},
     {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "alice-frontend"}}),
    ({"matchLabels": {"io.kubernetes.pod.namespace": "frontend", "app": "web"}},
     {"matchLabels": {"io.kubernetes.pod.namespace": "alice-frontend", "app": "web"}}),
    ({"matchLabels": {"any:io.kubernetes.pod.namespace": "frontend"}},
     {"matchLabels": {"any:io.kubernetes.pod.namespace": "alice-frontend"}}),
    ({"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "In",
                            "values": ["frontend", "kube-system"]}]},
     {"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "In",
                            "values": ["alice-frontend", "kube-system"]}]}),
    ({"matchLabels": {"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": "frontend"}},
     {"matchLabels": {"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": "alice-frontend"}}),
    ({"matchLabels": {"io.cilium.k8s.namespace.labels.team": "web"}},
     {"matchLabels": {"io.cilium.k8s.namespace.labels.team": "web", SCOPE: "alice"}}),
    ({"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}},
     {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}}),
    ({"matchLabels": {"namespace": "frontend"}}, {"matchLabels": {"namespace": "frontend"}}),
    ({"matchLabels": {"app": "web"}}, {"matchLabels": {"app": "web"}}),
    ({}, {}),
    ({"matchLabels": {"k8s:io.kubernetes.pod.namespace": "alice-frontend"}},
     {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "alice-frontend"}}),
], ids=["k8s-prefix", "no-prefix", "any-prefix", "expressions", "metadata-name-label", "other-ns-label-scoped",
        "dns-to-kube-system", "pitfall-namespace-label-kept", "same-namespace", "empty", "already-prefixed"])
def test_cilium_peer_selectors(selector, expected):
    assert peer_of(rewrite_policy_document(cnp_peer(selector), ALICE)) == expected


def test_cilium_rule_fields_beyond_endpoints():
    doc = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "p", "namespace": "a"},
           "specs": [{"endpointSelector": {"matchLabels": {"app": "x"}}, "egress": [
               {"toServices": [{"k8sService": {"serviceName": "api", "namespace": "backend"}},
                               {"k8sServiceSelector": {"selector": {"matchLabels": {"a": "b"}}, "namespace": "db"}}]},
               {"toFQDNs": [{"matchName": "api.backend.svc.cluster.local"}, {"matchName": "api.github.com"}]},
               {"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [
                   {"matchPattern": "*.backend.svc.cluster.local"}, {"matchPattern": "*.svc.cluster.local"}]}}]},
           ], "egressDeny": [{"toEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "test"}}]}]}]}
    out = rewrite_policy_document(doc, ALICE)["specs"][0]
    assert out["egress"][0]["toServices"] == [
        {"k8sService": {"serviceName": "api", "namespace": "alice-backend"}},
        {"k8sServiceSelector": {"selector": {"matchLabels": {"a": "b"}}, "namespace": "alice-db"}}]
    assert out["egress"][1]["toFQDNs"] == [{"matchName": "api.alice-backend.svc.cluster.local"},
                                           {"matchName": "api.github.com"}]
    assert out["egress"][2]["toPorts"][0]["rules"]["dns"] == [
        {"matchPattern": "*.alice-backend.svc.cluster.local"}, {"matchPattern": "*.svc.cluster.local"}]
    assert out["egressDeny"][0]["toEndpoints"][0] == {"matchLabels": {"io.kubernetes.pod.namespace": "alice-test"}}


def knp(namespace_selector: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "n", "namespace": "backend"},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": namespace_selector}]}],
                     "egress": [{"to": [{"namespaceSelector": namespace_selector, "podSelector": {}}]}]}}


@pytest.mark.parametrize(("selector", "expected"), [
    ({"matchLabels": {"kubernetes.io/metadata.name": "frontend"}},
     {"matchLabels": {"kubernetes.io/metadata.name": "alice-frontend"}}),
    ({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["test"]}]},
     {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["alice-test"]}]}),
    ({"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
     {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}),
    ({"matchLabels": {"team": "web"}}, {"matchLabels": {"team": "web", "ciliumlab.io/trainee": "alice"}}),
    ({}, {}),
], ids=["metadata-name", "expression", "kube-system", "other-label-scoped", "all-namespaces-kept"])
def test_network_policy_namespace_selectors(selector, expected):
    out = rewrite_policy_document(knp(selector), ALICE)
    assert out["spec"]["ingress"][0]["from"][0]["namespaceSelector"] == expected
    assert out["spec"]["egress"][0]["to"][0]["namespaceSelector"] == expected


@pytest.mark.parametrize(("doc", "expected"), [
    ({"apiVersion": "v1", "kind": "Namespace",
      "metadata": {"name": "frontend", "labels": {"team": "web", "kubernetes.io/metadata.name": "frontend"}}},
     {"apiVersion": "v1", "kind": "Namespace",
      "metadata": {"name": "alice-frontend", "labels": {
          "team": "web", "kubernetes.io/metadata.name": "alice-frontend", "ciliumlab.io/trainee": "alice",
          "ciliumlab.io/workshop": "true", "pod-security.kubernetes.io/enforce": "baseline"}}}),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "frontend"}},
     {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "alice-frontend"}}),
    ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
      "spec": {"type": "ExternalName", "externalName": "api.backend.svc.cluster.local"}},
     {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x", "namespace": "alice-default"},
      "spec": {"type": "ExternalName", "externalName": "api.alice-backend.svc.cluster.local"}}),
], ids=["namespace", "pod", "service-default-namespace"])
def test_manifest_documents(doc, expected):
    assert rewrite_document(doc, ALICE) == expected


@pytest.mark.parametrize(("doc", "reason"), [
    ({"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "ccnp"},
      "spec": {"endpointSelector": {}, "ingress": [{}]}}, "it is cluster-wide"),
    ({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
      "metadata": {"name": "dns", "namespace": "kube-system"}, "spec": {"endpointSelector": {}, "ingress": [{}]}},
     "it would be written into the shared namespace 'kube-system'"),
    ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}, "it is shared by every trainee"),
], ids=["ccnp", "object-in-kube-system", "kube-system-namespace"])
def test_documents_a_trainee_cannot_own_are_skipped(doc, reason):
    out = rewrite_document(doc, ALICE)
    assert isinstance(out, Skipped)
    assert reason in out.reason


def test_strict_rewrite_refuses_everything_and_names_the_document():
    text = yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x"}},
        {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "all"},
         "spec": {"endpointSelector": {}, "ingress": [{}]}}])
    with pytest.raises(WorkshopRewriteError) as err:
        rewrite_text(text, ALICE, name="policies/x.yaml", strict=True)
    assert str(err.value).splitlines() == [
        "1 document(s) of policies/x.yaml cannot be applied by trainee 'alice' on a shared cluster; "
        "nothing was applied:",
        "  policies/x.yaml (document 1): CiliumClusterwideNetworkPolicy 'all' skipped: it is cluster-wide and would "
        "affect every trainee on the shared cluster; this part of the lab is read-only in workshop mode",
        "Leave LABS_TRAINEE unset to run this lab on your own cluster.",
    ]


def test_unreadable_yaml_names_file_and_line():
    with pytest.raises(WorkshopRewriteError, match=r"^x.yaml:3: the YAML cannot be read"):
        rewrite_text("a: 1\nb: [c\nd: e: f\n", ALICE, name="x.yaml")


@pytest.mark.parametrize(("name", "expected"), [
    ("api.backend.svc.cluster.local", "api.alice-backend.svc.cluster.local"),
    ("api.backend.svc.cluster.local.", "api.alice-backend.svc.cluster.local."),
    ("api.backend.svc", "api.alice-backend.svc"),
    ("kube-dns.kube-system.svc.cluster.local", "kube-dns.kube-system.svc.cluster.local"),
    ("api.github.com", "api.github.com"),
    ("*.svc.cluster.local", "*.svc.cluster.local"),
    ("backend.svc.example.com", "backend.svc.example.com"),
], ids=["full", "trailing-dot", "short", "kube-system", "external", "wildcard-all", "svc-elsewhere"])
def test_dns_names(name, expected):
    assert ALICE.dns_name(name) == expected


def test_adapters_leave_single_user_mode_alone():
    from labs.workshop import adapt_lab_spec, adapt_text

    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: frontend}\n"
    spec = {"steps": [{"id": "s", "probes": [{"from": "frontend/web", "to": "backend/api", "port": 80}]}]}
    assert adapt_text(text, environ={}) is text
    assert adapt_lab_spec(spec, environ={}) is spec
    env = {"LABS_TRAINEE": "alice"}
    assert yaml.safe_load(adapt_text(text, environ=env))["metadata"]["namespace"] == "alice-frontend"
    assert adapt_lab_spec(spec, environ=env)["steps"][0]["probes"][0]["to"] == "alice-backend/api"
    with pytest.raises(WorkshopRewriteError, match="cannot be applied by trainee 'alice'"):
        adapt_text("apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: x}\n",
                   environ=env)


@pytest.mark.parametrize("lab", ["02-segregation", "08-capstone"])
def test_two_trainees_deploy_a_lab_with_fixed_node_ports_on_one_cluster(lab):
    """Node ports are cluster-wide: the rewrite makes trainees' Services ClusterIP so the second copy is not refused."""
    from pathlib import Path

    from labs.cluster.sim import SimCluster

    text = (Path(__file__).resolve().parents[2] / "manifests" / lab / "workloads.yaml").read_text()
    assert "nodePort:" in text
    sim = SimCluster()
    for trainee in ("alice", "bob"):
        sim.apply(rewrite_text(text, NamespaceMap(trainee), name="workloads.yaml").to_yaml())
    services = [s for s in sim.services() if s.namespace.startswith(("alice-", "bob-"))]
    assert services and all(s.type == "ClusterIP" for s in services)
    assert all(p.node_port is None for s in services for p in s.ports)


def test_node_port_and_load_balancer_services_become_cluster_ip():
    doc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": {"app": "web"},
                    "ports": [{"port": 80, "targetPort": 80, "nodePort": 30088}]}}
    out = rewrite_document(doc, ALICE)
    assert out["spec"] == {"type": "ClusterIP", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}
    assert doc["spec"]["ports"][0]["nodePort"] == 30088  # the input is not changed
