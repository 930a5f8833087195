"""Run a scenario with a `cluster:` section on a real cluster: create, wait, apply, probe, clean up.

One run of one scenario (`labs verify --backend live`): its workload (`labs.scenarios.workload`) is
created under namespaces of its own, the pods are waited for (bounded, with a progress line), then the
policies are applied by server-side apply and the run waits until the Cilium agents have realized them
(`labs.cluster.live.policysync`, as every live apply does). The probes the real cluster can answer run
as real execs in the pods; the others are reported as skipped with the reason. Whatever happens,
Ctrl-C included, everything the run created is deleted again unless `keep` asks otherwise.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from labs.cluster.base import ClusterError
from labs.cluster.live.api import ApiError, resource_path
from labs.cluster.live.apply import apply_documents, delete_documents
from labs.cluster.live.cluster import LiveCluster
from labs.cluster.live.outside import OutsideSetupError, entry_address
from labs.cluster.live.policysync import policy_changes
from labs.cluster.live.wait import wait_gone, wait_ready
from labs.manifests import load_text
from labs.outcomes import Outcome
from labs.probes import ProbeResult
from labs.scenarios.run import ProbeCheck, ScenarioResult, policy_documents
from labs.scenarios.spec import Scenario
from labs.scenarios.workload import ClusterFacts, WorkloadPlan, new_run_id, plan_workload

__all__ = ["LiveRun", "LineProgress", "as_scenario_result", "cluster_facts", "leftover_namespaces", "run_live",
           "DEFAULT_READY_TIMEOUT"]

DEFAULT_READY_TIMEOUT = 180.0
Say = Callable[[str], None]
POLICY_CHANGES = threading.Lock()
"""Held while a run changes policies and waits for the agents: the wait is for the revision after the one read
before the change, which another run's change (under `--parallel`) could reach first."""


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class LineProgress:
    """Progress as plain lines (a log, CI), one when the state changes and at most one every `every` s."""

    say: Say
    title: str
    every: float = 5.0
    _last: tuple[str, float] = ("", 0.0)

    def update(self, done: int, total: int, text: str) -> None:
        now = time.monotonic()
        if text != self._last[0] or now - self._last[1] >= self.every:
            self.say(f"  {self.title}: {done}/{total} {text}")
            self._last = (text, now)

    def close(self) -> None:
        """Nothing to tidy: every line is already out."""


@dataclass
class LiveRun:
    """One scenario's run: the plan, each planned probe's result (None when skipped or not reached)."""

    plan: WorkloadPlan
    results: list[ProbeResult | None] = field(default_factory=list)
    error: str | None = None
    """Why the run stopped before its probes (pods not ready, apply rejected); the probes then have no result."""
    policy_wait: str = ""
    """How the wait for the agents to realize the policies ended (`PolicySync.last`)."""
    seconds: float = 0.0


def _kube_dns_on_host(cluster: LiveCluster) -> bool:
    try:
        pods = cluster.api.items("/api/v1/namespaces/kube-system/pods", label_selector="k8s-app=kube-dns")
    except ClusterError:
        return False
    return any((p.get("spec") or {}).get("hostNetwork") for p in pods)


def _apiserver_from_pods(cluster: LiveCluster) -> bool:
    """Whether the `kubernetes` Service has an address a pod can reach (not loopback)."""
    try:
        endpoints = cluster.api.get_or_none("/api/v1/namespaces/default/endpoints/kubernetes") or {}
    except ClusterError:
        return False
    addresses = [a.get("ip", "") for s in endpoints.get("subsets") or [] for a in s.get("addresses") or []]
    return any(a and not a.startswith("127.") and a != "::1" for a in addresses)


