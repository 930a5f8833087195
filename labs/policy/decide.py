"""Cilium's decision for one direction, as pure steps over one compiled set of rules.

Per direction (egress at the source pod, then ingress at the destination pod):
1. `select`: the rule items whose subject selects the endpoint's label set;
2. none and enforcement `default` -> not enforced, allowed; `never` -> never enforced;
   `always` or `reserved:init` -> enforced with default deny;
3. an explicit deny that matches peer and port wins (POLICY_DENY);
4. ingress from the local node is allowed (allow-localhost);
5. an allow that matches peer and port allows; L7 rules on the port restrict unless something lifts
   them (`l7decide`); in a direction without default deny, L7 rules only add visibility (§2.1);
6. otherwise default deny drops (POLICY_DENIED), or, without default deny, traffic is allowed.

Like Cilium's per-identity policy map, the steps see identities, not pods: `peer_row` matches a peer
identity against the peer matchers that can matter to subjects of one namespace, `peer_class` keeps
the items selecting the subject whose peer part matched (interned, so every peer those items treat
alike shares one), and `decide_class` decides once per peer class and traffic. Every step reads only
its arguments and the immutable `Rules`, so `Memo` can key each result by its arguments and nothing
else.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labs.outcomes import Outcome
from labs.policy.build import Entry
from labs.policy.endpoints import PeerIdentity, Traffic
from labs.policy.l7decide import PortMatch, decide_l7, describe_match
from labs.policy.labels import CLUSTER_LABEL, NAMESPACE_LABEL, LabelSet
from labs.policy.peers import CIDRPeer, EndpointsPeer, PeerMatcher
from labs.policy.verdict import POLICY_DENIED, POLICY_DENY, DirectionVerdict

if TYPE_CHECKING:
    from labs.policy.memo import Memo

__all__ = ["PeerClass", "Rules", "Selection", "cidr_pod_notes", "combine", "decide_class", "peer_class",
           "peer_row", "select"]

NamedPorts = tuple[tuple[str, str, int], ...]


class Rules:
    """The compiled rule items of one engine, the indexes built from them alone, and the cached steps.

    Never changed after construction, and compared by identity: one engine, one `Rules`, one `Memo`.
    Steps reach each other through the cached versions held here (`rules.select(...)` and so on).
    """

    __slots__ = ("buckets", "cidr_notes", "decide", "enforcement", "entries", "intern", "matchers", "numbers",
                 "peer_class", "peer_row", "required", "select", "subject_index")

    def __init__(self, entries: list[Entry], enforcement: str, memo: Memo):
        self.entries = tuple(entries)
        self.enforcement = enforcement
        self.numbers = _peer_numbers(self.entries)
        """entry position -> a number shared by entries whose peer part matches and reads the same."""
        self.matchers: dict[int, PeerMatcher] = {}
        for pos, entry in enumerate(self.entries):
            self.matchers.setdefault(self.numbers[pos], entry.peer)
        self.subject_index = {d: _index_by_namespace(self.entries, d) for d in ("ingress", "egress")}
        self.required = _required_pairs(self.matchers)
        self.buckets = {(d, ns): _matcher_index({self.numbers[pos]: self.entries[pos].peer for pos in positions})
                        for d, index in self.subject_index.items() for ns, positions in index.items()}
        """(direction, subject namespace or None) -> the peer matchers of the entries confined to it, indexed."""
        self.select = memo.cached(select, self)
        self.peer_row = memo.cached(peer_row, self)
        self.peer_class = memo.cached(peer_class, self)
        self.intern = memo.cached(_intern_class)
        self.decide = memo.cached(decide_class, self)
        self.cidr_notes = memo.cached(cidr_pod_notes, self)


@dataclass(frozen=True, eq=False)
class Selection:
    """What selecting a label set in one direction implies."""

    entries: tuple[Entry, ...]
    selected_by: tuple[str, ...]
    default_deny_by: tuple[str, ...]
    init: bool
    """The identity carries `reserved:init` (always enforced with default deny)."""
    rule_items: tuple[tuple[int, int], ...]
    """(entry position, peer-matcher number) of the entries that allow or deny, in rule order."""
    numbers: frozenset[int]
    """The peer-matcher numbers of rule_items."""
    namespaces: frozenset[str]
    """The namespaces the label set names: which entries' peer matchers can matter (`peer_row`)."""


@dataclass(frozen=True, eq=False)
class PeerClass:
    """The items selecting one subject whose peer part matches a peer, with how each matched.

    Interned through the memo (`rules.intern`): equal content, one object, so decisions are keyed by
    it cheaply. Without the memo every call makes a new one, which only costs time.
    """

    selection: Selection
    deny: tuple[tuple[int, str], ...]
    """(entry position, how the peer matched), in rule order."""
    allow: tuple[tuple[int, str], ...]
    from_host: bool
    """Ingress from the subject's own node (allow-localhost applies)."""


