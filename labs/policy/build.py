"""Translate policies (CNP, CCNP, NetworkPolicy) into one list of entries, as Cilium's agent does.

This is the only place that knows the translation rules (cilium-semantics §2, §3, §8): one entry per
list item of each section, carrying whether it switches on default deny, its subject selector, its
peer matcher, its ports and L7 rules, and a `RuleRef` naming where it was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from labs.manifests.objects import Service
from labs.policy.labels import NAMESPACE_LABEL, NS_LABELS_PREFIX, Label
from labs.policy.model import (
    CIDRRule,
    CiliumPolicy,
    KnpPeer,
    KnpRule,
    KubeNetworkPolicy,
    LabelSelector,
    PeerRule,
    Policy,
    PortRule,
    Rule,
)
from labs.policy.model import Requirement as ModelRequirement
from labs.policy.peers import AnyPeer, CIDRPeer, EndpointsPeer, EntitiesPeer, FQDNPeer, NoPeer, PeerMatcher
from labs.policy.ports import ALL_L4, ICMP_NAMES, ICMPMatcher, L7Spec, PortSpec
from labs.policy.selectors import Requirement, Selector, compile_selector, peer_selector, subject_selector

__all__ = ["Entry", "RuleRef", "build_entries"]


@dataclass(frozen=True)
class RuleRef:
    """Where a rule item was written: policy, section, index, field path, file and line."""

    kind: str
    name: str
    namespace: str | None
    section: str
    index: int
    path: str = ""
    file: str | None = None
    line: int | None = None

    @property
    def policy(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def __str__(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file and self.line else ""
        return f"{self.kind} {self.policy}, {self.section} rule {self.index}{where}"


@dataclass(frozen=True)
class Entry:
    """One allow or deny item in one direction."""

    ref: RuleRef
    direction: str
    deny: bool
    default_deny: bool
    subject: Selector
    peer: PeerMatcher
    ports: tuple[PortSpec, ...] | None
    """None: no L4 restriction (every port and protocol, ICMP included)."""
    icmp: ICMPMatcher | None = None
    adds_rules: bool = True
    """False for the placeholder entries that only switch on default deny."""


def build_entries(policies: Iterable[Policy], services: Sequence[Service] = ()) -> list[Entry]:
    entries: list[Entry] = []
    for policy in policies:
        if isinstance(policy, KubeNetworkPolicy):
            entries.extend(_knp_entries(policy))
        else:
            entries.extend(_cilium_entries(policy, services))
    return entries


# --- Cilium policies --------------------------------------------------------------------------------

def _cilium_entries(policy: CiliumPolicy, services: Sequence[Service]) -> list[Entry]:
    out: list[Entry] = []
    for rule in policy.rules:
        if rule.endpoint_selector is None:
            continue  # nodeSelector rules apply to hosts, which are only subject to policy with host firewall on
        subject = subject_selector(rule.endpoint_selector, policy.namespace)
        for section in ("ingress", "ingressDeny", "egress", "egressDeny"):
            items = rule.section(section) or ()
            direction = "ingress" if section.startswith("ingress") else "egress"
            default_deny = _default_deny(rule, direction)
            for item in items:
                ref = RuleRef(policy.kind, policy.name, policy.namespace, section, item.index,
                              item.path, policy.source.file, item.line or policy.source.line)
                peer = _cilium_peer(item, policy.namespace, services)
                ports, icmp, has_l4 = _cilium_ports(item)
                if peer is None:
                    # no L3 field: a wildcard peer if the item has an L4 part, otherwise it allows nothing
                    peer = AnyPeer() if has_l4 else NoPeer("empty rule item")
                out.append(Entry(ref, direction, section.endswith("Deny"), default_deny, subject, peer,
                                 ports if has_l4 else None, icmp,
                                 adds_rules=not isinstance(peer, NoPeer) or peer.why != "empty rule item"))
    return out


def _default_deny(rule: Rule, direction: str) -> bool:
    explicit = rule.enable_default_deny_ingress if direction == "ingress" else rule.enable_default_deny_egress
    return True if explicit is None else explicit


def _cilium_peer(item: PeerRule, namespace: str | None, services: Sequence[Service]) -> PeerMatcher | None:
    side = "from" if item.is_ingress else "to"
    if item.endpoints is not None:
        if not item.endpoints:
            return NoPeer(f"{side}Endpoints: [] selects nothing")
        return EndpointsPeer(f"{side}Endpoints", tuple(peer_selector(s, namespace) for s in item.endpoints))
    if item.entities is not None:
        return EntitiesPeer(f"{side}Entities", item.entities) if item.entities else NoPeer(f"{side}Entities: []")
    if item.cidr is not None:
        return CIDRPeer(f"{side}CIDR", tuple(CIDRRule(c) for c in item.cidr))
    if item.cidr_set is not None:
        return CIDRPeer(f"{side}CIDRSet", item.cidr_set)
    if item.fqdns is not None:
        return FQDNPeer(item.fqdns)
    if item.services is not None:
        return _services_peer(item, services)
    if item.nodes is not None:
        return NoPeer(f"{side}Nodes needs --enable-node-selector-labels, which the course cluster does not set")
    return None


def _services_peer(item: PeerRule, services: Sequence[Service]) -> PeerMatcher:
    """toServices becomes toEndpoints with each matching Service's selector in its namespace."""
    selectors: list[Selector] = []
    for ref in item.services or ():
        for svc in services:
            if ref.namespace and svc.namespace != ref.namespace:
                continue
            if ref.name is not None and svc.name != ref.name:
                continue
            if ref.selector is not None and not compile_selector(ref.selector).matches(
                    frozenset(_k8s_labels(svc.labels))):
                continue
            if svc.selector is None:
                continue  # no selector: Cilium would use the EndpointSlice IPs, which the course does not model
            reqs = [Requirement("k8s", k, "In", frozenset({v})) for k, v in svc.selector.items()]
            reqs.append(Requirement("k8s", NAMESPACE_LABEL, "In", frozenset({svc.namespace})))
            selectors.append(Selector(tuple(reqs), item.path, f"Service {svc.key}"))
    if not selectors:
        return NoPeer("toServices matches no Service with a selector")
    return EndpointsPeer("toServices", tuple(selectors))


