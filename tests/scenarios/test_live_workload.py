"""Does converting a scenario into a real workload keep its meaning, and say why when it cannot?

`labs.scenarios.workload` turns a scenario's `cluster:` section into real Pods, Services and namespaces
(renamed for one run), and its policies into renamed copies. Loading exactly those manifests into the
simulated backend must give every probe the outcome the scenario's own simulated run gives: that proves
the conversion (names, labels, ports, selectors, the namespace rewrite in policies) preserves semantics,
with no cluster needed. A scenario or probe the real cluster cannot answer must name its reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labs.cluster.sim import SimCluster
from labs.probes import Probe, Target
from labs.scenarios.renaming import NamespaceRenamer
from labs.scenarios.run import policy_documents, run_scenario
from labs.scenarios.spec import load_scenario
from labs.scenarios.workload import (
    CLIENT_IMAGE,
    RUN_LABEL,
    SERVER_IMAGE,
    ClusterFacts,
    plan_workload,
    served_ports,
)

HERE = Path(__file__).resolve().parent
FILES = sorted(HERE.glob("[0-9][0-9][0-9]-*.yaml"))
RUN = "t0abc"


def _everything(enforcement: str) -> ClusterFacts:
    """A cluster that can run every scenario the converter knows (Envoy, API server reachable)."""
    return ClusterFacts(nodes=1, enforcement=enforcement, l7_proxy=True, apiserver_from_pods=True)


def _plan(path: Path, facts: ClusterFacts | None = None):
    scenario = load_scenario(path)
    return scenario, plan_workload(scenario, policy_documents(scenario), run_id=RUN,
                                   facts=facts or _everything(scenario.enforcement))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_converted_workload_gives_the_same_verdicts_on_the_simulator(path: Path) -> None:
    """Every probe of the converted scenario (renamed names, real pod specs) has the original's outcome."""
    scenario, plan = _plan(path)
    assert plan.skipped is None, f"{path.name} could not be converted: {plan.skipped}"
    original = run_scenario(scenario)
    cluster = SimCluster(enforcement=scenario.enforcement, external=scenario.external)
    cluster.apply(plan.workload_yaml() + ("---\n" + plan.policies_yaml() if plan.policies else ""))
    pairs = [(check, planned.probe) for check, planned in zip(original.checks, plan.probes)
             if planned.probe is not None]
    if not pairs:  # every probe needs a pod on a second simulated node (117): nothing converted to compare
        assert all(p.skipped and "pinned to the simulated node" in p.skipped for p in plan.probes), plan.probes
        return
    results = cluster.probe_many([probe for _, probe in pairs if probe is not None], parallel=1)
    differ = [f"{check.expectation.probe.describe()}: original {check.result.outcome.value}, converted "
              f"{result.outcome.value} ({result.reason})"
              for (check, _), result in zip(pairs, results) if result.outcome is not check.result.outcome]
    assert not differ, f"{path.name}: the conversion changed {len(differ)} verdict(s):\n  " + "\n  ".join(differ)


def test_every_probe_left_out_of_the_comparison_names_a_missing_pod() -> None:
    """Only probes involving a pod pinned to another simulated node drop out of the comparison above."""
    for path in FILES:
        _, plan = _plan(path)
        for planned in plan.probes:
            if planned.probe is None:
                assert planned.skipped and "pinned to the simulated node" in planned.skipped, (path.name, planned)


def test_on_the_local_cluster_most_scenarios_run_and_the_others_say_why() -> None:
    """With the local cluster's facts (one node, no Envoy), every skip carries a sentence."""
    runnable, skipped = 0, {}
    probes_run = 0
    for path in FILES:
        _, plan = _plan(path, ClusterFacts())
        if plan.skipped:
            skipped[path.name] = plan.skipped
        else:
            runnable += 1
        for planned in plan.probes:
            assert (planned.skipped is None) or len(planned.skipped.split()) >= 5, (path.name, planned.skipped)
            probes_run += planned.skipped is None
    assert all(len(reason.split()) >= 5 for reason in skipped.values())
    assert {name for name, reason in skipped.items() if "Envoy" in reason} >= {"072-http-method-and-path.yaml",
                                                                                "132-kafka-rules-non-kafka-request.yaml"}
    assert skipped["111-enforcement-always.yaml"].startswith("needs policy enforcement 'always'")
    assert runnable >= 100 and probes_run >= 250, (runnable, probes_run)


