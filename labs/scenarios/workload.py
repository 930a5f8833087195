"""A scenario's `cluster:` section as real Kubernetes objects, and which probes a real cluster can answer.

The simulated cluster needs no images: a pod there is its labels and ports, and every port answers. A
real cluster runs what the manifests say, so each simulated pod becomes one Pod with

- a `client` container (`curlimages/curl`: sh, curl, wget, nslookup, ping) that the probes exec into;
- one `serve-<port>` container per TCP port the pod must answer on (`hashicorp/http-echo`, any path,
  HTTP 200): the ports it declares plus every port a probe reaches on it, directly or through a Service,
  because the simulator treats every port as open. Declared ports keep their names (named ports in
  policies resolve against them).

Both images are the public names the course's manifests use; the local cluster imports its own builds
under them (labs/env/local/images.py), a course VM pulls them. Namespaces keep their labels, Services
their selectors and ports, pods their ServiceAccount; namespace names get the run's suffix
(`labs.scenarios.renaming`).

What has no real counterpart is skipped with the reason, never imitated: probes to the simulated outside
world (`fqdn:`, `ip:`, `entity:world`), UDP and SCTP probes (a dropped datagram and a silent server look
alike), nodes the real cluster does not have, and scenarios with L7 rules when the cluster has no Envoy.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

import yaml

from labs.manifests.objects import Pod, Service
from labs.probes import Probe
from labs.scenarios.renaming import NamespaceRenamer
from labs.scenarios.spec import Expectation, Scenario

__all__ = ["CLIENT_IMAGE", "SERVER_IMAGE", "RUN_LABEL", "ClusterFacts", "PlannedProbe", "WorkloadPlan",
           "plan_workload", "new_run_id", "served_ports"]

CLIENT_IMAGE = "curlimages/curl:8.11.1"
SERVER_IMAGE = "hashicorp/http-echo:1.0.0"
RUN_LABEL = "ciliumlab.io/verify-run"
"""On every namespace a run creates: finds leftovers (`kubectl get ns -l ciliumlab.io/verify-run`)."""
SIM_WORKER = "worker"
"""The node the simulated cluster puts every pod on that names none (labs/cluster/sim/network.py)."""
L7_RULE_KEYS = ("http", "kafka", "l7", "l7proto")
"""`rules:` kinds the agent hands to Envoy; `dns` rules are the agent's own DNS proxy."""


@dataclass(frozen=True)
class ClusterFacts:
    """What the real cluster can do, read from it before a run (defaults: the local test cluster)."""

    nodes: int = 1
    enforcement: str = "default"
    l7_proxy: bool = False
    """Envoy is running, so HTTP and Kafka rules can be enforced."""
    apiserver_from_pods: bool = False
    """The `kubernetes` Service has an endpoint a pod can reach (the local cluster's API server listens on
    127.0.0.1 only)."""
    outside_is_node: bool = False
    """The node a `from: world` probe connects to is this machine (the local cluster): the request then
    leaves the node's own network namespace, and Cilium gives it the `host` identity, which is always let
    in (allow-localhost), not `world`. A verdict about `world` cannot be observed from here."""


@dataclass(frozen=True)
class PlannedProbe:
    expectation: Expectation
    probe: Probe | None
    """The probe with the run's names; None when it involves a pod the workload does not create."""
    skipped: str | None = None
    """Why the real cluster cannot answer it (None: it runs)."""


@dataclass
class WorkloadPlan:
    scenario: Scenario
    renamer: NamespaceRenamer
    skipped: str | None = None
    """Why the whole scenario cannot run on this cluster (None: it runs)."""
    namespaces: list[dict[str, Any]] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)
    probes: list[PlannedProbe] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.renamer.suffix

    def workload_yaml(self) -> str:
        return yaml.safe_dump_all([*self.namespaces, *self.objects], sort_keys=False)

    def policies_yaml(self) -> str:
        return yaml.safe_dump_all(self.policies, sort_keys=False) if self.policies else ""

    def namespace_names(self) -> list[str]:
        return [str(ns["metadata"]["name"]) for ns in self.namespaces]


