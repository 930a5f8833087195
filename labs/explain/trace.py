"""Why is this traffic allowed or denied? A step-by-step account built from the engine's verdict.

The verdict always comes from the engine, evaluated on a simulated copy of the cluster's state (the
simulated cluster itself, a mirror of a live cluster's pods, Services and policies, or the files
given). On a live cluster the Hubble evidence for the pair is added, so the trainee can compare what
the model says with what the datapath did.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Iterable

from labs.cluster.base import Cluster, ClusterError
from labs.manifests import ManifestSet
from labs.outcomes import Outcome
from labs.policy.endpoints import Endpoint, Traffic
from labs.policy.verdict import DirectionVerdict, Verdict
from labs.probes import Probe

__all__ = ["Explanation", "explain", "hubble_evidence", "mirror_of"]


@dataclass
class Explanation:
    probe: Probe
    outcome: Outcome
    reason: str
    backend: str
    source: Endpoint | None = None
    destination: Endpoint | None = None
    traffic: Traffic | None = None
    verdict: Verdict | None = None
    identities: tuple[int | None, int | None] = (None, None)
    suggestion: str | None = None
    evidence: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.probe.describe()}   [{self.backend} backend]"]
        if self.source is not None:
            out.append(_endpoint_line("source", self.source, self.identities[0]))
        if self.destination is not None:
            out.append(_endpoint_line("destination", self.destination, self.identities[1]))
        if self.verdict is not None:
            for d in (self.verdict.egress, self.verdict.ingress):
                if d is not None:
                    out.extend(_direction_lines(d))
            skipped = _skipped_direction(self.verdict, self.source, self.destination)
            if skipped:
                out.append(skipped)
        if self.verdict is not None:
            out.extend(f"note: {note}" for note in self.verdict.notes)
        drop = f" ({self.verdict.drop_reason})" if self.verdict and self.verdict.drop_reason else ""
        out.append(f"verdict: {self.outcome.value}{drop}: {self.reason}")
        if self.suggestion:
            out.append("smallest change that would allow it:")
            out.extend("    " + line for line in self.suggestion.splitlines())
        if self.evidence:
            out.append("Hubble saw for this pair:")
            out.extend("    " + e for e in self.evidence)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        return (f'<div style="border-left:4px solid {self.outcome.color};padding-left:8px">'
                f"<pre style=\"white-space:pre-wrap\">{html.escape(str(self))}</pre></div>")


def _endpoint_line(role: str, ep: Endpoint, identity: int | None) -> str:
    ident = f"identity {identity}" if identity is not None else ep.kind
    labels = ", ".join(str(lb) for lb in sorted(ep.labels)) or "(none)"
    addr = f" {ep.ip}" if ep.ip else ""
    return f"{role:<12} {ep.name}{addr} ({ident}); labels: {labels}"


def _direction_lines(d: DirectionVerdict) -> list[str]:
    head = f"{d.direction} at {d.endpoint}: "
    if not d.enforced:
        return [head + f"not enforced: {d.reason}"]
    lines = [head + "enforced, " + ("default deny ON" if d.default_deny else "default deny off")]
    if d.default_deny_by:
        lines.append(f"    default deny switched on by: {', '.join(d.default_deny_by)}")
    lines.append(f"    policies selecting it: {', '.join(d.selected_by) or '(none: enforcement mode)'}")
    if d.rule is not None:
        lines.append(f"    deciding rule: {d.rule}")
    if d.matched:
        lines.append(f"    matched: {d.matched}")
    if d.lifted_by is not None:
        lines.append(f"    L7 restriction lifted by: {d.lifted_by}")
    if d.l7_rules and d.outcome is not Outcome.ALLOWED:
        lines.append(f"    {d.l7.upper() if d.l7 else 'L7'} rules in force: {'; '.join(d.l7_rules)}")
    lines.append(f"    => {d.outcome.value}: {d.reason}")
    return lines


def _skipped_direction(verdict: Verdict, src: Endpoint | None, dst: Endpoint | None) -> str | None:
    if verdict.egress is not None and not verdict.egress.allowed and dst is not None and dst.is_pod:
        return f"ingress at {dst.name}: not evaluated (the traffic never left the source)"
    if verdict.ingress is None and dst is not None and not dst.is_pod:
        return f"ingress: {dst.name} is not a pod, so only the source's egress policy applies"
    return None


def mirror_of(cluster: Cluster):
    """A simulated copy of a cluster's namespaces, pods, Services and policies."""
    from dataclasses import replace

    from labs.cluster.sim import SimCluster

    if cluster.backend == "sim":
        return cluster
    info = cluster.info()
    mirror = SimCluster(enforcement=info.policy_enforcement if info.policy_enforcement in
                        ("default", "always", "never") else "default",
                        reason="simulated mirror of the live cluster")
    ms = ManifestSet(namespaces=[n for n in cluster.namespaces() if n.name not in ("default", "kube-system")],
                     pods=[replace(p, node=None) for p in cluster.pods() if p.namespace != "kube-system"],
                     services=[s for s in cluster.services() if s.namespace not in ("default", "kube-system")],
                     policies=list(cluster.policies()))
    mirror.apply_set(ms)
    return mirror


def explain(cluster: Cluster, probe: Probe, *, evidence_flows: Iterable[dict[str, Any]] | None = None) -> Explanation:
    """Explain one probe on `cluster` (simulated, or live through a simulated mirror)."""
    from labs.explain.suggest import suggest_fix

    sim = mirror_of(cluster)
    result = sim.probe(probe)
    ev = sim.last_evaluation
    exp = Explanation(probe, result.outcome, result.reason, cluster.backend)
    if ev is not None:
        exp.source, exp.destination, exp.traffic, exp.verdict = ev.source, ev.destination, ev.traffic, ev.verdict
        exp.identities = (_identity(cluster, sim, ev.source), _identity(cluster, sim, ev.destination))
        exp.suggestion = suggest_fix(ev.verdict, ev.source, ev.destination, ev.traffic)
    if cluster.backend != "sim":
        try:
            flows = list(evidence_flows) if evidence_flows is not None else cluster.flows()
        except ClusterError as exc:  # e.g. a workshop trainee, who may not exec into the agents
            exp.evidence = [f"(no Hubble evidence: {exc})"]
        else:
            exp.evidence = hubble_evidence(flows, probe)
    return exp


def _identity(cluster: Cluster, sim, ep: Endpoint) -> int | None:
    if ep.is_pod:
        return cluster.identity(ep.name) if cluster.backend != "sim" else sim.identity(ep.name)
    from labs.policy.endpoints import RESERVED_IDENTITY

    return RESERVED_IDENTITY.get(ep.kind)


def hubble_evidence(flows: Iterable[dict[str, Any]], probe: Probe, limit: int = 8) -> list[str]:
    """The last `limit` flows from the probe's source pod towards its target, one `labs flows` line each.

    Flows are read with the course's Hubble parser (`labs.flows`); a record that is not a flow is
    left out, as `labs flows` would report and skip it.
    """
    from labs.flows import FlowParseError, flow_line, parse_flow

    source = tuple(probe.source.split("/", 1))
    to_pod = probe.target is not None and probe.target.kind == "pod"
    target = tuple(probe.target.value.split("/", 1)) if to_pod else None  # type: ignore[union-attr]
    lines = []
    for item in flows:
        try:
            flow = parse_flow(item)
        except FlowParseError:
            continue
        if (flow.source.namespace, flow.source.pod_name) != source:
            continue
        if target is not None and (flow.destination.namespace, flow.destination.pod_name) != target:
            continue
        lines.append(flow_line(flow))
    return lines[-limit:]
