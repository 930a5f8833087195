"""SimCluster: the embedded backend, an in-process cluster whose network obeys the policy engine.

It keeps pods, Services and policies, gives pods addresses and identities, answers probes with the
engine's verdicts (outcome words with reasons), and records the Hubble flows each probe produces, so
every notebook runs and checks itself without a VM.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from labs.cluster.base import DEFAULT_PROBE_TIMEOUT, ApplyResult, ClusterError, ClusterInfo, NodeInfo
from labs.cluster.sim.hubble import FlowContext, attempt_flows, dns_flows
from labs.cluster.sim.network import (
    Addressing,
    SimNode,
    builtin_objects,
    default_nodes,
)
from labs.cluster.sim.nodeports import allocate_node_ports
from labs.cluster.sim.outside import outside_source
from labs.cluster.sim.pending import PendingFlows, frozen_context
from labs.cluster.sim.records import Records, record_namespace
from labs.cluster.sim.resolve import Resolved, ResolveError, backends, cluster_dns_name
from labs.cluster.sim.state import ObjectStore
from labs.cluster.sim.targets import TargetsMixin
from labs.manifests import ManifestSet, load_sources
from labs.manifests.objects import Namespace, Pod, Service
from labs.outcomes import Outcome
from labs.policy.endpoints import RESERVED_IDENTITY, Endpoint, Traffic, pod_endpoint
from labs.policy.engine import ENFORCEMENT_MODES, PolicyEngine
from labs.policy.fqdn import normalize_name
from labs.policy.verdict import Verdict
from labs.probes import HttpRequest, Probe, ProbeResult

__all__ = ["CILIUM_VERSION", "Evaluation", "SimCluster"]


@dataclass(frozen=True)
class Evaluation:
    """The endpoints and traffic behind the last policy decision of a probe (what `explain` shows)."""

    source: Endpoint
    destination: Endpoint
    traffic: Traffic
    verdict: Verdict

CILIUM_VERSION = "1.19.5"


class SimCluster(TargetsMixin):
    """A simulated Kubernetes cluster running Cilium (see module docstring)."""

    backend = "sim"

    def __init__(self, *, workers: int = 1, enforcement: str = "default",
                 external: dict[str, str] | None = None, clock: Callable[[], datetime] | None = None,
                 reason: str = "simulated cluster (no real cluster in use)", lazy_flows: bool | None = None):
        self.nodes: tuple[SimNode, ...] = default_nodes(workers)
        self.addressing = Addressing(self.nodes)
        self.store = ObjectStore()
        self.reason = reason
        self._enforcement = "default"
        self.set_enforcement(enforcement)
        self.external: dict[str, str] = {}
        """External DNS names (normalised) -> address, as the cluster's upstream DNS would answer."""
        self.fqdn_cache: dict[str, set[str]] = {}
        """Address -> names the DNS proxy saw resolve to it (what toFQDNs selects on)."""
        self._pod_ip: dict[str, str] = {}
        self._endpoint_ids: dict[str, int] = {}
        self._flows: list[dict[str, Any] | PendingFlows] = []
        self._lazy_flows = clock is None if lazy_flows is None else lazy_flows
        """Build a probe's flows when read (pending.py). Off by default under a given clock, which the
        builder then calls once per event as before (tests' clocks tick per call); the wall clock is read
        once per attempt instead."""
        self._endpoints: dict[tuple[str, bool], tuple[Pod, str | None, Any, Endpoint]] = {}
        self._engine: PolicyEngine | None = None
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self.records = Records(self._clock)
        """Creation times, uids and applied manifests of every object (what `kubectl get` prints)."""
        self.created = self._clock()
        """When the cluster (its nodes and built-in objects) came up."""
        self._probe_count = 0
        self.policy_audit_mode = False
        """The agents' `policy-audit-mode` (every endpoint audits unless its own option says otherwise)."""
        self.config_overrides: dict[str, str] = {}
        """cilium-config keys changed on this cluster (`cilium config set`); agents read them on restart."""
        self._endpoint_audit: dict[str, bool] = {}
        """pod key -> the endpoint's own PolicyAuditMode option (`cilium-dbg endpoint config`)."""
        self.last_evaluation: Evaluation | None = None
        """Set by every probe that reached a policy decision (for the last decision it made)."""
        namespaces, pods, services = builtin_objects(self.nodes)
        self.store.apply(ManifestSet(namespaces=namespaces, pods=pods, services=services), self._place)
        for ns in namespaces:
            self.records.put("Namespace", None, ns.name, {"apiVersion": "v1", "kind": "Namespace",
                                                          "metadata": {"name": ns.name, "labels": dict(ns.labels)}},
                             applied=False)
        for name, ip in (external or {}).items():
            self.add_external(name, ip)

    # --- configuration --------------------------------------------------------------------------------

    def set_enforcement(self, mode: str) -> None:
        """Cilium's `enable-policy` agent setting: default, always or never."""
        if mode not in ENFORCEMENT_MODES:
            raise ClusterError(f"policy enforcement mode {mode!r} does not exist; use one of "
                               f"{', '.join(ENFORCEMENT_MODES)}")
        self._enforcement = mode
        self._engine = None

    @property
    def enforcement(self) -> str:
        return self._enforcement

    def set_policy_audit_mode(self, enabled: bool) -> None:
        """The agents' `policy-audit-mode` setting, as agents restarted with it apply it to every endpoint."""
        self.policy_audit_mode = enabled
        self.config_overrides["policy-audit-mode"] = "true" if enabled else "false"

    def set_endpoint_audit(self, pod: str, enabled: bool) -> None:
        """One endpoint's PolicyAuditMode option (`cilium-dbg endpoint config ID PolicyAuditMode=...`)."""
        if pod not in self.store.pods:
            raise ClusterError(f"pod {pod} does not exist")
        self._endpoint_audit[pod] = enabled

    def audits(self, pod: str) -> bool:
        """Whether the endpoint of pod `ns/name` runs in policy audit mode: its own option, else the agent's."""
        return self._endpoint_audit.get(pod, self.policy_audit_mode) if pod in self.store.pods else False

    def restart_agents(self) -> None:
        """What restarting the Cilium agents does here: they read cilium-config again."""
        self.policy_audit_mode = self.config_overrides.get("policy-audit-mode", "false") == "true"

    def _forget_gone_endpoints(self) -> None:
        """A deleted pod's endpoint goes with it, and so do the options set on it."""
        for key in [k for k in self._endpoint_audit if k not in self.store.pods]:
            del self._endpoint_audit[key]

    def add_external(self, name: str, ip: str) -> None:
        """Make a name outside the cluster resolvable (to `ip`) through kube-dns."""
        ipaddress.ip_address(ip)
        self.external[normalize_name(name)] = ip

    # --- the Cluster interface ------------------------------------------------------------------------

    def info(self) -> ClusterInfo:
        return ClusterInfo(
            backend="sim", reason=self.reason, cilium_version=f"{CILIUM_VERSION} (simulated)",
            policy_enforcement=self._enforcement, kube_proxy_replacement="true", l7_proxy=True,
            hubble="simulated: flows are recorded for every probe",
            nodes=tuple(NodeInfo(n.name, n.internal_ip, True, ("control-plane",) if n.control_plane else ())
                        for n in self.nodes))

    def load(self, sources: Iterable[str | Path] | str | Path) -> ManifestSet:
        items = [sources] if isinstance(sources, (str, Path)) else list(sources)
        return load_sources([str(s) if isinstance(s, Path) else s for s in items],
                            nodes=tuple(n.name for n in self.nodes))

    def apply(self, sources: Iterable[str] | str, *, timeout: float = 120.0) -> ApplyResult:
        ms = self.load(sources)
        return self.apply_set(ms)

    def apply_set(self, ms: ManifestSet, *, applied: bool = True) -> ApplyResult:
        """Apply already-validated objects; all or nothing. `applied=False` records them as `kubectl create`
        makes them (without the last-applied-configuration annotation)."""
        self.store.check_namespaces(ms)
        for pod in ms.pods:
            if pod.node and pod.node not in {n.name for n in self.nodes}:
                raise ClusterError(f"pod {pod.key} asks for node {pod.node!r}, which does not exist; nodes: "
                                   f"{', '.join(n.name for n in self.nodes)}. Nothing was applied.")
        services = []
        for svc in ms.services:
            if svc.cluster_ip is None:
                old = self.store.services.get(svc.key)
                svc = replace(svc, cluster_ip=old.cluster_ip if old else self.addressing.service_ip())
            services.append(svc)
        services = allocate_node_ports(services, self.store.services)
        result = self.store.apply(replace(ms, services=services), self._place)
        self.records.sync(self.store)
        self.records.observe(ms, applied=applied)
        self._engine = None
        return result

    def delete(self, sources: Iterable[str] | str, *, timeout: float = 120.0) -> ApplyResult:
        return self.delete_set(self.load(sources))

    def delete_set(self, ms: ManifestSet) -> ApplyResult:
        """Delete already-validated objects (and the records kept for them)."""
        result = self.store.delete(ms)
        for doc in ms.documents:
            self.records.drop(doc.kind, record_namespace(doc.kind, doc.namespace), doc.name)
        self.records.sync(self.store)
        self._forget_gone_endpoints()
        self._engine = None
        return result

    def delete_namespaces(self, names: Iterable[str], *, timeout: float = 120.0) -> ApplyResult:
        result = self.store.delete_namespaces(list(names))
        self.records.sync(self.store)
        self._forget_gone_endpoints()
        self._engine = None
        return result

    def delete_policies(self, *, namespaces: Iterable[str] | None = None, cluster_wide: bool = False) -> ApplyResult:
        wanted = set(namespaces) if namespaces is not None else None
        deleted = []
        for key in list(self.store.policies):
            kind, ns, name = key
            if (ns is None and cluster_wide) or (ns is not None and (wanted is None or ns in wanted)):
                del self.store.policies[key]
                deleted.append(f"{kind.lower()}/{ns + '/' if ns else ''}{name}")
        self.records.sync(self.store)
        self._engine = None
        return ApplyResult(deleted=tuple(deleted))

    def now(self) -> datetime:
        """The cluster's clock (injected in tests), the time ages and flow timestamps are measured against."""
        return self._clock()

    def identity_labels(self, pod: str) -> frozenset | None:
        """The security labels Cilium derives for a pod (`ns/name`): its identity's label set."""
        p = self.store.pods.get(pod)
        return None if p is None else self._endpoint(p).labels

    def destination(self, source: str, ip: str, port: int) -> tuple[Pod, int] | None:
        """The pod and port a TCP connection from pod `source` to ip:port lands on (after Service
        translation), or None when it is not a pod or cannot be resolved."""
        src = self.store.pods.get(source)
        if src is None:
            return None
        try:
            resolved = self._resolve_ip(self._endpoint(src), ip, Probe(source, None, port))
        except ResolveError:
            return None
        if resolved.pod is None or resolved.port is None:
            return None
        return resolved.pod, resolved.port

    def set_labels(self, kind: str, namespace: str | None, name: str, labels: dict[str, str]) -> None:
        """Replace the labels of a Pod, Namespace or Service (what `kubectl label` does); identities follow."""
        from labs.manifests.objects import frozen_map

        if kind == "Namespace":
            ns = self.store.namespaces[name]
            self.store.namespaces[name] = replace(ns, labels=frozen_map({**labels,
                                                                         "kubernetes.io/metadata.name": name}))
        elif kind == "Pod":
            key = f"{namespace}/{name}"
            self.store.pods[key] = replace(self.store.pods[key], labels=frozen_map(labels))
        elif kind == "Service":
            key = f"{namespace}/{name}"
            self.store.services[key] = replace(self.store.services[key], labels=frozen_map(labels))
        else:
            raise ClusterError(f"labels of a {kind} are not modelled by the simulated cluster")
        record = self.records.get(kind, namespace, name)
        if record is not None:
            self.records.touch(record)  # the manifest stays the last-applied configuration
        self._engine = None

    def namespaces(self) -> list[Namespace]:
        return sorted(self.store.namespaces.values(), key=lambda n: n.name)

    def pods(self, namespace: str | None = None) -> list[Pod]:
        return sorted((p for p in self.store.pods.values() if namespace is None or p.namespace == namespace),
                      key=lambda p: p.key)

    def services(self, namespace: str | None = None) -> list[Service]:
        return sorted((s for s in self.store.services.values() if namespace is None or s.namespace == namespace),
                      key=lambda s: s.key)

    def policies(self) -> list[Any]:
        return [self.store.policies[k] for k in sorted(self.store.policies, key=lambda k: (k[0], k[1] or "", k[2]))]

    def enforced_policies(self) -> list[Any]:
        """The stored policies the agent imports: not those it refuses (`CiliumPolicy.refused_by_agent`)."""
        return [p for p in self.policies() if not getattr(p, "refused_by_agent", False)]

    def identity(self, pod: str) -> int | None:
        p = self.store.pods.get(pod)
        return None if p is None else self._identity(self._endpoint(p))

    def pod_ip(self, pod: str) -> str | None:
        return self._pod_ip.get(pod)

    def endpoint_id(self, pod: str) -> int | None:
        """The Cilium endpoint ID of `ns/pod` (what Hubble flows and `cilium-dbg endpoint list` show)."""
        return self._endpoint_ids.get(pod) if pod in self.store.pods else None

    def flows(self, *, since: datetime | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        from labs.cluster.sim.hubble import iso

        cut = iso(since) if since else ""
        every: list[dict[str, Any]] = []
        for item in self._flows:
            if isinstance(item, PendingFlows):
                every.extend(item)
            else:
                every.append(item)
        picked = [f for f in every if f["time"] > cut]
        return picked[-limit:]

    @property
    def engine(self) -> PolicyEngine:
        if self._engine is None:
            self._engine = PolicyEngine(self.enforced_policies(), services=self.services(),
                                        enforcement=self._enforcement)
        return self._engine

    # --- probes ---------------------------------------------------------------------------------------

    def probe_many(self, probes: Sequence[Probe], *, timeout: float = DEFAULT_PROBE_TIMEOUT,
                   parallel: int = 8) -> list[ProbeResult]:
        return [self.probe(p, timeout=timeout) for p in probes]

    def probe(self, probe: Probe, *, timeout: float = DEFAULT_PROBE_TIMEOUT) -> ProbeResult:
        self._probe_count += 1
        self.last_evaluation = None
        if probe.outside:
            try:
                outside, resolved = outside_source(self.store, self.nodes, self._pod_ip, probe)
            except ResolveError as exc:
                return self._error(probe, str(exc))
            return self._connect(probe, outside, resolved, [], frozenset())
        src_pod = self.store.pods.get(probe.source)
        if src_pod is None:
            return self._error(probe, f"source pod {probe.source} does not exist")
        src = self._endpoint(src_pod)
        try:
            if probe.target is None:
                if probe.dns is None:
                    return self._error(probe, "the probe has neither a target nor a DNS name")
                return self._dns_probe(probe, src)
            names: frozenset[str] = frozenset()
            flows: list[dict[str, Any]] = []
            if probe.target.kind == "fqdn":
                lookup = self._lookup(src, probe.target.value)
                flows += lookup["flows"]
                if lookup["outcome"] is not Outcome.ALLOWED:
                    self._flows.extend(flows)
                    return ProbeResult(probe, lookup["outcome"], f"DNS lookup of {probe.target.value} "
                                       f"{lookup['outcome'].value}: {lookup['reason']}", tuple(flows),
                                       lookup["verdict"], {"dns": lookup["rcode"]})
                if not lookup["ips"]:
                    return self._error(probe, f"{probe.target.value} does not resolve (NXDOMAIN)", flows)
                resolved = self._resolve_ip(src, lookup["ips"][0], probe)
            else:
                resolved = self._resolve(src, probe)
        except ResolveError as exc:
            return self._error(probe, str(exc))
        return self._connect(probe, src, resolved, flows, names)

    def _connect(self, probe: Probe, src: Endpoint, resolved: Resolved, flows: list[dict[str, Any]],
                 names: frozenset[str]) -> ProbeResult:
        dst = self._dst_endpoint(src, resolved)
        http = probe.http
        if http is not None and http.host is None:
            http = HttpRequest(http.method, http.path, http.headers, _host_header(probe, resolved))
        traffic = Traffic(probe.protocol, resolved.port, http=http)
        if resolved.pod is not None and resolved.pod.key == probe.source:
            return self._self_connect(probe, resolved, flows)
        verdict = self.engine.verdict(src, dst, traffic, **self._audit_flags(src, dst))
        self.last_evaluation = Evaluation(src, dst, traffic, verdict)
        src_port = 40000 + self._probe_count % 20000
        attempt: Sequence[dict[str, Any]]
        if self._lazy_flows and not flows:
            ctx = frozen_context(self._flow_context(), (src, dst), self._clock())
            attempt = PendingFlows(lambda: attempt_flows(ctx, verdict, src, dst, traffic, src_port))
            self._flows.append(attempt)
        else:
            flows += attempt_flows(self._flow_context(), verdict, src, dst, traffic, src_port)
            self._flows.extend(flows)
            attempt = tuple(flows)
        detail: dict[str, Any] = {"destination_ip": resolved.ip}
        if resolved.via:
            detail["via"] = resolved.via
        if verdict.outcome is Outcome.L7_DENIED:
            detail["http_status"] = 403
        elif http is not None and verdict.outcome is Outcome.ALLOWED:
            detail["http_status"] = 200
        return ProbeResult(probe, verdict.outcome, verdict.reason, attempt, verdict, detail)  # type: ignore[arg-type]

    def _self_connect(self, probe: Probe, resolved: Resolved, flows: list[dict[str, Any]]) -> ProbeResult:
        """A pod reaching its own address is never policed.

        To its own IP the kernel routes the packet over the pod's loopback: it never reaches the
        host-side veth where Cilium's endpoint program runs (`pkg/datapath/loader/endpoint.go:212-221`
        in Cilium 1.19.5). Through its own Service, the datapath translates the address back to the
        pod and marks the connection as loopback (hairpin, `bpf/bpf_lxc.c:271-278`).
        """
        if resolved.via.startswith("Service"):
            reason = "a pod reaching itself through its own Service skips policy (hairpin)"
        else:
            reason = "a pod reaching its own address goes over its loopback and never meets policy"
        self._flows.extend(flows)
        detail: dict[str, Any] = {"destination_ip": resolved.ip}
        if resolved.via:
            detail["via"] = resolved.via
        if probe.http is not None:
            detail["http_status"] = 200
        return ProbeResult(probe, Outcome.ALLOWED, reason, tuple(flows), None, detail)

    def _audit_flags(self, src: Endpoint, dst: Endpoint) -> dict[str, bool]:
        """Which of the two endpoints audit: egress is the source pod's program, ingress the destination's."""
        return {"audit_egress": src.is_pod and self.audits(src.name),
                "audit_ingress": dst.is_pod and self.audits(dst.name)}

    def _error(self, probe: Probe, reason: str, flows: list[dict[str, Any]] | None = None) -> ProbeResult:
        self._flows.extend(flows or [])
        return ProbeResult(probe, Outcome.ERROR, reason, tuple(flows or ()))

    # --- DNS ------------------------------------------------------------------------------------------

    def _dns_server(self, src: Endpoint) -> Endpoint:
        svc = self.store.services.get("kube-system/kube-dns")
        pods = backends(svc, list(self.store.pods.values())) if svc else []
        if not pods:
            raise ResolveError("kube-dns has no running pods in kube-system")
        local = [p for p in pods if p.node == src.node]
        return self._endpoint((local or pods)[0])

    def _lookup(self, src: Endpoint, name: str) -> dict[str, Any]:
        server = self._dns_server(src)
        traffic = Traffic("UDP", 53, dns_name=normalize_name(name))
        verdict = self.engine.verdict(src, server, traffic, **self._audit_flags(src, server))
        self.last_evaluation = Evaluation(src, server, traffic, verdict)
        ips: list[str] = []
        rcode = "NOERROR"
        if verdict.outcome is Outcome.ALLOWED:
            svc = cluster_dns_name(name, self.store.services)
            if svc is not None and svc.cluster_ip:
                ips = [svc.cluster_ip]
            elif normalize_name(name) in self.external:
                ips = [self.external[normalize_name(name)]]
            else:
                rcode = "NXDOMAIN"
            if ips and verdict.egress is not None and verdict.egress.l7 == "dns":
                self.fqdn_cache.setdefault(ips[0], set()).add(normalize_name(name))
        flows = dns_flows(self._flow_context(), verdict, src, server, name, rcode, ips)
        return {"outcome": verdict.outcome, "reason": verdict.reason, "verdict": verdict, "ips": ips,
                "rcode": rcode if verdict.outcome is not Outcome.REFUSED else "REFUSED", "flows": flows}

    def _dns_probe(self, probe: Probe, src: Endpoint) -> ProbeResult:
        lookup = self._lookup(src, probe.dns or "")
        self._flows.extend(lookup["flows"])
        reason = lookup["reason"]
        if lookup["outcome"] is Outcome.ALLOWED:
            answer = ", ".join(lookup["ips"]) if lookup["ips"] else "NXDOMAIN (the name does not exist)"
            reason = f"answered {answer}; {reason}"
        return ProbeResult(probe, lookup["outcome"], reason, tuple(lookup["flows"]), lookup["verdict"],
                           {"dns": lookup["rcode"], "ips": lookup["ips"]})

    # --- endpoints and identities ---------------------------------------------------------------------

    def _place(self, pod: Pod) -> None:
        node = self.addressing.node_for(pod)
        if not pod.node:
            pod = replace(pod, node=node.name)
            self.store.pods[pod.key] = pod
        self._pod_ip[pod.key] = node.internal_ip if pod.host_network else self.addressing.pod_ip(node)
        self._endpoint_ids.setdefault(pod.key, 100 + len(self._endpoint_ids) * 7)

    def _namespace_labels(self, namespace: str) -> dict[str, str]:
        ns = self.store.namespaces.get(namespace)
        return dict(ns.labels) if ns else {}

    def _endpoint(self, pod: Pod, viewer_node: str | None = None) -> Endpoint:
        """The pod as the engine sees it; kept while the pod, its address and its namespace are the same."""
        node_is_host = viewer_node is None or viewer_node == pod.node
        ip = self._pod_ip.get(pod.key)
        ns = self.store.namespaces.get(pod.namespace)
        cached = self._endpoints.get((pod.key, node_is_host))
        if cached is not None and cached[0] is pod and cached[1] == ip and cached[2] is ns:
            return cached[3]
        ep = pod_endpoint(pod, ip, self._namespace_labels(pod.namespace), node_is_host=node_is_host)
        self._endpoints[(pod.key, node_is_host)] = (pod, ip, ns, ep)
        return ep

    def _identity(self, ep: Endpoint) -> int:
        for kind, number in RESERVED_IDENTITY.items():
            if ep.kind == kind:
                return number
        return self.addressing.identity(ep.labels)

    def _flow_context(self) -> FlowContext:
        def endpoint_id(ep: Endpoint) -> int | None:
            return self._endpoint_ids.get(ep.name) if ep.is_pod else None

        def node_of(ep: Endpoint) -> str:
            return ep.node or self.nodes[0].name

        def workload(ep: Endpoint) -> dict[str, str] | None:
            pod = self.store.pods.get(ep.name)
            if pod is None or not pod.owner:
                return None
            kind, _, name = pod.owner.partition("/")
            return {"name": name, "kind": kind}

        def policy_labels(kind: str, name: str, namespace: str | None) -> dict[str, Any]:
            labels = [f"k8s:io.cilium.k8s.policy.derived-from={kind}", f"k8s:io.cilium.k8s.policy.name={name}"]
            if namespace:
                labels.append(f"k8s:io.cilium.k8s.policy.namespace={namespace}")
            labels.append("k8s:io.cilium.k8s.policy.uid=00000000-0000-0000-0000-000000000000")
            out: dict[str, Any] = {"name": name, "labels": labels, "revision": "1", "kind": kind}
            if namespace:
                out["namespace"] = namespace
            return out

        return FlowContext(self._identity, endpoint_id, node_of, workload, policy_labels, self._clock)


def _host_header(probe: Probe, resolved: Resolved) -> str:
    target = probe.target
    if target is None:
        return resolved.ip
    if target.kind == "svc":
        return f"{target.name}.{target.namespace}"
    if target.kind == "fqdn":
        return target.value
    return resolved.ip
