"""`LiveCluster`: the `Cluster` interface on a real cluster running Cilium.

Same Probe in, same ProbeResult out as the simulated backend. Reads and writes go through the
bounded `KubeApi`; probes through `PodExec` (exec in pods); policy waits, Hubble reads and agent status
through `CiliumAgents` (exec in the agent pods, or the host agent's own CLIs);
flows are correlated with probes after each batch.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Sequence

import yaml

from labs.cluster.base import DEFAULT_PROBE_TIMEOUT, ApplyResult, ClusterError, ClusterInfo
from labs.cluster.live.agents import CiliumAgents, find_agents
from labs.cluster.live.api import ApiError, KubeApi, resource_path
from labs.cluster.live.apply import LAB_LABEL, ResourceMapper, apply_documents, delete_documents, namespace_object
from labs.cluster.live.connect import DEFAULT_CONNECT_TIMEOUT, Connection, connect
from labs.cluster.live.convert import namespace_from_api, pod_from_api, service_from_api
from labs.cluster.live.correlate import attribute, flows_for
from labs.cluster.live.execpod import KubernetesExec, PodExec
from labs.cluster.live.facts import agent_status, cilium_config, identity_of, nodes, relay_status
from labs.cluster.live.hubble import AgentExecHubble, FlowReader
from labs.cluster.live.policysync import (
    DEFAULT_POLICY_SETTLE,
    DEFAULT_POLICY_WAIT,
    PolicySync,
    policy_changes,
    touches_policies,
)
from labs.cluster.live.probe import ProbeRunner
from labs.cluster.live.progress import Progress, make_progress
from labs.cluster.live.trainee_scope import read_namespaces, selector_matches, trainee_namespace_names
from labs.cluster.live.wait import wait_gone, wait_ready
from labs.manifests.objects import Namespace, Pod, Service
from labs.probes import Probe, ProbeResult

__all__ = ["LiveCluster", "POLICY_RESOURCES"]

POLICY_RESOURCES = (
    ("cilium.io/v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy", True),
    ("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", True),
    ("cilium.io/v2", "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", False),
)
_SERVER_FIELDS = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
                  "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers")


def _clean(obj: dict[str, Any], api_version: str, kind: str) -> dict[str, Any]:
    """An object read from the API as its author would have written it."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_FIELDS}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if k != "kubectl.kubernetes.io/last-applied-configuration"}
    meta.pop("annotations", None)
    if annotations:
        meta["annotations"] = annotations
    clean = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    for key in ("spec", "specs"):
        if key in obj:
            clean[key] = obj[key]
    return clean


def _workshop_flow_reader(api: KubeApi) -> FlowReader | None:
    """A workshop trainee reads flows through the room's flows service (`LABS_FLOWS_URL`), not the agents."""
    from labs.workshop.flows_service import flow_reader_from_env

    return flow_reader_from_env(api.client)


