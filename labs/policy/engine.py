"""The policy engine: decide traffic between endpoints the way Cilium enforces it.

Per direction (egress at the source pod, then ingress at the destination pod):
1. collect the rule items whose subject selects the endpoint (cached per identity label set);
2. none and enforcement `default` -> not enforced, allowed; `never` -> never enforced;
   `always` or `reserved:init` -> enforced with default deny;
3. an explicit deny that matches peer and port wins (POLICY_DENY);
4. ingress from the local node is allowed (allow-localhost);
5. an allow that matches peer and port allows; among the port-specific ones, L7 rules restrict
   unless an L4-only item on that port also matches the peer (it lifts them, cilium-semantics §7),
   or, for HTTP only, an item allowing the peer on every port does (see `l7decide`);
   in a direction without default deny, L7 rules only add visibility (§2.1);
6. otherwise default deny drops (POLICY_DENIED), or, without default deny, traffic is allowed.

Like Cilium's per-identity policy map, everything up to the port is resolved once per pair of label
sets: the rule items selecting the subject whose peer part matches the peer form a *peer class*,
shared by every peer those items treat alike. A decision is then made once per peer class and
traffic, and every pod pair of those identities reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from labs.manifests.objects import Service
from labs.outcomes import Outcome
from labs.policy.build import Entry, build_entries
from labs.policy.endpoints import Endpoint, Traffic, reserved_endpoint
from labs.policy.l7decide import PortMatch, decide_l7, describe_match
from labs.policy.labels import NAMESPACE_LABEL
from labs.policy.model import Policy
from labs.policy.peers import EndpointsPeer
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
    rule_items: tuple[tuple[Entry, int], ...]
    """The entries that allow or deny (not the default-deny placeholders), with their peer-matcher number."""
    numbers: frozenset[int]
    """The peer-matcher numbers of rule_items."""


class _PeerRow:
    """How the peer matchers met so far treat one peer: number -> description of the match."""

    __slots__ = ("evaluated", "how")

    def __init__(self) -> None:
        self.how: dict[int, str] = {}
        self.evaluated: set[int] = set()


class _PeerClass:
    """The rule items selecting one subject label set whose peer part matches a peer, with how it matched.

    Peers that the same items match in the same words get the same decisions, so decisions are
    cached per class: interned, one object per distinct content.
    """

    __slots__ = ("allow", "deny", "from_host", "named_ports", "selection")

    def __init__(self, selection: _Selection, deny: tuple[tuple[Entry, str], ...],
                 allow: tuple[tuple[Entry, str], ...], from_host: bool):
        self.selection = selection
        self.deny = deny
        self.allow = allow
        self.from_host = from_host
        """Ingress from the subject's own node (allow-localhost applies)."""
        self.named_ports = any(spec.name is not None for entry, _ in deny + allow for spec in entry.ports or ())
        """Whether a decision also depends on the destination's named ports."""


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
        self._matchers = {number: entry.peer for entry in self.entries
                          for number in [self._peer_ids[id(entry)]]}
        """peer-matcher number -> a matcher with that number (all of them match alike)."""
        # caches, all keyed by label sets or values (never by a pod), so one pod pair's work serves its identities
        self._selecting: dict[tuple[str, frozenset], tuple[Entry, ...]] = {}
        self._selections: dict[tuple[str, frozenset], _Selection] = {}
        self._peer_matches: dict[object, _PeerRow] = {}
        self._peer_classes: dict[tuple[str, frozenset, object], _PeerClass] = {}
        self._interned_classes: dict[tuple, _PeerClass] = {}
        self._decisions: dict[tuple, DirectionVerdict] = {}
        self._outcomes: dict[tuple[int, int], tuple] = {}
        """(id(egress), id(ingress)) -> (egress, ingress, outcome, reason); both verdicts live in _decisions."""
        self._traffic_seen: dict[int, tuple[Traffic, int | None, str]] = {}
        self._traffic_numbers: dict[Traffic, int] = {}

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
                any(lb.key == "init" and lb.source == "reserved" for lb in ep.labels),
                items := tuple((e, self._peer_ids[id(e)]) for e in entries if e.deny or e.adds_rules),
                frozenset(number for _, number in items))
            self._selections[key] = found
        return found

    def _peer_class(self, direction: str, subject: Endpoint, peer: Endpoint) -> _PeerClass:
        """Which deny and allow items selecting `subject` match `peer` (entry order kept: first match wins)."""
        peer_key = peer.labels if peer.kind == "pod" else peer  # a pod matches by its identity labels only
        key = (direction, subject.labels, peer_key)
        found = self._peer_classes.get(key)
        if found is not None:
            return found
        selection = self._selection(direction, subject)
        row = self._peer_matches.get(peer_key)
        if row is None:
            row = self._peer_matches[peer_key] = _PeerRow()
        for number in selection.numbers - row.evaluated:  # each peer matcher meets each peer once
            how = self._matchers[number].match(peer)
            if how is not None:
                row.how[number] = how
            row.evaluated.add(number)
        deny, allow = [], []
        if not selection.numbers.isdisjoint(row.how):  # most peers match none of a subject's rules
            for entry, number in selection.rule_items:
                how = row.how.get(number)
                if how is not None:
                    (deny if entry.deny else allow).append((entry, how))
        from_host = direction == "ingress" and peer.kind == "host"
        content = (direction, subject.labels, tuple((id(e), how) for e, how in deny),
                   tuple((id(e), how) for e, how in allow), from_host)
        found = self._interned_classes.get(content)
        if found is None:
            found = self._interned_classes[content] = _PeerClass(selection, tuple(deny), tuple(allow), from_host)
        self._peer_classes[key] = found
        return found

    def _traffic_key(self, traffic: Traffic) -> tuple[Traffic, int | None, str]:
        """(traffic, a number shared by equal traffic or None if unhashable, its description), by object."""
        found = self._traffic_seen.get(id(traffic))
        if found is None or found[0] is not traffic:
            try:
                number: int | None = self._traffic_numbers.setdefault(traffic, len(self._traffic_numbers))
            except TypeError:  # e.g. HTTP headers given as a list: decided without the decision cache
                number = None
            if len(self._traffic_seen) > 4096:  # one entry per Traffic object a caller made
                self._traffic_seen.clear()
            found = self._traffic_seen[id(traffic)] = (traffic, number, traffic.describe())
        return found

    # --- decisions ------------------------------------------------------------------------------------

    def verdict(self, src: Endpoint, dst: Endpoint, traffic: Traffic) -> Verdict:
        """Egress at the source, then ingress at the destination; the first denial decides."""
        _, number, text = self._traffic_key(traffic)
        egress = self._decide("egress", src, dst, traffic, dst, number) if src.kind == "pod" else None
        ingress = None
        if dst.kind == "pod" and (egress is None or egress.outcome is _ALLOWED):
            peer = src if src.kind == "pod" else as_seen_from(src, dst.node)
            ingress = self._decide("ingress", dst, peer, traffic, dst, number)
        found = self._outcomes.get((id(egress), id(ingress)))
        if found is None or found[0] is not egress or found[1] is not ingress:
            found = self._outcomes[id(egress), id(ingress)] = (egress, ingress, *_combine(egress, ingress))
        return Verdict(found[2], found[3], egress, ingress, src.name, dst.name, text)

    def decide(self, direction: str, subject: Endpoint, peer: Endpoint, traffic: Traffic,
               destination: Endpoint) -> DirectionVerdict:
        """One direction's decision for `subject` (whose policy) talking with `peer`."""
        return self._decide(direction, subject, peer, traffic, destination, self._traffic_key(traffic)[1])

    def _decide(self, direction: str, subject: Endpoint, peer: Endpoint, traffic: Traffic, destination: Endpoint,
                number: int | None) -> DirectionVerdict:
        if self.enforcement == "never":
            return self._memo(("never", direction, subject.name), lambda: DirectionVerdict(
                direction=direction, endpoint=subject.name, outcome=Outcome.ALLOWED,
                reason="policy enforcement is off (mode never)"))
        peers = self._peer_class(direction, subject, peer)
        if number is None:
            return self._decide_class(direction, subject, peers, traffic, destination)
        key = (id(peers), subject.name, number, destination.named_ports if peers.named_ports else None)
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = self._decide_class(direction, subject, peers, traffic, destination)
        return found

    def _decide_class(self, direction: str, subject: Endpoint, peers: _PeerClass, traffic: Traffic,
                      destination: Endpoint) -> DirectionVerdict:
        """The decision for one peer class and traffic.

        Decisions that do not depend on the traffic's details (not enforced, default deny, an L3/L4
        allow or deny) are shared: DirectionVerdicts are immutable, so one object per subject and
        rule serves every peer and port that ends the same way.
        """
        base = {"direction": direction, "endpoint": subject.name}
        memo = (direction, subject.name, subject.labels)
        selection = peers.selection
        always = self.enforcement == "always" or selection.init
        if not selection.entries and not always:
            return self._memo(("unselected", *memo), lambda: DirectionVerdict(
                outcome=Outcome.ALLOWED, reason=f"no policy selects {subject.name} for {direction}", **base))
        dd_by = selection.default_deny_by
        default_deny = bool(dd_by) or always

        def common() -> dict:
            return dict(base, enforced=True, default_deny=default_deny, selected_by=selection.selected_by,
                        default_deny_by=dd_by)

        for entry, peer_desc in peers.deny:
            m = _match(entry, peer_desc, traffic, destination)
            if m is not None:
                return self._memo(("deny", id(entry), describe_match(m), *memo), lambda: DirectionVerdict(
                    outcome=Outcome.DROPPED, drop_reason=POLICY_DENY, rule=entry.ref,  # noqa: B023 (used at once)
                    matched=describe_match(m), reason=f"denied by {entry.ref}", **common()))  # noqa: B023

        if peers.from_host:
            return self._memo(("localhost", *memo), lambda: DirectionVerdict(
                outcome=Outcome.ALLOWED, matched="reserved:host",
                reason="ingress from the local node is always allowed (allow-localhost)", **common()))

        matches = [m for e, peer_desc in peers.allow
                   for m in [_match(e, peer_desc, traffic, destination)] if m is not None]
        if not matches:
            if default_deny:
                why = ", ".join(dd_by) if dd_by else f"enforcement mode {self.enforcement}"
                return self._memo(("default-deny", *memo), lambda: DirectionVerdict(
                    outcome=Outcome.DROPPED, drop_reason=POLICY_DENIED,
                    reason=f"no rule allows it; default deny is on ({why})", **common()))
            return self._memo(("no-default-deny", *memo), lambda: DirectionVerdict(
                outcome=Outcome.ALLOWED, reason="policies select it but none switches on default deny", **common()))
        port_matches = [m for m in matches if m.spec is not None]
        if all(m.spec.l7 is None for m in port_matches):  # type: ignore[union-attr]
            first = port_matches[0] if port_matches else matches[0]
            return self._memo(("allow", id(first.entry), describe_match(first), *memo), lambda: DirectionVerdict(
                outcome=Outcome.ALLOWED, rule=first.entry.ref, matched=describe_match(first),
                reason=f"allowed by {first.entry.ref}", **common()))
        return decide_l7(matches, traffic, default_deny, common())

    def _memo(self, key: tuple, make) -> DirectionVerdict:
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = make()
        return found