def _is_local_address(address: str) -> bool:
    """Whether `address` belongs to this machine: only a local address can be bound."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((address, 0))
    except OSError:
        return False
    return True


def _outside_is_node(cluster: LiveCluster) -> bool:
    """Whether the node a `from: world` probe connects to (`labs.cluster.live.outside.entry_address`) is this
    machine, as on the local cluster (its node address sits on a link of this machine)."""
    try:
        _, address = entry_address(cluster.api.items("/api/v1/nodes"))
    except (ClusterError, OutsideSetupError):
        return False
    return _is_local_address(address)


def cluster_facts(cluster: LiveCluster, *, l7_proxy: bool = False) -> tuple[ClusterFacts, dict[str, Any]]:
    """What the real cluster offers, and facts the agreement report uses to diagnose (CoreDNS's network)."""
    info = cluster.info(agent=False)
    facts = ClusterFacts(nodes=max(1, len(info.nodes)), enforcement=info.policy_enforcement or "default",
                         l7_proxy=l7_proxy, apiserver_from_pods=_apiserver_from_pods(cluster),
                         outside_is_node=_outside_is_node(cluster))
    return facts, {"kube_dns_host_network": _kube_dns_on_host(cluster), "cilium_version": info.cilium_version,
                   "outside_is_node": facts.outside_is_node, "nodes": facts.nodes, "enforcement": facts.enforcement,
                   "server": cluster.api.server}


def _documents(text: str, name: str):
    return list(load_text(text, name=name).documents) if text.strip() else []


def _cleanup(cluster: LiveCluster, plan: WorkloadPlan, timeout: float, say: Say) -> None:
    """Delete the run's policies (waiting for the agents), then its objects and namespaces (waiting until gone)."""
    problems = []
    for what, text in (("policies", plan.policies_yaml()), ("workload", plan.workload_yaml())):
        try:
            docs = _documents(text, f"{plan.scenario.file} (run {plan.run_id} {what})")
            if not docs:
                continue
            if what == "policies":
                with POLICY_CHANGES:
                    before = cluster.policy_sync.revisions()
                    result, _ = delete_documents(cluster.api, docs, mapper=cluster.mapper)
                    if result.deleted:
                        cluster.policy_sync.wait(before, policy_changes(deleted=result.deleted))
                continue
            _, gone = delete_documents(cluster.api, docs, mapper=cluster.mapper)
            wait_gone(cluster.api, [(t.label, t.path) for t in gone], timeout=timeout,
                      progress=LineProgress(say, f"{plan.scenario.name}: deleting"))
        except (ClusterError, ApiError) as exc:
            problems.append(f"{what}: {exc}")
    if problems:
        names = ", ".join(plan.namespace_names())
        say(f"  cleanup of run {plan.run_id} incomplete ({'; '.join(problems)}); remove what is left with "
            f"`kubectl delete namespace {names}`")


def _account_missing(exc: ClusterError) -> bool:
    """The API server refused a pod because its ServiceAccount does not exist yet: in a namespace created a
    moment ago the controller-manager has not made `default` yet ("error looking up service account ...")."""
    text = str(exc).lower()
    return ("service account" in text or "serviceaccount" in text) and "not found" in text


def _create_workload(cluster: LiveCluster, workload: list, timeout: float, say: Say, name: str) -> None:
    """Namespaces and ServiceAccounts first, then pods and Services (asked again while the pods' ServiceAccounts
    are still being made, within `timeout`), then wait until every pod is Ready."""
    first = [d for d in workload if d.kind in ("Namespace", "ServiceAccount")]
    rest = [d for d in workload if d.kind not in ("Namespace", "ServiceAccount")]
    deadline = time.monotonic() + timeout
    if first:
        apply_documents(cluster.api, first, mapper=cluster.mapper)
    while True:
        try:
            _, targets = apply_documents(cluster.api, rest, mapper=cluster.mapper)
            break
        except ClusterError as exc:
            if not _account_missing(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.5)
    wait_ready(cluster.api, targets, timeout=max(1.0, deadline - time.monotonic()),
               progress=LineProgress(say, f"{name}: pods"))


def _ordered(plan: WorkloadPlan) -> bool:
    """Whether the probes must keep their written order: an outside address becomes reachable through toFQDNs
    only after an allowed lookup (see `labs.scenarios.run`). Lookups alone may run in parallel."""
    return any(p.probe is not None and not p.skipped and p.probe.target is not None
               and p.probe.target.kind in ("fqdn", "ip") for p in plan.probes)


def run_live(scenario: Scenario, cluster: LiveCluster, *, facts: ClusterFacts, probe_timeout: float = 5.0,
             ready_timeout: float = DEFAULT_READY_TIMEOUT, keep: bool = False, run_id: str | None = None,
             say: Say = _stderr) -> LiveRun:
    """Create, wait, apply, probe and clean up; raises ManifestError for an invalid scenario (nothing created)."""
    started = time.monotonic()
    plan = plan_workload(scenario, policy_documents(scenario), run_id=run_id or new_run_id(), facts=facts)
    run = LiveRun(plan, [None] * len(plan.probes))
    if plan.skipped:
        return run
    workload = _documents(plan.workload_yaml(), f"{scenario.file} (run {plan.run_id} workload)")
    policies = _documents(plan.policies_yaml(), f"{scenario.file} (run {plan.run_id} policies)")
    runnable = [i for i, p in enumerate(plan.probes) if p.probe is not None and not p.skipped]
    pods = sum(1 for d in workload if d.kind == "Pod")
    say(f"{scenario.name}: run {plan.run_id}, {pods} pod(s) in {', '.join(plan.namespace_names()) or 'kube-system'}, "
        f"{len(policies)} polic{'y' if len(policies) == 1 else 'ies'}, {len(runnable)} of {len(plan.probes)} "
        "probe(s) runnable here")
    try:
        if runnable:
            _create_workload(cluster, workload, ready_timeout, say, scenario.name)
            if policies:
                with POLICY_CHANGES:
                    before = cluster.policy_sync.revisions()
                    applied, _ = apply_documents(cluster.api, policies, mapper=cluster.mapper)
                    run.policy_wait = cluster.policy_sync.wait(
                        before, policy_changes(applied=(*applied.created, *applied.spec_changed)))
                say(f"  policies: {run.policy_wait}")
            probes = [plan.probes[i].probe for i in runnable]
            results = cluster.probe_many([p for p in probes if p is not None], timeout=probe_timeout,
                                         parallel=1 if _ordered(plan) else 8)
            for i, result in zip(runnable, results):
                run.results[i] = result
    except (ClusterError, ApiError) as exc:
        run.error = str(exc)
        say(f"  {scenario.name}: stopped: {run.error.splitlines()[0]}")
    finally:
        if keep:
            say(f"  kept run {plan.run_id}: namespaces {', '.join(plan.namespace_names())}")
        else:
            _cleanup(cluster, plan, ready_timeout, say)
        run.seconds = time.monotonic() - started
    return run


def as_scenario_result(run: LiveRun) -> ScenarioResult:
    """The run as `labs verify` reports any scenario: a check per probe that ran (or should have), skips apart."""
    result = ScenarioResult(run.plan.scenario)
    for planned, found in zip(run.plan.probes, run.results):
        reason = run.plan.skipped or planned.skipped
        if reason:
            result.skipped.append((planned.expectation, reason))
            continue
        if found is None:
            found = ProbeResult(planned.expectation.probe, Outcome.ERROR,
                                f"not run: {run.error or 'the run stopped before this probe'}")
        result.checks.append(ProbeCheck(planned.expectation, found))
    return result


def leftover_namespaces(cluster: LiveCluster) -> list[str]:
    """Namespaces of earlier runs still on the cluster (kept, or interrupted during cleanup)."""
    from labs.scenarios.workload import RUN_LABEL

    return sorted(o["metadata"]["name"] for o in cluster.api.items(resource_path("v1", "namespaces"),
                                                                    label_selector=RUN_LABEL))

