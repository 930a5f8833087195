"""Which endpoints a rule is about, and whether a peer or port reaches kube-dns.

Lint works without a cluster, so "the same endpoints" is decided from the selectors as written:
rule A covers rule B when every requirement of A's subject also appears in B's (after Cilium's
namespace injection, `labs.policy.selectors`). That is exact for the usual copies of one selector
and never claims coverage that does not hold; two different selectors that happen to pick the same
pods are treated as different (checks then err on the side of reporting).
"""

from __future__ import annotations

from typing import Iterable

from labs.policy.labels import pod_labels
from labs.policy.model import CiliumPolicy, PeerRule, PortProtocol, Rule
from labs.policy.selectors import Requirement, Selector, peer_selector, subject_selector

__all__ = ["KUBE_DNS_LABELS", "subject", "covers", "rules_covering", "is_wildcard_peer",
           "peer_reaches_kube_dns", "port_opens", "DNS_PORT_NAMES", "selects_kube_dns"]

KUBE_DNS_LABELS = pod_labels({"k8s-app": "kube-dns"}, "kube-system", {}, service_account="coredns")
"""Identity of the cluster DNS pods (CoreDNS keeps the historical `k8s-app: kube-dns` label)."""

DNS_PORT_NAMES = frozenset({"53", "dns", "dns-tcp"})
"""Port 53 and the container port names of the CoreDNS pods."""

_L3_FIELDS = ("endpoints", "entities", "cidr", "cidr_set", "services", "fqdns", "nodes")


def subject(policy: CiliumPolicy, rule: Rule) -> Selector:
    return subject_selector(rule.endpoint_selector, policy.namespace)


def _implies(have: Requirement, want: Requirement) -> bool:
    """Whether an identity meeting `have` always meets `want` (same key)."""
    if have.key != want.key or not (want.source == "any" or want.source == have.source):
        return False
    if want.operator == "Exists":
        return have.operator in ("In", "Exists")
    if want.operator == "In":
        return have.operator == "In" and have.values <= want.values
    return have == want


def covers(wider: Selector, narrower: Selector) -> bool:
    """Every identity `narrower` selects is also selected by `wider` (decided from the requirements)."""
    return all(any(_implies(have, want) for have in narrower.requirements) for want in wider.requirements)


def rules_covering(policies: Iterable[CiliumPolicy], policy: CiliumPolicy,
                   rule: Rule) -> list[tuple[CiliumPolicy, Rule]]:
    """Rules of every policy that apply to all endpoints `rule` selects (the rule itself included)."""
    target = subject(policy, rule)
    found = []
    for other in policies:
        if other.namespace is not None and other.namespace != policy.namespace:
            continue
        for other_rule in other.rules:
            if other_rule.endpoint_selector is None:
                continue  # host policies (nodeSelector) are about nodes, not pods
            if covers(subject(other, other_rule), target):
                found.append((other, other_rule))
    return found


def is_wildcard_peer(peer: PeerRule) -> bool:
    """No L3 field at all: the item applies to every peer (an explicit empty list is not a wildcard)."""
    return all(getattr(peer, name) is None for name in _L3_FIELDS)


def selects_kube_dns(policy: CiliumPolicy, selector) -> bool:
    return peer_selector(selector, policy.namespace).matches(KUBE_DNS_LABELS)


def peer_reaches_kube_dns(policy: CiliumPolicy, peer: PeerRule) -> bool:
    """Whether an egress item's peers include the kube-dns pods."""
    if is_wildcard_peer(peer):
        return True
    if peer.entities and {"all", "cluster"} & set(peer.entities):
        return True
    if peer.endpoints and any(selects_kube_dns(policy, sel) for sel in peer.endpoints):
        return True
    return any(svc.name == "kube-dns" and svc.namespace in (None, "kube-system") for svc in peer.services or ())


def port_opens(port: PortProtocol, number: int, names: Iterable[str] = (), protocol: str = "UDP") -> bool:
    """Whether a `ports` entry opens `number` (or one of the port `names`) for `protocol`."""
    if port.protocol not in ("ANY", protocol):
        return False
    written = (port.port or "0").lower()
    if written == "0" or written in {n.lower() for n in names}:
        return True
    if not written.isdigit():
        return False
    start = int(written)
    end = port.end_port or start
    return start <= number <= end