def _match(entry: Entry, peer_desc: str, traffic: Traffic, destination: Endpoint) -> PortMatch | None:
    """The port part of a rule item whose peer part matched (as `peer_desc`)."""
    if traffic.protocol == "ICMP":
        if entry.ports is None and entry.icmp is None:
            return PortMatch(entry, peer_desc, "all ports and protocols", None)
        icmp = entry.icmp.match(traffic) if entry.icmp else None
        return PortMatch(entry, peer_desc, icmp, None) if icmp else None
    if entry.ports is None:
        return PortMatch(entry, peer_desc, "all ports and protocols", None)
    for spec in entry.ports:
        port_desc = spec.match(traffic, destination)
        if port_desc is not None:
            return PortMatch(entry, peer_desc, port_desc, spec)
    return None


def _combine(egress: DirectionVerdict | None, ingress: DirectionVerdict | None) -> tuple[Outcome, str]:
    """The attempt's outcome and reason from its directions: the first denial decides."""
    decided = [d for d in (egress, ingress) if d is not None]
    denied = next((d for d in decided if not d.allowed), None)
    if denied is not None:
        return denied.outcome, f"{denied.direction} at {denied.endpoint}: {denied.reason}"
    return Outcome.ALLOWED, "; ".join(f"{d.direction}: {d.reason}" for d in decided) or "no policy applies"


_ALLOWED = Outcome.ALLOWED




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


def as_seen_from(ep: Endpoint, node: str | None) -> Endpoint:
    """A node's identity depends on who looks: `host` on its own node, `remote-node` everywhere else."""
    if ep.kind not in ("host", "remote-node") or node is None or ep.node is None:
        return ep
    kind = "host" if ep.node == node else "remote-node"
    if kind == ep.kind:
        return ep
    apiserver = any(lb.key == "kube-apiserver" for lb in ep.labels)
    return reserved_endpoint(kind, ip=ep.ip, node=ep.node, name=ep.name, apiserver=apiserver)