# --- steps -----------------------------------------------------------------------------------------

def select(rules: Rules, direction: str, labels: LabelSet) -> Selection:
    """The rule items of `direction` whose subject selects a pod with these labels."""
    seen: dict[int, bool] = {}
    positions = [pos for pos in _candidates(rules.subject_index[direction], labels)
                 if _selects(rules.entries[pos].subject, labels, seen)]
    entries = tuple(rules.entries[pos] for pos in positions)
    items = tuple((pos, rules.numbers[pos]) for pos in positions
                  if rules.entries[pos].deny or rules.entries[pos].adds_rules)
    return Selection(
        entries,
        tuple(sorted({f"{e.ref.kind} {e.ref.policy}" for e in entries})),
        tuple(sorted({f"{e.ref.kind} {e.ref.policy}" for e in entries if e.default_deny})),
        any(lb.key == "init" and lb.source == "reserved" for lb in labels),
        items,
        frozenset(number for _, number in items),
        _namespaces(labels))


def peer_row(rules: Rules, direction: str, namespaces: frozenset[str], identity: PeerIdentity) -> dict[int, str]:
    """peer-matcher number -> how it matched, for the matchers of entries that can select a subject in
    `namespaces` (those confined to one of them, and those confined to none) that match this peer identity.

    Only matchers that can match are tried: an endpoint selector needs its single-value `In` label pairs
    among the identity's labels (see `_matcher_index`). The dict is shared: callers must not change it.
    """
    pairs = {(lb.key, lb.value) for lb in identity.labels}
    candidates: set[int] = set()
    for ns in (None, *namespaces):
        bucket = rules.buckets.get((direction, ns))
        if bucket is None:
            continue
        by_pair, always = bucket
        candidates.update(always)
        for pair in pairs:
            found = by_pair.get(pair)
            if found:
                candidates.update(found)
    required = rules.required
    row = {}
    for number in candidates:
        needs = required.get(number)
        if needs is not None and not any(need <= pairs for need in needs):
            continue  # every selector of the matcher lacks one of its required labels
        how = rules.matchers[number].match(identity)
        if how is not None:
            row[number] = how
    return row


def peer_class(rules: Rules, direction: str, subject_labels: LabelSet, identity: PeerIdentity) -> PeerClass:
    """Which deny and allow items selecting the subject match the peer (rule order kept)."""
    selection = rules.select(direction, subject_labels)
    deny: list[tuple[int, str]] = []
    allow: list[tuple[int, str]] = []
    if selection.numbers:
        row = rules.peer_row(direction, selection.namespaces, identity)
        if not selection.numbers.isdisjoint(row):  # most peers match none of a subject's rules
            for pos, number in selection.rule_items:
                how = row.get(number)
                if how is not None:
                    (deny if rules.entries[pos].deny else allow).append((pos, how))
    from_host = direction == "ingress" and identity.kind == "host"
    return rules.intern(selection, tuple(deny), tuple(allow), from_host)


def _intern_class(selection: Selection, deny: tuple[tuple[int, str], ...], allow: tuple[tuple[int, str], ...],
                  from_host: bool) -> PeerClass:
    return PeerClass(selection, deny, allow, from_host)


