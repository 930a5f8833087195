"""load_sources / load_text: valid files, typed objects, all-or-nothing, duplicates, sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labs.manifests import ManifestError, load_sources, load_text
from labs.policy.model import CiliumPolicy, KubeNetworkPolicy

VALID = sorted((Path(__file__).parent / "valid").glob("*.yaml"))
NODES = ("control-plane", "worker-1", "worker-2")


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_files_load_without_problems(path):
    manifests = load_sources([path], nodes=NODES)
    assert manifests.documents


@pytest.fixture(scope="module")
def shop():
    return load_sources([Path(__file__).parent / "valid" / "kubernetes.yaml"], nodes=NODES)


def test_list_kind_is_flattened(shop):
    assert [n.name for n in shop.namespaces] == ["shop"]
    assert dict(shop.namespaces[0].labels) == {"kubernetes.io/metadata.name": "shop", "team": "web"}
    assert [d.kind for d in shop.others] == ["ServiceAccount", "ConfigMap"]


def test_deployment_pods_are_named_and_labelled_like_kubernetes(shop):
    pods = [p for p in shop.pods if p.owner == "Deployment/api"]
    assert len(pods) == 3
    hashes = {p.labels["pod-template-hash"] for p in pods}
    assert len(hashes) == 1
    (template_hash,) = hashes
    for pod in pods:
        assert re.fullmatch(rf"api-{template_hash}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", pod.name), pod.name
        assert (pod.namespace, pod.service_account, pod.labels["app"]) == ("shop", "api", "api")
        assert [(p.name, p.port, p.protocol) for p in pod.ports] == [("http", 8080, "TCP"), ("metrics", 9090, "TCP")]
    assert len({p.name for p in pods}) == 3


def test_expansion_is_deterministic(shop):
    again = load_sources([Path(__file__).parent / "valid" / "kubernetes.yaml"], nodes=NODES)
    assert [p.name for p in again.pods] == [p.name for p in shop.pods]


def test_statefulset_daemonset_replicaset_pods(shop):
    by_owner = {}
    for pod in shop.pods:
        by_owner.setdefault(pod.owner, []).append(pod)
    assert [p.name for p in by_owner["StatefulSet/db"]] == ["db-0", "db-1"]
    assert by_owner["StatefulSet/db"][1].labels["statefulset.kubernetes.io/pod-name"] == "db-1"
    daemons = by_owner["DaemonSet/probe"]
    assert [p.node for p in daemons] == list(NODES)
    assert all(p.host_network and re.fullmatch(r"probe-[a-z0-9]{5}", p.name) for p in daemons)
    assert [bool(re.fullmatch(r"worker-[a-z0-9]{5}", p.name)) for p in by_owner["ReplicaSet/worker"]] == [True, True]
    (client,) = by_owner[None]
    assert (client.name, client.node, dict(client.labels)) == ("client", "worker-1", {"app": "client"})


def test_services(shop):
    api, db = shop.services
    assert (api.type, api.selector["app"], api.ports[0].target_port, api.ports[0].node_port) == \
        ("NodePort", "api", "http", 30080)
    assert dict(api.labels) == {"exposed": "true"}
    assert (db.cluster_ip, db.ports[0].target_port) == (None, 5432)


def test_network_policies(shop):
    api, deny = shop.policies
    assert isinstance(api, KubeNetworkPolicy) and api.policy_types == ("Ingress", "Egress")
    peers = api.ingress[0].peers
    assert peers[0].namespace_selector.match_labels == (("team", "web"),)
    assert peers[1].ip_block.except_ == ("192.168.56.0/24",)
    assert [(p.port, p.end_port) for p in api.ingress[0].ports] == [("http", None), (9000, 9100)]
    assert deny.policy_types is None and deny.ingress is None


def test_cilium_policy_keeps_paths_and_lines():
    text = ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\nspec:\n"
            "  endpointSelector: {}\n  ingress:\n  - {}\n  - fromEndpoints: [{}]\n")
    (policy,) = load_text(text, name="<policy editor>", default_namespace="team-a").policies
    assert isinstance(policy, CiliumPolicy)
    assert (policy.namespace, policy.source.file, policy.source.document) == ("team-a", "<policy editor>", 0)
    rule = policy.rules[0]
    assert [(p.path, p.line) for p in rule.ingress] == [("spec.ingress[0]", 7), ("spec.ingress[1]", 8)]
    assert rule.ingress[1].endpoints[0].path == "spec.ingress[1].fromEndpoints[0]"
    assert rule.egress is None


def test_empty_lists_stay_distinct_from_absent_keys():
    text = ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\nspec:\n"
            "  endpointSelector: {}\n  egress: []\n  ingress:\n  - fromEndpoints: []\n    toPorts: []\n")
    rule = load_text(text).policies[0].rules[0]
    assert (rule.egress, rule.ingress[0].endpoints, rule.ingress[0].to_ports, rule.ingress[0].entities) == \
        ((), (), (), None)


def test_clusterwide_policy_has_no_namespace():
    text = ("apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: p}\nspec:\n"
            "  endpointSelector: {}\n  ingress: [{}]\n")
    assert load_text(text, default_namespace="x").policies[0].namespace is None


def test_one_bad_document_in_any_source_returns_nothing(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n")
    bad = "apiVersion: v1\nkind: Namespace\nmetadata: {name: Not_OK}\n"
    with pytest.raises(ManifestError) as caught:
        load_sources([good, bad])
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == ("<input>", 3, "metadata.name")
    assert str(caught.value).startswith("1 problem found; nothing was applied:")


def test_duplicates_across_files_are_reported(tmp_path):
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  ports: [{port: 80}]\n"
    one.write_text(text)
    two.write_text(text)
    with pytest.raises(ManifestError) as caught:
        load_sources([one, two])
    (problem,) = caught.value.problems
    assert problem.file == str(two)
    assert problem.message == f"Service 'default/api' is defined twice; the first is at {one}:1 (document 0). " \
                              "Rename one or remove the duplicate."


def test_same_name_in_other_namespace_or_kind_is_fine():
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {ports: [{port: 80}]}\n---\n"
            "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: b}\nspec: {ports: [{port: 80}]}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: api}\n")
    assert len(load_text(text).documents) == 3


@pytest.mark.parametrize(("source", "phrase"), [
    ("does/not/exist.yaml", "does not exist"),
    (".", "is a directory"),
], ids=["missing", "directory"])
def test_unreadable_sources(source, phrase):
    with pytest.raises(ManifestError) as caught:
        load_sources([source])
    assert phrase in caught.value.problems[0].message


def test_every_problem_of_a_document_is_reported():
    text = ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\nspec:\n"
            "  endpointSelector: {}\n  ingress:\n  - fromEntities: [internet]\n    toPorts: [{ports: [{port: 80}]}]\n"
            "  egress:\n  - toCIDR: [300.0.0.0/8]\n")
    with pytest.raises(ManifestError) as caught:
        load_text(text)
    assert [(p.line, p.path) for p in caught.value.problems] == [
        (7, "spec.ingress[0].fromEntities[0]"), (8, "spec.ingress[0].toPorts[0].ports[0].port"),
        (10, "spec.egress[0].toCIDR[0]")]


def test_unknown_cilium_kinds_pass_through():
    text = "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: pool}\nspec: {}\n"
    assert [d.kind for d in load_text(text).others] == ["CiliumLoadBalancerIPPool"]