def test_a_pod_becomes_a_client_and_one_server_per_port() -> None:
    scenario, plan = _plan(HERE / "063-named-port-ingress.yaml")
    pods = [o for o in plan.objects if o["kind"] == "Pod"]
    assert {p["metadata"]["namespace"] for p in pods} == {f"cilium-test-{RUN}"}
    for pod in pods:
        containers = pod["spec"]["containers"]
        assert containers[0]["name"] == "client" and containers[0]["image"] == CLIENT_IMAGE
        assert pod["metadata"]["annotations"]["ciliumlab.io/probe-container"] == "client"
        servers = {c["name"]: c for c in containers[1:]}
        assert all(c["image"] == SERVER_IMAGE for c in servers.values())
        original = next(p for p in scenario.pods if p.name == pod["metadata"]["name"])
        for port in original.ports:
            server = servers[f"serve-{port.port}"]
            assert server["args"][0] == f"-listen=:{port.port}"
            assert server["ports"] == [{"containerPort": port.port, "protocol": "TCP", "name": port.name}]


def test_ports_reached_through_a_service_are_served_by_every_backend() -> None:
    scenario = load_scenario(HERE / "043-to-services-by-name.yaml")
    ports = served_ports(scenario)
    for svc in scenario.services:
        for pod in scenario.pods:
            if svc.selector and pod.namespace == svc.namespace and \
                    all(pod.labels.get(k) == v for k, v in svc.selector.items()):
                numeric = [sp.target_port for sp in svc.ports if isinstance(sp.target_port, int)]
                assert set(numeric) <= ports[pod.key], (svc.key, pod.key)


def test_namespaces_keep_their_labels_and_carry_the_run_label() -> None:
    scenario, plan = _plan(HERE / "025-namespace-labels-selector.yaml")
    written = {ns.name: dict(ns.labels) for ns in scenario.namespaces}
    for ns in plan.namespaces:
        name = ns["metadata"]["name"]
        assert name.endswith(f"-{RUN}")
        labels = ns["metadata"]["labels"]
        assert labels.pop(RUN_LABEL) == RUN
        original = written.get(name[: -len(RUN) - 1], {})
        assert labels == {k: v for k, v in original.items() if k != "kubernetes.io/metadata.name"}


RENAMER = NamespaceRenamer("r1", frozenset({"frontend", "default", "kube-system"}))


@pytest.mark.parametrize(("selector", "renamed"), [
    ({"matchLabels": {"k8s:io.kubernetes.pod.namespace": "frontend", "app": "frontend"}},
     {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "frontend-r1", "app": "frontend"}}),
    ({"matchLabels": {"io.kubernetes.pod.namespace": "kube-system"}},
     {"matchLabels": {"io.kubernetes.pod.namespace": "kube-system"}}),
    ({"matchLabels": {"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": "frontend"}},
     {"matchLabels": {"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": "frontend-r1"}}),
    ({"matchExpressions": [{"key": "any:io.kubernetes.pod.namespace", "operator": "In",
                            "values": ["frontend", "elsewhere"]}]},
     {"matchExpressions": [{"key": "any:io.kubernetes.pod.namespace", "operator": "In",
                            "values": ["frontend-r1", "elsewhere"]}]}),
    ({"matchLabels": {"namespace": "frontend"}}, {"matchLabels": {"namespace": "frontend"}}),
], ids=["k8s-prefix", "kube-system-kept", "namespace-label", "expression", "plain-label-untouched"])
def test_namespace_names_in_selectors_are_renamed(selector, renamed) -> None:
    doc = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "p"},
           "spec": {"endpointSelector": {}, "ingress": [{"fromEndpoints": [selector]}]}}
    out = RENAMER.policy(doc, namespaced=True)
    assert out["metadata"]["namespace"] == "default-r1"
    assert out["spec"]["ingress"][0]["fromEndpoints"][0] == renamed
    assert doc["spec"]["ingress"][0]["fromEndpoints"][0] == selector  # the input is not changed