def _k8s_labels(labels) -> set[Label]:
    return {Label("k8s", k, v) for k, v in labels.items()}


def _cilium_ports(item: PeerRule) -> tuple[tuple[PortSpec, ...], ICMPMatcher | None, bool]:
    specs: list[PortSpec] = []
    for port_rule in item.to_ports or ():
        specs.extend(_port_specs(port_rule, item))
    icmp = None
    if item.icmps:
        icmp = ICMPMatcher(tuple((_icmp_number(f.type), f.family) for f in item.icmps), item.path)
    has_l4 = item.to_ports is not None or item.icmps is not None
    return tuple(specs), icmp, has_l4


def _port_specs(port_rule: PortRule, item: PeerRule) -> list[PortSpec]:
    l7 = None
    path = f"{item.path}.toPorts[{port_rule.index}]"
    if port_rule.rules is not None:
        if port_rule.rules.http is not None:
            l7 = L7Spec("http", http=port_rule.rules.http, path=path + ".rules.http")
        elif port_rule.rules.dns is not None:
            l7 = L7Spec("dns", dns=port_rule.rules.dns, path=path + ".rules.dns")
        elif port_rule.rules.kafka is not None:
            l7 = L7Spec("kafka", kafka=port_rule.rules.kafka, path=path + ".rules.kafka")
    out = []
    for pp in port_rule.ports:
        protocols = ALL_L4 if pp.protocol in ("ANY", "", None) else frozenset({pp.protocol})
        number, name = _port_value(pp.port)
        out.append(PortSpec(protocols, number, _end_port(number, pp.end_port), name, l7, path))
    return out


def _end_port(number: int | None, end_port: int | None) -> int | None:
    """The end of a range, or None for a single port. Cilium opens the single `port` when endPort is not above
    it (`pkg/policy/portrange.go:42-44` in v1.19.5: `end <= start` is one port), so `443`/`80` is port 443."""
    if number is None or end_port is None or end_port <= number:
        return None
    return end_port


