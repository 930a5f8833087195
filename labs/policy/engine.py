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
from labs.policy.labels import NAMESPACE_LABEL
from labs.policy.model import Policy
from labs.policy.peers import EndpointsPeer
from labs.policy.ports import PortSpec, dns_rule_matches, http_rule_matches
from labs.policy.verdict import POLICY_DENIED, POLICY_DENY, DirectionVerdict, Verdict

__all__ = ["ENFORCEMENT_MODES", "PolicyEngine"]

ENFORCEMENT_MODES = ("default", "always", "never")


@dataclass(frozen=True)
class _Selection:
    """What selecting an identity in one direction implies, computed once per label set."""

    entries: tuple[Entry, ...]
    selected_by: tuple[str, ...]
    default_deny_by: tuple[str, ...]
    init: bool
    """The identity carries `reserved:init` (always enforced with default deny)."""


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
        self._subject_index = {d: _index_by_namespace(entries) for d, entries in self._by_direction.items()}
        self._peer_ids = _peer_ids(self.entries)
        self._selecting: dict[tuple[str, frozenset], tuple[Entry, ...]] = {}
        self._selections: dict[tuple[str, frozenset], _Selection] = {}
        self._peer_cache: dict[tuple[int, object], str | None] = {}
        self._peer_entries_cache: dict[tuple[str, frozenset, object], tuple[tuple, tuple]] = {}
        self._decisions: dict[tuple, DirectionVerdict] = {}

    # --- selection ------------------------------------------------------------------------------------

    def selecting(self, direction: str, ep: Endpoint) -> tuple[Entry, ...]:
        """Rule items of this direction whose subject selects the endpoint."""
        key = (direction, ep.labels)
        found = self._selecting.get(key)
        if found is None:
            # only entries confined to the endpoint's namespace (or to none) can select it; the entries
            # of one rule share their subject selector, so each selector is matched once
            verdicts: dict[int, bool] = {}
            found = tuple(e for e in _candidates(self._subject_index[direction], ep)
                          if ep.is_pod and _selects(e.subject, ep, verdicts))
            self._selecting[key] = found
        return found

    def _selection(self, direction: str, ep: Endpoint) -> _Selection:
        key = (direction, ep.labels)
        found = self._selections.get(key)
        if found is None:
            entries = self.selecting(direction, ep)
            found = _Selection(
                entries,
                tuple(sorted({f"{e.ref.kind} {e.ref.policy}" for e in entries})),
                tuple(sorted({f"{e.ref.kind} {e.ref.policy}" for e in entries if e.default_deny})),
                any(lb.key == "init" and lb.source == "reserved" for lb in ep.labels))
            self._selections[key] = found
        return found

    def _peer_match(self, entry: Entry, peer: Endpoint) -> str | None:
        key = (self._peer_ids[id(entry)], _peer_key(peer))
        found = self._peer_cache.get(key, _MISSING)
        if found is _MISSING:
            found = self._peer_cache[key] = entry.peer.match(peer)
        return found

    def _peer_entries(self, direction: str, subject: Endpoint, peer: Endpoint) -> tuple[tuple, tuple]:
        """(deny, allow) pairs of (entry, peer description) selecting `subject` whose peer part matches `peer`.

        Entry order is kept, so the first matching rule is the same as when scanning every entry.
        """
        key = (direction, subject.labels, _peer_key(peer))
        found = self._peer_entries_cache.get(key)
        if found is None:
            deny, allow = [], []
            for entry in self.selecting(direction, subject):
                if not entry.deny and not entry.adds_rules:
                    continue
                desc = self._peer_match(entry, peer)
                if desc is not None:
                    (deny if entry.deny else allow).append((entry, desc))
            found = self._peer_entries_cache[key] = (tuple(deny), tuple(allow))
        return found

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
        """One direction's decision for `subject` (whose policy) talking with `peer`.

        Decisions that do not depend on the traffic's details (not enforced, default deny, an L3/L4
        allow or deny) are shared: DirectionVerdicts are immutable, so one object per subject and
        rule serves every peer and port that ends the same way.
        """
        base = {"direction": direction, "endpoint": subject.name}
        memo = (direction, subject.name, subject.labels, self.enforcement)
        if self.enforcement == "never":
            return self._memo(("never", *memo), lambda: DirectionVerdict(
                outcome=Outcome.ALLOWED, reason="policy enforcement is off (mode never)", **base))
        selection = self._selection(direction, subject)
        always = self.enforcement == "always" or selection.init
        if not selection.entries and not always:
            return self._memo(("unselected", *memo), lambda: DirectionVerdict(
                outcome=Outcome.ALLOWED, reason=f"no policy selects {subject.name} for {direction}", **base))
        dd_by = selection.default_deny_by
        default_deny = bool(dd_by) or always

        def common() -> dict:
            return dict(base, enforced=True, default_deny=default_deny, selected_by=selection.selected_by,
                        default_deny_by=dd_by)

        deny_entries, allow_entries = self._peer_entries(direction, subject, peer)

        for entry, peer_desc in deny_entries:
            m = self._match(entry, peer_desc, traffic, destination)
            if m is not None:
                return self._memo(("deny", id(entry), _describe(m), *memo), lambda: DirectionVerdict(
                    outcome=Outcome.DROPPED, drop_reason=POLICY_DENY, rule=entry.ref,  # noqa: B023 (used at once)
                    matched=_describe(m), reason=f"denied by {entry.ref}", **common()))  # noqa: B023

        if direction == "ingress" and peer.kind == "host":
            return self._memo(("localhost", *memo), lambda: DirectionVerdict(
                outcome=Outcome.ALLOWED, matched="reserved:host",
                reason="ingress from the local node is always allowed (allow-localhost)", **common()))

        matches = [m for e, peer_desc in allow_entries
                   for m in [self._match(e, peer_desc, traffic, destination)] if m is not None]
        if not matches:
            if default_deny:
                why = ", ".join(dd_by) if dd_by else f"enforcement mode {self.enforcement}"
                return self._memo(("default-deny", *memo), lambda: DirectionVerdict(
                    outcome=Outcome.DROPPED, drop_reason=POLICY_DENIED,
                    reason=f"no rule allows it; default deny is on ({why})", **common()))
            return self._memo(("no-default-deny", *memo), lambda: DirectionVerdict(
                outcome=Outcome.ALLOWED, reason="policies select it but none switches on default deny", **common()))
        port_matches = [m for m in matches if m.spec is not None]
        if all(m.spec.l7 is None for m in port_matches):
            first = port_matches[0] if port_matches else matches[0]
            return self._memo(("allow", id(first.entry), _describe(first), *memo), lambda: DirectionVerdict(
                outcome=Outcome.ALLOWED, rule=first.entry.ref, matched=_describe(first),
                reason=f"allowed by {first.entry.ref}", **common()))
        return self._l7(port_matches, traffic, default_deny, common())

    def _memo(self, key: tuple, make) -> DirectionVerdict:
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = make()
        return found

    def _match(self, entry: Entry, peer_desc: str, traffic: Traffic, destination: Endpoint) -> _Match | None:
        """The port part of a rule item whose peer part matched (as `peer_desc`)."""
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

    def _l7(self, port_matches: list[_Match], traffic: Traffic, default_deny: bool, common: dict) -> DirectionVerdict:
        """Matches on ports at least one of which carries L7 rules."""
        with_l7 = [m for m in port_matches if m.spec.l7 is not None]
        first = port_matches[0]
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


