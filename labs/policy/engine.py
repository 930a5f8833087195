"""The policy engine: decide traffic between endpoints the way Cilium enforces it.

Per direction (egress at the source pod, then ingress at the destination pod):
1. collect the rule items whose subject selects the endpoint (cached per identity label set);
2. none and enforcement `default` -> not enforced, allowed; `never` -> never enforced;
   `always` or `reserved:init` -> enforced with default deny;
3. an explicit deny that matches peer and port wins (POLICY_DENY);
4. ingress from the local node is allowed (allow-localhost);
5. an allow that matches peer and port allows; among the port-specific ones, L7 rules restrict
   unless an L4-only item on that port also matches the peer (it lifts them, cilium-semantics §7);
   in a direction without default deny, L7 rules only add visibility (§2.1);
6. otherwise default deny drops (POLICY_DENIED), or, without default deny, traffic is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from labs.manifests.objects import Service
from labs.outcomes import Outcome
from labs.policy.build import Entry, build_entries
from labs.policy.endpoints import Endpoint, Traffic, reserved_endpoint
from labs.policy.model import Policy
from labs.policy.ports import PortSpec, dns_rule_matches, http_rule_matches
from labs.policy.verdict import POLICY_DENIED, POLICY_DENY, DirectionVerdict, Verdict

__all__ = ["ENFORCEMENT_MODES", "PolicyEngine"]

ENFORCEMENT_MODES = ("default", "always", "never")


@dataclass(frozen=True)
class _Match:
    entry: Entry
    peer: str
    port: str
    spec: PortSpec | None


class PolicyEngine:
    """Decides traffic under a fixed set of policies; build a new one when policies change."""

    def __init__(self, policies: Iterable[Policy], *, services: Sequence[Service] = (),
                 enforcement: str = "default"):
        if enforcement not in ENFORCEMENT_MODES:
            raise ValueError(f"enforcement mode {enforcement!r} is not one of {', '.join(ENFORCEMENT_MODES)}")
        self.policies = list(policies)
        self.enforcement = enforcement
        self.entries = build_entries(self.policies, services)
        self._by_direction = {d: [e for e in self.entries if e.direction == d] for d in ("ingress", "egress")}
        self._selecting: dict[tuple[str, frozenset], tuple[Entry, ...]] = {}
        self._peer_cache: dict[tuple[int, Endpoint], str | None] = {}

    # --- selection ------------------------------------------------------------------------------------

    def selecting(self, direction: str, ep: Endpoint) -> tuple[Entry, ...]:
        """Rule items of this direction whose subject selects the endpoint."""
        key = (direction, ep.labels)
        found = self._selecting.get(key)
        if found is None:
            found = tuple(e for e in self._by_direction[direction] if ep.is_pod and e.subject.matches(ep.labels))
            self._selecting[key] = found
        return found

    def _peer_match(self, entry: Entry, peer: Endpoint) -> str | None:
        key = (id(entry), peer)
        if key not in self._peer_cache:
            self._peer_cache[key] = entry.peer.match(peer)
        return self._peer_cache[key]

    # --- decisions ------------------------------------------------------------------------------------

    def verdict(self, src: Endpoint, dst: Endpoint, traffic: Traffic) -> Verdict:
        """Egress at the source, then ingress at the destination; the first denial decides."""
        egress = self.decide("egress", src, dst, traffic, dst) if src.is_pod else None
        ingress = None
        if egress is None or egress.allowed:
            ingress = self.decide("ingress", dst, as_seen_from(src, dst.node), traffic, dst) if dst.is_pod else None
        decided = [d for d in (egress, ingress) if d is not None]
        denied = next((d for d in decided if not d.allowed), None)
        if denied is not None:
            outcome, reason = denied.outcome, f"{denied.direction} at {denied.endpoint}: {denied.reason}"
        else:
            outcome = Outcome.ALLOWED
            reason = "; ".join(f"{d.direction}: {d.reason}" for d in decided) or "no policy applies"
        return Verdict(outcome, reason, egress, ingress, src.name, dst.name, traffic.describe())

    def decide(self, direction: str, subject: Endpoint, peer: Endpoint, traffic: Traffic,
               destination: Endpoint) -> DirectionVerdict:
        """One direction's decision for `subject` (whose policy) talking with `peer`."""
        base = {"direction": direction, "endpoint": subject.name}
        if self.enforcement == "never":
            return DirectionVerdict(outcome=Outcome.ALLOWED, reason="policy enforcement is off (mode never)", **base)
        entries = self.selecting(direction, subject)
        always = self.enforcement == "always" or any(lb.key == "init" and lb.source == "reserved"
                                                      for lb in subject.labels)
        selected_by = tuple(sorted({f"{e.ref.kind} {e.ref.policy}" for e in entries}))
        if not entries and not always:
            return DirectionVerdict(outcome=Outcome.ALLOWED, reason=f"no policy selects {subject.name} for {direction}",
                                    **base)
        dd_by = tuple(sorted({f"{e.ref.kind} {e.ref.policy}" for e in entries if e.default_deny}))
        default_deny = bool(dd_by) or always
        common = dict(base, enforced=True, default_deny=default_deny, selected_by=selected_by, default_deny_by=dd_by)

        for entry in entries:
            if entry.deny:
                m = self._match(entry, peer, traffic, destination)
                if m is not None:
                    return DirectionVerdict(outcome=Outcome.DROPPED, drop_reason=POLICY_DENY, rule=entry.ref,
                                            matched=_describe(m), reason=f"denied by {entry.ref}", **common)

        if direction == "ingress" and peer.kind == "host":
            return DirectionVerdict(outcome=Outcome.ALLOWED, matched="reserved:host",
                                    reason="ingress from the local node is always allowed (allow-localhost)", **common)

        matches = [m for e in entries if not e.deny and e.adds_rules
                   for m in [self._match(e, peer, traffic, destination)] if m is not None]
        if not matches:
            if default_deny:
                why = ", ".join(dd_by) if dd_by else f"enforcement mode {self.enforcement}"
                return DirectionVerdict(outcome=Outcome.DROPPED, drop_reason=POLICY_DENIED,
                                        reason=f"no rule allows it; default deny is on ({why})", **common)
            return DirectionVerdict(outcome=Outcome.ALLOWED,
                                    reason="policies select it but none switches on default deny", **common)
        return self._l7(matches, traffic, default_deny, common)

    def _match(self, entry: Entry, peer: Endpoint, traffic: Traffic, destination: Endpoint) -> _Match | None:
        peer_desc = self._peer_match(entry, peer)
        if peer_desc is None:
            return None
        if traffic.protocol == "ICMP":
            if entry.ports is None and entry.icmp is None:
                return _Match(entry, peer_desc, "all ports and protocols", None)
            icmp = entry.icmp.match(traffic) if entry.icmp else None
            return _Match(entry, peer_desc, icmp, None) if icmp else None
        if entry.ports is None:
            return _Match(entry, peer_desc, "all ports and protocols", None)
        for spec in entry.ports:
            port_desc = spec.match(traffic, destination)
            if port_desc is not None:
                return _Match(entry, peer_desc, port_desc, spec)
        return None

    def _l7(self, matches: list[_Match], traffic: Traffic, default_deny: bool, common: dict) -> DirectionVerdict:
        port_matches = [m for m in matches if m.spec is not None]
        with_l7 = [m for m in port_matches if m.spec.l7 is not None]
        first = port_matches[0] if port_matches else matches[0]
        if not with_l7:
            return DirectionVerdict(outcome=Outcome.ALLOWED, rule=first.entry.ref, matched=_describe(first),
                                    reason=f"allowed by {first.entry.ref}", **common)
        kind = with_l7[0].spec.l7.kind
        rules_text = tuple(_rule_text(m) for m in with_l7)
        lifting = next((m for m in port_matches if m.spec.l7 is None), None)
        if lifting is not None:
            return DirectionVerdict(
                outcome=Outcome.ALLOWED, rule=lifting.entry.ref, matched=_describe(lifting), l7=kind,
                lifted_by=lifting.entry.ref, l7_rules=rules_text,
                reason=(f"allowed by {lifting.entry.ref}, an L4-only rule on the same port that lifts the "
                        f"{kind.upper()} rules of {with_l7[0].entry.ref}"), **common)
        if not default_deny:
            return DirectionVerdict(outcome=Outcome.ALLOWED, rule=first.entry.ref, matched=_describe(first), l7=kind,
                                    l7_rules=rules_text,
                                    reason=(f"allowed by {first.entry.ref}; without default deny its {kind.upper()} "
                                            "rules only add visibility"), **common)
        if kind == "http" and traffic.http is not None:
            for m in with_l7:
                for rule in m.spec.l7.http:
                    if http_rule_matches(rule, traffic):
                        return DirectionVerdict(
                            outcome=Outcome.ALLOWED, rule=m.entry.ref, l7=kind, l7_rules=rules_text,
                            matched=f"{_describe(m)}, HTTP rule {rule.index} {_http_text(rule)}",
                            reason=f"allowed by {m.entry.ref}, HTTP rule {rule.index} {_http_text(rule)}", **common)
            return DirectionVerdict(
                outcome=Outcome.L7_DENIED, rule=with_l7[0].entry.ref, l7=kind, l7_rules=rules_text,
                matched=_describe(with_l7[0]),
                reason=(f"the proxy answered 403: {traffic.http.method} {traffic.http.path} matches none of the "
                        f"HTTP rules ({'; '.join(rules_text)})"), **common)
        if kind == "dns" and traffic.dns_name is not None:
            for m in with_l7:
                for rule in m.spec.l7.dns:
                    if dns_rule_matches(rule, traffic.dns_name):
                        return DirectionVerdict(
                            outcome=Outcome.ALLOWED, rule=m.entry.ref, l7=kind, l7_rules=rules_text,
                            matched=f"{_describe(m)}, DNS rule {rule.index} {_dns_text(rule)}",
                            reason=f"allowed by {m.entry.ref}, DNS rule {rule.index} {_dns_text(rule)}", **common)
            return DirectionVerdict(
                outcome=Outcome.REFUSED, rule=with_l7[0].entry.ref, l7=kind, l7_rules=rules_text,
                matched=_describe(with_l7[0]),
                reason=(f"the DNS proxy answered REFUSED: {traffic.dns_name} matches none of the DNS rules "
                        f"({'; '.join(rules_text)})"), **common)
        m = with_l7[0]
        return DirectionVerdict(outcome=Outcome.ALLOWED, rule=m.entry.ref, matched=_describe(m), l7=kind,
                                l7_rules=rules_text, reason=f"allowed by {m.entry.ref} (through the {kind} proxy)",
                                **common)