def _port_value(port: str | int | None) -> tuple[int | None, str | None]:
    """(number, None), (None, name) or (None, None) for every port."""
    if port is None:
        return None, None
    text = str(port).strip()
    if text.isdigit():
        return (int(text) or None), None
    return None, text.lower()


def _icmp_number(value: int | str) -> int:
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    return ICMP_NAMES.get(str(value).lower(), -1)


# --- Kubernetes NetworkPolicy -----------------------------------------------------------------------

def _knp_entries(policy: KubeNetworkPolicy) -> list[Entry]:
    subject = subject_selector(policy.pod_selector, policy.namespace)
    types = policy.policy_types
    ingress_on = types is None or "Ingress" in types or "Egress" not in types
    egress_on = ("Egress" in types) if types is not None else bool(policy.egress)
    out: list[Entry] = []
    for direction, on, items in (("ingress", ingress_on, policy.ingress), ("egress", egress_on, policy.egress)):
        if not on:
            continue
        if not items:
            ref = RuleRef(policy.kind, policy.name, policy.namespace, direction, 0,
                          f"spec.{direction}", policy.source.file, policy.source.line)
            out.append(Entry(ref, direction, False, True, subject, NoPeer("no rules: deny all"), None,
                             adds_rules=False))
            continue
        for item in items:
            ref = RuleRef(policy.kind, policy.name, policy.namespace, direction, item.index,
                          item.path, policy.source.file, item.line or policy.source.line)
            ports = _knp_ports(item)
            for peer in _knp_peers(item, policy.namespace, direction):
                out.append(Entry(ref, direction, False, True, subject, peer, ports))
    return out


def _knp_peers(item: KnpRule, namespace: str, direction: str) -> list[PeerMatcher]:
    field = "from" if direction == "ingress" else "to"
    if not item.peers:
        return [AnyPeer()]
    selectors: list[Selector] = []
    others: list[PeerMatcher] = []
    for i, peer in enumerate(item.peers):
        if peer.ip_block is not None:
            others.append(CIDRPeer(f"{field}[{i}].ipBlock", (peer.ip_block,)))
            continue
        selectors.append(_knp_selector(peer, namespace, f"{item.path}.{field}[{i}]"))
    if selectors:
        others.insert(0, EndpointsPeer(field, tuple(selectors)))
    return others


def _knp_selector(peer: KnpPeer, namespace: str, path: str) -> Selector:
    reqs: list[Requirement] = []
    if peer.pod_selector is not None:
        reqs.extend(compile_selector(peer.pod_selector).requirements)
    if peer.namespace_selector is None:
        reqs.append(Requirement("k8s", NAMESPACE_LABEL, "In", frozenset({namespace})))
    else:
        ns = compile_selector(_prefixed(peer.namespace_selector))
        reqs.extend(ns.requirements)
        reqs.append(Requirement("k8s", NAMESPACE_LABEL, "Exists"))
    written = " and ".join(x for x in (
        f"podSelector {compile_selector(peer.pod_selector)}" if peer.pod_selector is not None else "",
        f"namespaceSelector {compile_selector(peer.namespace_selector)}" if peer.namespace_selector else "") if x)
    return Selector(tuple(reqs), path, written)


def _prefixed(sel: LabelSelector) -> LabelSelector:
    """A namespaceSelector becomes a selector on the pod's namespace labels."""
    return LabelSelector(
        tuple((f"k8s:{NS_LABELS_PREFIX}{k}", v) for k, v in sel.match_labels),
        tuple(ModelRequirement(f"k8s:{NS_LABELS_PREFIX}{e.key}", e.operator, e.values) for e in sel.match_expressions),
        sel.path,
    )


def _knp_ports(item: KnpRule) -> tuple[PortSpec, ...] | None:
    if not item.ports:
        return None
    specs = []
    for p in item.ports:
        number, name = _port_value(p.port)
        specs.append(PortSpec(frozenset({p.protocol or "TCP"}), number, p.end_port, name, None, item.path))
    return tuple(specs)