_MISSING = object()


def _namespace_of(subject) -> str | None:
    """The namespace a subject selector is confined to (one `k8s:` namespace In value), if any."""
    for r in getattr(subject, "requirements", ()):
        if r.source == "k8s" and r.key == NAMESPACE_LABEL and r.operator == "In" and len(r.values) == 1:
            return next(iter(r.values))
    return None


def _index_by_namespace(entries: list[Entry]) -> dict[str | None, list[tuple[int, Entry]]]:
    index: dict[str | None, list[tuple[int, Entry]]] = {}
    for pos, entry in enumerate(entries):
        index.setdefault(_namespace_of(entry.subject), []).append((pos, entry))
    return index


def _candidates(index: dict[str | None, list[tuple[int, Entry]]], ep: Endpoint) -> list[Entry]:
    """Entries that may select `ep`, in their original order."""
    namespaces = {lb.value for lb in ep.labels if lb.source == "k8s" and lb.key == NAMESPACE_LABEL}
    found = list(index.get(None, ()))
    for ns in namespaces:
        found.extend(index.get(ns, ()))
    found.sort(key=lambda pair: pair[0])
    return [entry for _pos, entry in found]


def _peer_ids(entries: list[Entry]) -> dict[int, int]:
    """id(entry) -> a number shared by entries whose peer part matches, and is described, the same way.

    Endpoint selectors differ only in the field path they were written at, which neither matching
    nor the description uses; other peer matchers compare by value.
    """
    numbers: dict[object, int] = {}
    out = {}
    for entry in entries:
        peer = entry.peer
        if isinstance(peer, EndpointsPeer):
            key: object = ("endpoints", peer.field, tuple(s.requirements for s in peer.selectors))
        else:
            key = (type(peer).__name__, peer)
        out[id(entry)] = numbers.setdefault(key, len(numbers))
    return out


def _selects(subject, ep: Endpoint, seen: dict[int, bool]) -> bool:
    found = seen.get(id(subject))
    if found is None:
        found = seen[id(subject)] = subject.matches(ep.labels)
    return found


def _peer_key(peer: Endpoint) -> object:
    """What a peer match depends on: a pod's identity labels only; anything else (IP, names) in full."""
    return peer.labels if peer.is_pod else peer


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