class LiveCluster:
    """A real cluster reached through a kubeconfig; see docs/live.md for what runs where."""

    backend = "live"

    def __init__(self, connection: Connection | None = None, *, context: str | None = None,
                 timeout: float = DEFAULT_CONNECT_TIMEOUT, execer: PodExec | None = None,
                 flow_reader: FlowReader | None = None, hubble: bool = True, reason: str | None = None,
                 lab: str | None = None, flow_settle: float = 1.0, progress: bool = True,
                 policy_wait: float = DEFAULT_POLICY_WAIT, policy_settle: float = DEFAULT_POLICY_SETTLE,
                 agents: CiliumAgents | None = None):
        self.connection = connection or connect(context=context, timeout=timeout)
        if not self.connection.cilium_installed:
            raise ClusterError(f"The cluster at {self.connection.api.server!r} ({self.connection.where}) answers, but "
                               "Cilium is not installed (no CRD ciliumnetworkpolicies.cilium.io). Provision it with "
                               "`vagrant up --provision`, or set LABS_BACKEND=sim.")
        self.api: KubeApi = self.connection.api
        self.execer: PodExec = execer or KubernetesExec(self.api.client)
        self.agents: CiliumAgents = agents or find_agents(self.api, self.execer)
        """The Cilium agents: pods reached by exec, or a host agent (CILIUM_SOCK); see `labs.cluster.live.agents`."""
        reader = flow_reader or _workshop_flow_reader(self.api) or AgentExecHubble(self.api, self.execer,
                                                                                   agents=self.agents)
        self.flow_reader: FlowReader | None = reader if hubble else None
        self.reason = reason or (f"live: {self.connection.api.server} ({self.connection.choice.label}, context "
                                 f"{self.connection.choice.context!r}), Cilium "
                                 f"{self.connection.cilium_version or 'version unknown'}")
        self.lab = lab
        self.flow_settle = flow_settle
        self.show_progress = progress
        self.mapper = ResourceMapper(self.api)
        self.runner = ProbeRunner(self.api, self.execer)
        self.policy_sync = PolicySync(self.agents, wait_timeout=policy_wait, settle=policy_settle)

    def _progress(self, title: str) -> Progress | None:
        return make_progress(title) if self.show_progress else None

    # Facts --------------------------------------------------------------------------------------

    def info(self, *, agent: bool = True) -> ClusterInfo:
        """Facts from the API (cilium-config, nodes, relay) and, with `agent`, from `cilium-dbg status`.

        A fact the kubeconfig's user may not read (a workshop trainee's role) is "unknown", named in
        `extra["unknown"]`; it never fails the call."""
        extra: dict[str, Any] = {"kubeconfig": self.connection.choice.path_text,
                                 "context": self.connection.choice.context, "server": self.api.server,
                                 "kubernetes_version": self.connection.kubernetes_version}
        unknown: list[str] = []

        def fact(read: Any, default: Any, what: str) -> Any:
            try:
                return read(self.api)
            except ApiError as exc:
                if exc.status != 403:
                    raise
                unknown.append(f"{what}: not readable with this kubeconfig ({exc.detail or 'HTTP 403'})")
                return default

        config = fact(cilium_config, None, "cilium-config")
        hubble = fact(relay_status, "unknown (hubble-relay is not readable with this kubeconfig)", "hubble-relay")
        node_list = fact(nodes, (), "nodes")
        if unknown:
            extra["unknown"] = unknown
        status: dict[str, str] = {}
        if agent:
            try:
                status = agent_status(self.agents, timeout=10.0)
            except ClusterError as exc:
                extra["agent_error"] = str(exc)
        if status:
            extra["agent_status"] = status
        kpr = config.kube_proxy_replacement if config else None
        if kpr is None and status.get("KubeProxyReplacement"):
            kpr = status["KubeProxyReplacement"].split()[0].lower()
        return ClusterInfo(
            backend="live", reason=self.reason, cilium_version=self.connection.cilium_version,
            policy_enforcement=config.policy_enforcement if config else "default",
            kube_proxy_replacement=kpr,
            l7_proxy=config.l7_proxy if config else True,
            hubble=hubble, nodes=node_list, extra=extra)

    def namespaces(self) -> list[Namespace]:
        return [namespace_from_api(o) for o in self._namespace_objects()]

    def _namespace_objects(self, label_selector: str | None = None) -> list[dict[str, Any]]:
        """Namespaces by list when allowed; a workshop trainee, who may not list them, reads their own by
        name (`trainee_scope`) and kube-system, filtered by the same label selector."""
        try:
            return self.api.items("/api/v1/namespaces", label_selector=label_selector)
        except ApiError as exc:
            if exc.status != 403:
                raise
        from labs.workshop.names import trainee_from_env

        trainee = trainee_from_env()
        names = [*trainee_namespace_names(trainee), "kube-system"] if trainee else ["kube-system"]
        found = read_namespaces(self.api, names)
        if label_selector:
            found = [o for o in found if selector_matches(label_selector, o)]
        return found

    def pods(self, namespace: str | None = None) -> list[Pod]:
        return [pod_from_api(o) for o in self._listing("v1", "pods", namespace)]

    def services(self, namespace: str | None = None) -> list[Service]:
        return [service_from_api(o) for o in self._listing("v1", "services", namespace)]

    def _listing(self, api_version: str, plural: str, namespace: str | None) -> list[dict[str, Any]]:
        """One namespace, or every namespace the user may read: cluster-wide when allowed, else namespace by
        namespace over `readable_namespaces()` (a workshop trainee reads only their own and kube-system)."""
        if namespace is not None:
            return self.api.items(resource_path(api_version, plural, namespace=namespace))
        try:
            return self.api.items(resource_path(api_version, plural))
        except ApiError as exc:
            if exc.status != 403:
                raise
        found: list[dict[str, Any]] = []
        for name in self.readable_namespaces():
            try:
                found += self.api.items(resource_path(api_version, plural, namespace=name))
            except ApiError as exc:
                if exc.status != 403:
                    raise
        return found

    def readable_namespaces(self) -> list[str]:
        """Where a user without cluster-wide reads looks: in workshop mode the trainee's namespaces (by their
        label), else every namespace; kube-system always (trainees read kube-dns and the agents there)."""
        from labs.workshop.names import TRAINEE_ENV
        from labs.workshop.scope import TRAINEE_LABEL

        trainee = os.environ.get(TRAINEE_ENV, "").strip()
        selector = f"{TRAINEE_LABEL}={trainee}" if trainee else None
        names = {o["metadata"]["name"] for o in self._namespace_objects(selector)}
        return sorted(names | {"kube-system"})

    def identity(self, pod: str) -> int | None:
        namespace, _, name = pod.partition("/")
        if not name:
            raise ValueError(f"pod {pod!r} must be written as namespace/name")
        return identity_of(self.api, namespace, name)

    def policies(self) -> list[Any]:
        """Policies in force, read from the API and passed through the course's manifest loader."""
        from labs.manifests import load_text

        found: list[Any] = []
        for api_version, plural, kind, _namespaced in POLICY_RESOURCES:
            try:
                items = self._listing(api_version, plural, None)
            except ApiError as exc:
                if exc.status not in (403, 404):  # 404: the kind is not served (Cilium CRDs missing)
                    raise
                items = []
            for obj in items:
                clean = _clean(obj, api_version, kind)
                meta = clean["metadata"]
                name = f"<cluster> {kind} " + (f"{meta.get('namespace')}/" if meta.get("namespace") else "") + \
                    str(meta.get("name"))
                found.extend(load_text(yaml.safe_dump(clean, sort_keys=False), name=name,
                                       default_namespace=str(meta.get("namespace") or "default")).policies)
        return found

    # Changes ------------------------------------------------------------------------------------

    def _load(self, sources: Iterable[str] | str):
        from labs.manifests import load_sources

        node_names = tuple(n.name for n in nodes(self.api))
        return load_sources(sources, nodes=node_names)

    def apply(self, sources: Iterable[str] | str, *, timeout: float = 120.0, lab: str | None = None,
              wait: bool = True) -> ApplyResult:
        """Apply, wait for the workloads, and (with policies among the documents) for the agents to realize them."""
        manifest = self._load(sources)
        before = self.policy_sync.revisions() if wait and manifest.policies else None
        result, targets = apply_documents(self.api, list(manifest.documents), lab=lab or self.lab, mapper=self.mapper)
        if wait:
            wait_ready(self.api, targets, timeout=timeout, progress=self._progress("apply"))
            if touches_policies((*result.created, *result.configured)):
                self.policy_sync.wait(before, policy_changes(applied=(*result.created, *result.spec_changed)))
        return result

    def delete(self, sources: Iterable[str] | str, *, timeout: float = 120.0) -> ApplyResult:
        manifest = self._load(sources)
        before = self.policy_sync.revisions() if manifest.policies else None
        result, gone = delete_documents(self.api, list(manifest.documents), mapper=self.mapper)
        wait_gone(self.api, [(t.label, t.path) for t in gone], timeout=timeout, progress=self._progress("delete"))
        if touches_policies(result.deleted):
            self.policy_sync.wait(before, policy_changes(deleted=result.deleted))
        return result

    def ensure_namespace(self, name: str, *, lab: str | None = None, labels: dict[str, str] | None = None) -> bool:
        """Create or relabel a lab namespace; True when it was created."""
        path = resource_path("v1", "namespaces", name=name)
        existed = self.api.get_or_none(path) is not None
        self.api.apply(path, namespace_object(name, lab or self.lab, labels))
        return not existed

    def lab_namespaces(self, lab: str | None = None) -> list[str]:
        selector = f"{LAB_LABEL}={lab}" if lab else LAB_LABEL
        return sorted(o["metadata"]["name"] for o in self._namespace_objects(selector))

    def delete_namespaces(self, names: Iterable[str], *, timeout: float = 120.0) -> ApplyResult:
        deleted = []
        for name in names:
            if name in ("kube-system", "kube-public", "kube-node-lease", "default"):
                raise ClusterError(f"Refusing to delete the namespace {name!r}: the course only deletes its own lab "
                                   "namespaces.")
            if self.api.delete(resource_path("v1", "namespaces", name=name)):
                deleted.append(name)
        wait_gone(self.api, [(f"Namespace {n}", resource_path("v1", "namespaces", name=n)) for n in deleted],
                  timeout=timeout, progress=self._progress("reset"))
        return ApplyResult(deleted=tuple(f"Namespace {n}" for n in deleted))

    def delete_policies(self, *, namespaces: Iterable[str] | None = None, cluster_wide: bool = False) -> ApplyResult:
        """Delete policies in the namespaces (default: every namespace labelled ciliumlab.io/lab)."""
        spaces = list(namespaces) if namespaces is not None else self.lab_namespaces()
        before = self.policy_sync.revisions()
        deleted = []
        for api_version, plural, kind, namespaced in POLICY_RESOURCES:
            if not namespaced:
                if not cluster_wide:
                    continue
                for obj in self.api.items(resource_path(api_version, plural)):
                    name = obj["metadata"]["name"]
                    if self.api.delete(resource_path(api_version, plural, name=name)):
                        deleted.append(f"{kind} {name}")
                continue
            for ns in spaces:
                for obj in self.api.items(resource_path(api_version, plural, namespace=ns)):
                    name = obj["metadata"]["name"]
                    if self.api.delete(resource_path(api_version, plural, namespace=ns, name=name)):
                        deleted.append(f"{kind} {ns}/{name}")
        if deleted:
            self.policy_sync.wait(before, policy_changes(deleted=deleted))
        return ApplyResult(deleted=tuple(deleted))

    # Probes and flows ---------------------------------------------------------------------------

    def probe(self, probe: Probe, *, timeout: float = DEFAULT_PROBE_TIMEOUT) -> ProbeResult:
        return self.probe_many([probe], timeout=timeout, parallel=1)[0]

    def probe_many(self, probes: Sequence[Probe], *, timeout: float = DEFAULT_PROBE_TIMEOUT,
                   parallel: int = 8) -> list[ProbeResult]:
        """Run probes concurrently (at most `parallel` execs at once), then read Hubble once for the window."""
        if parallel < 1:
            raise ValueError(f"parallel must be at least 1, not {parallel!r}")
        if not probes:
            return []
        started = datetime.now(timezone.utc)
        with ThreadPoolExecutor(max_workers=min(parallel, len(probes))) as pool:
            outcomes = list(pool.map(lambda p: self.runner.run(p, timeout=timeout), probes))
        flows: list[dict[str, Any]] = []
        hubble_error = None
        if self.flow_reader is not None:
            time.sleep(self.flow_settle)
            try:
                flows = self.flow_reader.observe(since=started - timedelta(seconds=1),
                                                 until=datetime.now(timezone.utc) + timedelta(seconds=1))
            except ClusterError as exc:
                hubble_error = str(exc)
        results = []
        for probe, (found, ends) in zip(probes, outcomes):
            mine = flows_for(flows, ends) if ends is not None else []
            final = attribute(found, mine, ends) if ends is not None else found
            detail = dict(final.detail)
            if hubble_error:
                detail["hubble_error"] = hubble_error
            results.append(ProbeResult(probe, final.outcome, final.reason, tuple(mine), None, detail))
        return results

    def flows(self, *, since: datetime | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        if self.flow_reader is None:
            raise ClusterError("Hubble reading is turned off for this cluster (hubble=False).")
        start = since or datetime.now(timezone.utc) - timedelta(minutes=5)
        return self.flow_reader.observe(since=start, limit=limit)