def new_run_id() -> str:
    """Five lower-case letters and digits, starting with a letter (DNS label rules)."""
    return secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(string.ascii_lowercase + string.digits) for _ in range(4))


# Scenario-level ---------------------------------------------------------------------------------------


def _l7_rules(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        rules = node.get("rules")
        if isinstance(rules, dict):
            found |= {k for k in rules if k in L7_RULE_KEYS}
        for value in node.values():
            found |= _l7_rules(value)
    elif isinstance(node, list):
        for item in node:
            found |= _l7_rules(item)
    return found


def _scenario_skip(scenario: Scenario, documents: list[dict[str, Any]], facts: ClusterFacts) -> str | None:
    if not scenario.has_cluster_section:
        return "no `cluster:` section: its `manifests:` run as written (`labs verify --backend live` alone)"
    if scenario.manifests:
        return "a `cluster:` section together with `manifests:` files is not converted"
    kept = sorted({f"Service {s.key}" for s in scenario.services if s.namespace == "kube-system"})
    if kept:
        return f"declares {', '.join(kept)} in kube-system, beside the cluster's own objects"
    if scenario.enforcement != facts.enforcement:
        return (f"needs policy enforcement {scenario.enforcement!r}, an agent setting; this cluster's agents run "
                f"{facts.enforcement!r}")
    l7 = _l7_rules(documents)
    if l7 and not facts.l7_proxy:
        return (f"{'/'.join(sorted(l7)).upper()} rules are enforced by Envoy, which this cluster does not run "
                "(the simulator alone checks them)")
    return None


# Pods -------------------------------------------------------------------------------------------------


def _absent(scenario: Scenario) -> dict[str, str]:
    """Pods pinned to a simulated node other than the one every unpinned pod shares, and the Services they
    back (as `svc:ns/name`), with the reason: the workload puts all pods on one node, so a pod meant to be on
    another is not created."""
    found = {p.key: f"pod {p.key} is pinned to the simulated node {p.node!r}; the converted workload runs on one "
             "node" for p in scenario.pods if p.node and p.node != SIM_WORKER}
    for svc in scenario.services:
        gone = [p.key for p in _backends(svc, scenario.pods) if p.key in found]
        if gone:
            found[f"svc:{svc.key}"] = f"Service {svc.key} is backed by {', '.join(gone)}: {found[gone[0]]}"
    return found


def _named(pod: Pod, port: int | str | None) -> int | None:
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    return next((cp.port for cp in pod.ports if cp.name == port and cp.protocol == "TCP"), None)


def _backends(svc: Service, pods: list[Pod]) -> list[Pod]:
    if svc.selector is None:
        return []
    return [p for p in pods if p.namespace == svc.namespace and not p.host_network
            and all(p.labels.get(k) == v for k, v in svc.selector.items())]


def served_ports(scenario: Scenario) -> dict[str, set[int]]:
    """TCP ports each pod must answer on: the ones it declares and every one a probe reaches."""
    pods = {p.key: p for p in scenario.pods}
    services = {s.key: s for s in scenario.services}
    ports: dict[str, set[int]] = {p.key: {cp.port for cp in p.ports if cp.protocol == "TCP"} for p in scenario.pods}
    for exp in scenario.expectations:
        probe, target = exp.probe, exp.probe.target
        if target is None or probe.protocol != "TCP":
            continue
        if target.kind == "pod" and target.value in pods:
            number = _named(pods[target.value], probe.port)
            if number is not None:
                ports[target.value].add(number)
        elif target.kind == "svc" and target.value in services:
            svc = services[target.value]
            for sp in svc.ports:
                if sp.protocol == "TCP" and (sp.port == probe.port or (sp.name and sp.name == probe.port)):
                    for pod in _backends(svc, list(pods.values())):
                        number = _named(pod, sp.target_port)
                        if number is not None:
                            ports[pod.key].add(number)
    return ports


def _pod_object(pod: Pod, serve: set[int], renamer: NamespaceRenamer) -> dict[str, Any]:
    declared = {cp.port: cp for cp in pod.ports if cp.protocol == "TCP"}
    other = [cp for cp in pod.ports if cp.protocol != "TCP"]
    root = {"runAsUser": 0, "runAsGroup": 0}  # ping needs a raw socket; ports below 1024 need root
    client: dict[str, Any] = {"name": "client", "image": CLIENT_IMAGE, "command": ["sleep", "86400"],
                              "securityContext": root}
    if other:
        client["ports"] = [_port_entry(cp.port, cp.name, cp.protocol) for cp in other]
    containers = [client]
    if not pod.host_network:
        for port in sorted(serve):
            cp = declared.get(port)
            server: dict[str, Any] = {
                "name": f"serve-{port}", "image": SERVER_IMAGE,
                "args": [f"-listen=:{port}", f"-text={pod.name} port {port}"], "securityContext": root,
                "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1}}
            if cp is not None:
                server["ports"] = [_port_entry(port, cp.name, "TCP")]
            containers.append(server)
    spec: dict[str, Any] = {"containers": containers, "terminationGracePeriodSeconds": 0,
                            "automountServiceAccountToken": False}
    if pod.service_account != "default":
        spec["serviceAccountName"] = pod.service_account
    if pod.host_network:
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    meta: dict[str, Any] = {"name": renamer.pod_name(pod.namespace, pod.name),
                            "namespace": renamer.namespace(pod.namespace),
                            "annotations": {"ciliumlab.io/probe-container": "client"}}
    if pod.labels:
        meta["labels"] = dict(pod.labels)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _port_entry(port: int, name: str | None, protocol: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"containerPort": port, "protocol": protocol}
    if name:
        entry["name"] = name
    return entry


def _service_object(svc: Service, renamer: NamespaceRenamer) -> dict[str, Any]:
    ports = []
    for sp in svc.ports:
        entry: dict[str, Any] = {"port": sp.port, "targetPort": sp.target_port, "protocol": sp.protocol}
        if sp.name:
            entry["name"] = sp.name
        if sp.node_port is not None and svc.type in ("NodePort", "LoadBalancer"):
            entry["nodePort"] = sp.node_port
        ports.append(entry)
    spec: dict[str, Any] = {"type": svc.type, "ports": ports}
    if svc.selector is not None:
        spec["selector"] = dict(svc.selector)
    if svc.type in ("NodePort", "LoadBalancer"):
        spec["externalTrafficPolicy"] = svc.external_traffic_policy
    meta: dict[str, Any] = {"name": svc.name, "namespace": renamer.namespace(svc.namespace)}
    if svc.labels:
        meta["labels"] = dict(svc.labels)
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


# Probes -----------------------------------------------------------------------------------------------


def _probe_skip(probe: Probe, scenario: Scenario, absent: dict[str, str], facts: ClusterFacts) -> str | None:
    pods = {p.key: p for p in scenario.pods}
    if probe.source == "host":
        return "a probe from the node itself needs a shell on the node, which the live backend does not have"
    if probe.source in absent:
        return absent[probe.source]
    target = probe.target
    if target is None:
        return None  # a DNS lookup through the cluster's DNS: runs
    if probe.protocol in ("UDP", "SCTP"):
        return f"{probe.protocol} probes cannot be judged on a real cluster: a dropped datagram and a silent server " \
               "look the same"
    if probe.source == "world" and target.kind != "svc":
        return "a client outside the cluster reaches Services through a NodePort, not pod addresses"
    if probe.source == "world" and facts.outside_is_node and _external_service(scenario, target.value):
        return ("the outside client would run on the node itself (its address is this machine's): Cilium sees it "
                "as `host`, always allowed in, not `world`")
    if str(target) in absent:
        return absent[str(target)]
    if target.kind == "pod" and target.value in pods and pods[target.value].host_network:
        return f"the destination {target.value} uses the node's network; serving its ports would bind the node's"
    if target.kind in ("fqdn", "ip") or (target.kind == "entity" and target.value == "world"):
        return (f"{target} is outside the cluster: the simulator's outside hosts (`external:`, documentation "
                "addresses) have no real counterpart that answers here")
    if target.kind == "entity":
        if target.value == "remote-node" and facts.nodes < 2:
            return "entity:remote-node needs a second node; this cluster has one"
        if target.value == "host" and probe.protocol == "TCP":
            return "nothing is known to listen on the node at that port (the simulator judges the policy only)"
        if target.value == "kube-apiserver" and not facts.apiserver_from_pods:
            return "the API server is not reachable from pods on this cluster (it listens on 127.0.0.1 only)"
    return None


def _external_service(scenario: Scenario, key: str) -> bool:
    """Whether the Service `ns/name` has node ports (a ClusterIP one answers `error` from anywhere outside,
    whichever identity the client has, so that probe still runs)."""
    return any(s.key == key and s.type in ("NodePort", "LoadBalancer") for s in scenario.services)


# The plan ---------------------------------------------------------------------------------------------


def plan_workload(scenario: Scenario, policy_documents: list[dict[str, Any]], *, run_id: str,
                  facts: ClusterFacts = ClusterFacts(), namespaced_kinds: frozenset[str] = frozenset(
                      {"CiliumNetworkPolicy", "NetworkPolicy"})) -> WorkloadPlan:
    """Turn a parsed scenario and its policy documents (plain dicts) into objects for one run."""
    names = {ns.name for ns in scenario.namespaces} | {p.namespace for p in scenario.pods} | \
        {s.namespace for s in scenario.services} | {"default"}
    names |= {str((d.get("metadata") or {}).get("namespace")) for d in policy_documents
              if str(d.get("kind")) in namespaced_kinds and (d.get("metadata") or {}).get("namespace")}
    renamer = NamespaceRenamer(run_id, frozenset(names))
    plan = WorkloadPlan(scenario, renamer, _scenario_skip(scenario, policy_documents, facts))
    absent = _absent(scenario)
    for exp in scenario.expectations:
        probe = exp.probe
        missing = probe.source in absent or (probe.target is not None and str(probe.target) in absent)
        reason = plan.skipped or _probe_skip(probe, scenario, absent, facts)
        plan.probes.append(PlannedProbe(exp, None if missing else renamer.probe(probe), reason))
    if plan.skipped:
        return plan
    labels_of = {ns.name: dict(ns.labels) for ns in scenario.namespaces}
    in_policies = {str((d.get("metadata") or {}).get("namespace") or "default") for d in policy_documents
                   if str(d.get("kind")) in namespaced_kinds}
    used = sorted({p.namespace for p in scenario.pods if p.key not in absent} | {s.namespace for s in scenario.services}
                  | {ns.name for ns in scenario.namespaces} | in_policies)
    for name in used:
        if renamer.namespace(name) == name:
            continue  # kube-system: the cluster's own
        labels = {k: v for k, v in labels_of.get(name, {}).items() if k != "kubernetes.io/metadata.name"}
        labels[RUN_LABEL] = run_id
        plan.namespaces.append({"apiVersion": "v1", "kind": "Namespace",
                                "metadata": {"name": renamer.namespace(name), "labels": labels}})
    accounts = sorted({(p.namespace, p.service_account) for p in scenario.pods
                       if p.service_account != "default" and p.key not in absent})
    for namespace, account in accounts:
        plan.objects.append({"apiVersion": "v1", "kind": "ServiceAccount",
                             "metadata": {"name": account, "namespace": renamer.namespace(namespace)},
                             "automountServiceAccountToken": False})
    serve = served_ports(scenario)
    for pod in scenario.pods:
        if pod.key not in absent:
            plan.objects.append(_pod_object(pod, serve[pod.key], renamer))
    for svc in scenario.services:
        plan.objects.append(_service_object(svc, renamer))
    for doc in policy_documents:
        plan.policies.append(renamer.policy(doc, namespaced=str(doc.get("kind")) in namespaced_kinds))
    return plan