def decide_class(rules: Rules, peers: PeerClass, subject_name: str, direction: str, traffic: Traffic,
                 named_ports: NamedPorts) -> DirectionVerdict:
    """One direction's decision for a peer class and traffic towards a destination with `named_ports`."""
    base: dict[str, Any] = {"direction": direction, "endpoint": subject_name}
    if rules.enforcement == "never":
        return DirectionVerdict(outcome=Outcome.ALLOWED, reason="policy enforcement is off (mode never)", **base)
    selection = peers.selection
    always = rules.enforcement == "always" or selection.init
    if not selection.entries and not always:
        return DirectionVerdict(outcome=Outcome.ALLOWED, reason=f"no policy selects {subject_name} for {direction}",
                                **base)
    dd_by = selection.default_deny_by
    default_deny = bool(dd_by) or always
    common: dict[str, Any] = dict(base, enforced=True, default_deny=default_deny, selected_by=selection.selected_by,
                  default_deny_by=dd_by)

    for pos, peer_desc in peers.deny:
        entry = rules.entries[pos]
        m = _match(entry, peer_desc, traffic, named_ports)
        if m is not None:
            return DirectionVerdict(outcome=Outcome.DROPPED, drop_reason=POLICY_DENY, rule=entry.ref,
                                    matched=describe_match(m), reason=f"denied by {entry.ref}", **common)

    if peers.from_host:
        return DirectionVerdict(outcome=Outcome.ALLOWED, matched="reserved:host",
                                reason="ingress from the local node is always allowed (allow-localhost)", **common)

    matches = [m for pos, peer_desc in peers.allow
               for m in [_match(rules.entries[pos], peer_desc, traffic, named_ports)] if m is not None]
    if not matches:
        if default_deny:
            why = ", ".join(dd_by) if dd_by else f"enforcement mode {rules.enforcement}"
            return DirectionVerdict(outcome=Outcome.DROPPED, drop_reason=POLICY_DENIED,
                                    reason=f"no rule allows it; default deny is on ({why})", **common)
        return DirectionVerdict(outcome=Outcome.ALLOWED,
                                reason="policies select it but none switches on default deny", **common)
    port_matches = [m for m in matches if m.spec is not None]
    if all(m.spec is None or m.spec.l7 is None for m in port_matches):
        first = port_matches[0] if port_matches else matches[0]
        return DirectionVerdict(outcome=Outcome.ALLOWED, rule=first.entry.ref, matched=describe_match(first),
                                reason=f"allowed by {first.entry.ref}", **common)
    return decide_l7(matches, traffic, default_deny, common)


def combine(egress: DirectionVerdict | None, ingress: DirectionVerdict | None) -> tuple[Outcome, str]:
    """The attempt's outcome and reason from its directions: the first denial decides."""
    if egress is not None and egress.outcome is not _ALLOWED:
        return egress.outcome, egress.denial
    if ingress is not None and ingress.outcome is not _ALLOWED:
        return ingress.outcome, ingress.denial
    if egress is not None and ingress is not None:
        return _ALLOWED, f"{egress.summary}; {ingress.summary}"
    one = egress or ingress
    return _ALLOWED, one.summary if one is not None else "no policy applies"


_ALLOWED = Outcome.ALLOWED


def cidr_pod_notes(rules: Rules, direction: str, subject_labels: LabelSet, peer_name: str, peer_ip: str,
                   traffic: Traffic, named_ports: NamedPorts) -> tuple[str, ...]:
    """Why a pod inside a CIDR allow of the subject was still dropped: CIDR rules never match pods.

    Cilium gives CIDR rules to the identities it derives from addresses outside the cluster; a pod
    keeps its own identity whatever its address (`pkg/policy/api/egress.go:38-44`, `ingress.go:39-46`
    in Cilium 1.19.5; NetworkPolicy `ipBlock` with a pod IP is a documented gap,
    Documentation/network/kubernetes/policy.rst:51, cilium/cilium#9209).
    """
    selection = rules.select(direction, subject_labels)
    notes: list[str] = []
    if not any(not rules.entries[pos].deny and isinstance(rules.entries[pos].peer, CIDRPeer)
               for pos, _number in selection.rule_items):
        return ()
    address = ipaddress.ip_address(peer_ip)
    for pos, _number in selection.rule_items:
        entry = rules.entries[pos]
        if entry.deny or not isinstance(entry.peer, CIDRPeer):
            continue
        covering = entry.peer.covering(address)
        if covering is None or _match(entry, covering, traffic, named_ports) is None:
            continue
        fix = "toEndpoints" if direction == "egress" else "fromEndpoints"
        if entry.ref.kind == "NetworkPolicy":
            fix = "a podSelector / namespaceSelector peer"
        notes.append(f"{entry.ref} lists {covering}, which contains {peer_name}'s address {peer_ip}, but Cilium "
                     f"never matches CIDR rules to pods: a pod is selected by its labels, so use {fix}")
    return tuple(notes)


# --- helpers ---------------------------------------------------------------------------------------

def _match(entry: Entry, peer_desc: str, traffic: Traffic, named_ports: NamedPorts) -> PortMatch | None:
    """The port part of a rule item whose peer part matched (as `peer_desc`)."""
    if traffic.protocol == "ICMP":
        if entry.ports is None and entry.icmp is None:
            return PortMatch(entry, peer_desc, "all ports and protocols", None)
        icmp = entry.icmp.match(traffic) if entry.icmp else None
        return PortMatch(entry, peer_desc, icmp, None) if icmp else None
    if entry.ports is None:
        return PortMatch(entry, peer_desc, "all ports and protocols", None)
    for spec in entry.ports:
        port_desc = spec.match(traffic, named_ports)
        if port_desc is not None:
            return PortMatch(entry, peer_desc, port_desc, spec)
    return None