def as_seen_from(ep: Endpoint, node: str | None) -> Endpoint:
    """A node's identity depends on who looks: `host` on its own node, `remote-node` everywhere else."""
    if ep.kind not in ("host", "remote-node") or node is None or ep.node is None:
        return ep
    kind = "host" if ep.node == node else "remote-node"
    if kind == ep.kind:
        return ep
    apiserver = any(lb.key == "kube-apiserver" for lb in ep.labels)
    return reserved_endpoint(kind, ip=ep.ip, node=ep.node, name=ep.name, apiserver=apiserver)


def _describe(m: _Match) -> str:
    return f"{m.peer}; {m.port}" if m.port else m.peer


def _http_text(rule) -> str:
    parts = [f"{k}={v!r}" for k, v in (("method", rule.method), ("path", rule.path), ("host", rule.host)) if v]
    parts += [f"header {h!r}" for h in rule.headers]
    return "{" + ", ".join(parts) + "}" if parts else "{} (any request)"


def _dns_text(rule) -> str:
    return f"matchName {rule.match_name!r}" if rule.match_name is not None else f"matchPattern {rule.match_pattern!r}"


def _rule_text(m: _Match) -> str:
    l7 = m.spec.l7
    if l7.kind == "http":
        return ", ".join(_http_text(r) for r in l7.http) or "no HTTP rule"
    return ", ".join(_dns_text(r) for r in l7.dns) or "no DNS rule"
