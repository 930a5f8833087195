"""Peer matchers: does a rule item's from*/to* part select this endpoint?

One small class per peer kind, each with `match(endpoint) -> str | None`: the description of what
matched (for explanations), or None. Semantics: cilium-semantics §3 (entities, CIDR never matching
pods, toServices translated to the Service's selector, toFQDNs matching names the DNS proxy saw).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Protocol

from labs.policy.endpoints import PeerIdentity
from labs.policy.fqdn import matches_name, matches_pattern
from labs.policy.labels import CLUSTER_LABEL, DEFAULT_CLUSTER
from labs.policy.model import CIDRRule, FQDNSelector
from labs.policy.selectors import Selector

__all__ = ["AnyPeer", "CIDRPeer", "EndpointsPeer", "EntitiesPeer", "FQDNPeer", "NoPeer", "PeerMatcher"]


class PeerMatcher(Protocol):
    def match(self, ep: PeerIdentity) -> str | None: ...


@dataclass(frozen=True)
class AnyPeer:
    """No from*/to* field but ports given: every peer, world and nodes included."""

    def match(self, ep: PeerIdentity) -> str | None:
        return "any peer (no from/to field)"


@dataclass(frozen=True)
class NoPeer:
    """An explicit empty peer list, or a peer kind the course does not model: selects nothing."""

    why: str

    def match(self, ep: PeerIdentity) -> str | None:
        return None


@dataclass(frozen=True)
class EndpointsPeer:
    field: str
    selectors: tuple[Selector, ...]

    def match(self, ep: PeerIdentity) -> str | None:
        for i, sel in enumerate(self.selectors):
            if sel.matches(ep.labels):
                return f"{self.field}[{i}] {sel}"
        return None


_ENTITY_KINDS = {
    "host": {"host"}, "remote-node": {"remote-node"}, "world": {"world"}, "init": {"init"},
    "health": {"health"}, "unmanaged": {"unmanaged"}, "ingress": {"ingress"}, "none": set(),
    "kube-apiserver": {"kube-apiserver"},
}
_CLUSTER_KINDS = {"host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver"}


def entity_selects(entity: str, ep: PeerIdentity) -> bool:
    if entity == "all":
        return True
    if entity == "cluster":
        if ep.kind in _CLUSTER_KINDS:
            return True
        return any(lb.key == CLUSTER_LABEL and lb.value == DEFAULT_CLUSTER for lb in ep.labels)
    if entity == "kube-apiserver":
        return any(lb.source == "reserved" and lb.key == "kube-apiserver" for lb in ep.labels)
    return ep.kind in _ENTITY_KINDS.get(entity, set())


@dataclass(frozen=True)
class EntitiesPeer:
    field: str
    entities: tuple[str, ...]

    def match(self, ep: PeerIdentity) -> str | None:
        for entity in self.entities:
            if entity_selects(entity, ep):
                return f"{self.field}: {entity}"
        return None


@dataclass(frozen=True)
class CIDRPeer:
    """toCIDR / toCIDRSet / ipBlock: addresses outside the cluster only (never pods or nodes)."""

    field: str
    rules: tuple[CIDRRule, ...]

    def match(self, ep: PeerIdentity) -> str | None:
        if ep.kind != "world" or not ep.ip:
            return None
        return self.covering(ipaddress.ip_address(ep.ip))

    def covering(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        """The rule whose range holds `addr` (outside its exceptions), written out; whoever owns the address."""
        for rule in self.rules:
            net = _network(rule.cidr)
            if addr in net and not any(addr in _network(e) for e in rule.except_):
                return f"{self.field} {rule.cidr}" + (f" except {', '.join(rule.except_)}" if rule.except_ else "")
        return None


@functools.lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR as a network, parsed once (a verify run asks about the same few ranges for every probe)."""
    return ipaddress.ip_network(cidr, strict=False)


@dataclass(frozen=True)
class FQDNPeer:
    """toFQDNs: a world address is selected once the DNS proxy saw an allowed name resolve to it."""

    selectors: tuple[FQDNSelector, ...]

    def match(self, ep: PeerIdentity) -> str | None:
        if ep.kind != "world":
            return None
        for sel in self.selectors:
            for name in sorted(ep.dns_names):
                if sel.match_name is not None and matches_name(sel.match_name, name):
                    return f"toFQDNs matchName {sel.match_name} ({ep.ip} learned from {name.rstrip('.')})"
                if sel.match_pattern is not None and matches_pattern(sel.match_pattern, name):
                    return f"toFQDNs matchPattern {sel.match_pattern} ({ep.ip} learned from {name.rstrip('.')})"
        return None