def _namespace_of(subject) -> str | None:
    """The namespace a subject selector is confined to (one `k8s:` namespace In value), if any."""
    for r in getattr(subject, "requirements", ()):
        if r.source == "k8s" and r.key == NAMESPACE_LABEL and r.operator == "In" and len(r.values) == 1:
            return next(iter(r.values))
    return None


def _index_by_namespace(entries: tuple[Entry, ...], direction: str) -> dict[str | None, list[int]]:
    """namespace (None: not confined to one) -> positions of the direction's entries, in order."""
    index: dict[str | None, list[int]] = {}
    for pos, entry in enumerate(entries):
        if entry.direction == direction:
            index.setdefault(_namespace_of(entry.subject), []).append(pos)
    return index


def _namespaces(labels: LabelSet) -> frozenset[str]:
    """The namespaces a label set names (one for a pod)."""
    return frozenset(lb.value for lb in labels if lb.source == "k8s" and lb.key == NAMESPACE_LABEL)


def _candidates(index: dict[str | None, list[int]], labels: LabelSet) -> list[int]:
    """Positions of the entries that may select a pod with `labels` (only those of its namespace or none)."""
    found = list(index.get(None, ()))
    for ns in _namespaces(labels):
        found.extend(index.get(ns, ()))
    found.sort()
    return found


def _selects(subject, labels: LabelSet, seen: dict[int, bool]) -> bool:
    """The entries of one rule share their subject selector, so each selector is matched once per call."""
    found = seen.get(id(subject))
    if found is None:
        found = seen[id(subject)] = subject.matches(labels)
    return found


def _peer_numbers(entries: tuple[Entry, ...]) -> tuple[int, ...]:
    """Per entry, a number shared by entries whose peer part matches, and is described, the same way.

    Endpoint selectors differ only in the field path they were written at, which neither matching
    nor the description uses; other peer matchers compare by value.
    """
    numbers: dict[object, int] = {}
    out = []
    for entry in entries:
        peer = entry.peer
        if isinstance(peer, EndpointsPeer):
            key: object = ("endpoints", peer.field, tuple(s.requirements for s in peer.selectors))
        else:
            key = (type(peer).__name__, peer)
        out.append(numbers.setdefault(key, len(numbers)))
    return tuple(out)


def _matcher_index(matchers: dict[int, PeerMatcher]) -> tuple[dict[tuple[str, str], tuple[int, ...]], tuple[int, ...]]:
    """(label key, value) -> numbers of endpoint matchers that need that label; and the matchers to try always.

    An endpoint selector with an `In` requirement can only match identities carrying one of its
    (key, value) pairs, whatever the label's source; matchers without one are always tried.
    """
    by_pair: dict[tuple[str, str], set[int]] = {}
    always: list[int] = []
    for number, matcher in matchers.items():
        guards = _guards(matcher)
        if guards is None:
            always.append(number)
            continue
        for pair in guards:
            by_pair.setdefault(pair, set()).add(number)
    return {pair: tuple(sorted(numbers)) for pair, numbers in by_pair.items()}, tuple(always)


def _guards(matcher: PeerMatcher) -> set[tuple[str, str]] | None:
    """Label pairs one of which any endpoint this matcher matches must carry; None if there is no such set."""
    if not isinstance(matcher, EndpointsPeer) or not matcher.selectors:
        return None
    pairs: set[tuple[str, str]] = set()
    for selector in matcher.selectors:
        ins = [r for r in selector.requirements if r.operator == "In" and r.values]
        if not ins:
            return None
        best = max(ins, key=lambda r: (r.key not in _COMMON_KEYS, r.key != CLUSTER_LABEL, -len(r.values)))
        pairs.update((best.key, value) for value in best.values)
    return pairs


def _required_pairs(matchers: dict[int, PeerMatcher]) -> dict[int, tuple[frozenset[tuple[str, str]], ...]]:
    """number -> per selector, the (key, value) pairs its single-value `In` requirements need (endpoint matchers).

    A selector can only match an identity that carries all of them, whatever the labels' sources, so
    a matcher none of whose selectors finds its pairs is not tried.
    """
    out = {}
    for number, matcher in matchers.items():
        if isinstance(matcher, EndpointsPeer) and matcher.selectors:
            out[number] = tuple(frozenset((r.key, next(iter(r.values))) for r in sel.requirements
                                          if r.operator == "In" and len(r.values) == 1)
                                for sel in matcher.selectors)
    return out


_COMMON_KEYS = {NAMESPACE_LABEL, CLUSTER_LABEL}
"""Keys (nearly) every pod carries: poor guards, used only when a selector has nothing narrower."""
