"""The policy engine: decide traffic between endpoints the way Cilium enforces it.

The semantics live in `labs.policy.decide` as pure steps (which rule items select an identity,
which match a peer, what they decide for some traffic); this module runs them through one `Memo`
and assembles the `Verdict`. Everything below the port is resolved per identity (label set), as in
Cilium's per-identity policy map, so one pod pair's work serves every pod of those identities.
`PolicyEngine(..., cache=False)` runs every step from scratch: same verdicts, nothing reused.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from labs.manifests.objects import Service
from labs.outcomes import Outcome
from labs.policy.audit import audited
from labs.policy.build import Entry, build_entries
from labs.policy.decide import Rules, combine
from labs.policy.endpoints import Endpoint, Traffic, reserved_endpoint
from labs.policy.memo import Memo
from labs.policy.model import Policy
from labs.policy.verdict import POLICY_DENIED, DirectionVerdict, Verdict

__all__ = ["ENFORCEMENT_MODES", "PolicyEngine", "as_seen_from"]

ENFORCEMENT_MODES = ("default", "always", "never")

_ALLOWED = Outcome.ALLOWED
_DROPPED = Outcome.DROPPED


class PolicyEngine:
    """Decides traffic under a fixed set of policies; build a new one when policies change."""

    def __init__(self, policies: Iterable[Policy], *, services: Sequence[Service] = (),
                 enforcement: str = "default", cache: bool = True):
        if enforcement not in ENFORCEMENT_MODES:
            raise ValueError(f"enforcement mode {enforcement!r} is not one of {', '.join(ENFORCEMENT_MODES)}")
        self.policies = list(policies)
        self.enforcement = enforcement
        self.entries = build_entries(self.policies, services)
        self.memo = Memo(enabled=cache)
        """The one cache: every step's result under its exact arguments (`labs.policy.memo`)."""
        self.rules = Rules(self.entries, enforcement, self.memo)

    def selecting(self, direction: str, ep: Endpoint) -> tuple[Entry, ...]:
        """Rule items of this direction whose subject selects the endpoint (only pods are subjects)."""
        if not ep.is_pod:
            return ()
        return self.rules.select(direction, ep.labels).entries

    def verdict(self, src: Endpoint, dst: Endpoint, traffic: Traffic, *, audit_egress: bool = False,
                audit_ingress: bool = False) -> Verdict:
        """Egress at the source, then ingress at the destination; the first denial decides.

        `audit_egress` / `audit_ingress`: the source / destination endpoint runs in policy audit mode,
        so an L3/L4 drop in its direction is reported and let through (`labs.policy.audit`).
        """
        rules = self.rules
        egress = ingress = None
        if src.kind == "pod":
            peers = rules.peer_class("egress", src.labels, dst.identity)
            egress = rules.decide(peers, src.name, "egress", traffic, dst.named_ports)
            if audit_egress:
                egress = audited(egress)
        if dst.kind == "pod" and (egress is None or egress.outcome is _ALLOWED):
            peer = src if src.kind == "pod" else as_seen_from(src, dst.node)
            peers = rules.peer_class("ingress", dst.labels, peer.identity)
            ingress = rules.decide(peers, dst.name, "ingress", traffic, dst.named_ports)
            if audit_ingress:
                ingress = audited(ingress)
        outcome, reason = combine(egress, ingress)
        notes: tuple[str, ...] = ()
        if outcome is _DROPPED and src.kind == "pod" and dst.kind == "pod":
            notes = self._drop_notes(src, dst, traffic, egress, ingress)
        return Verdict(outcome, reason, egress, ingress, src.name, dst.name, traffic.text, notes)

    def decide(self, direction: str, subject: Endpoint, peer: Endpoint, traffic: Traffic,
               destination: Endpoint) -> DirectionVerdict:
        """One direction's decision for `subject` (whose policy) talking with `peer`."""
        peers = self.rules.peer_class(direction, subject.labels, peer.identity)
        return self.rules.decide(peers, subject.name, direction, traffic, destination.named_ports)

    def _drop_notes(self, src: Endpoint, dst: Endpoint, traffic: Traffic, egress: DirectionVerdict | None,
                    ingress: DirectionVerdict | None) -> tuple[str, ...]:
        """What a default-deny drop between two pods does not say by itself: a CIDR rule that holds the peer."""
        denied = egress if egress is not None and egress.outcome is not _ALLOWED else ingress
        if denied is None or denied.drop_reason != POLICY_DENIED:
            return ()
        subject, peer = (src, dst) if denied is egress else (dst, src)
        if not peer.ip:
            return ()
        return self.rules.cidr_notes(denied.direction, subject.labels, peer.name, peer.ip, traffic, dst.named_ports)


def as_seen_from(ep: Endpoint, node: str | None) -> Endpoint:
    """A node's identity depends on who looks: `host` on its own node, `remote-node` everywhere else."""
    if ep.kind not in ("host", "remote-node") or node is None or ep.node is None:
        return ep
    kind = "host" if ep.node == node else "remote-node"
    if kind == ep.kind:
        return ep
    apiserver = any(lb.key == "kube-apiserver" for lb in ep.labels)
    return reserved_endpoint(kind, ip=ep.ip, node=ep.node, name=ep.name, apiserver=apiserver)