def test_cluster_wide_policies_and_service_references_are_renamed() -> None:
    doc = yaml.safe_load("""
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: dns}
        spec:
          endpointSelector: {}
          egress:
            - toServices:
                - k8sService: {serviceName: api, namespace: frontend}
                - k8sServiceSelector: {selector: {matchLabels: {a: b}}, namespace: frontend}
    """)
    out = RENAMER.policy(doc, namespaced=False)
    assert out["metadata"] == {"name": "dns-r1"}
    services = out["spec"]["egress"][0]["toServices"]
    assert services[0]["k8sService"]["namespace"] == "frontend-r1"
    assert services[1]["k8sServiceSelector"]["namespace"] == "frontend-r1"


def test_probes_are_renamed_and_kube_system_pods_carry_the_run_id() -> None:
    probe = Probe("kube-system/agent", Target("svc", "frontend/api"), 80)
    assert RENAMER.probe(probe) == Probe("kube-system/agent-r1", Target("svc", "frontend-r1/api"), 80)
    assert RENAMER.probe(Probe("frontend/a", Target("svc", "kube-system/kube-dns"), 53)).target == \
        Target("svc", "kube-system/kube-dns")
    assert RENAMER.probe(Probe("world", Target("pod", "frontend/a"), 80)).source == "world"


def test_every_namespace_an_object_names_is_created_by_the_run() -> None:
    """A policy in a namespace without pods still gets its namespace from the run (labelled, so it is deleted)."""
    for path in FILES:
        _, plan = _plan(path)
        created = set(plan.namespace_names())
        named = {o["metadata"]["namespace"] for o in [*plan.objects, *plan.policies] if "namespace" in o["metadata"]}
        assert named - created <= {"kube-system"}, (path.name, sorted(named - created))
        assert all(ns["metadata"]["labels"][RUN_LABEL] == RUN for ns in plan.namespaces)


def test_a_policy_in_a_namespace_without_pods_gets_that_namespace(tmp_path: Path) -> None:
    path = tmp_path / "lonely.yaml"
    path.write_text(yaml.safe_dump({
        "name": "lonely", "cluster": {"pods": [{"name": "a", "namespace": "apps"}]},
        "policies": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: audit}\n"
                    "spec: {podSelector: {}, policyTypes: [Ingress]}\n",
        "probes": [{"from": "apps/a", "to": "apps/a", "port": 80, "expect": "allowed"}]}))
    _, plan = _plan(path)
    assert plan.namespace_names() == [f"apps-{RUN}", f"audit-{RUN}"]
    assert plan.policies[0]["metadata"]["namespace"] == f"audit-{RUN}"


def test_world_probes_to_node_ports_are_skipped_when_the_outside_client_is_the_node() -> None:
    """On the local cluster the `world` client is this machine, i.e. the node: Cilium sees `host` there (the
    first corpus run on the agent let 130#1 in where the policy drops `world`). A ClusterIP target still runs:
    it is an error from anywhere outside."""
    _, remote = _plan(HERE / "130-north-south-nodeport.yaml", ClusterFacts())
    _, local = _plan(HERE / "130-north-south-nodeport.yaml", ClusterFacts(outside_is_node=True))
    world = [i for i, p in enumerate(local.probes) if p.expectation.probe.source == "world"]
    assert [remote.probes[i].skipped for i in world] == [None, None, None]
    reasons = [local.probes[i].skipped for i in world]
    assert reasons[0] and reasons[1] and "`host`" in reasons[0] and reasons[2] is None, reasons


def test_the_outside_client_is_the_node_only_when_its_address_is_this_machines() -> None:
    from labs.scenarios.live_run import _is_local_address

    assert _is_local_address("127.0.0.1")
    assert not _is_local_address("192.0.2.1")  # TEST-NET-1, never a local address
