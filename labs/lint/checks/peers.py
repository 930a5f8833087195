"""Peers and selectors: namespace labels, entities that make other rules moot, "allow all" that is not.

Facts relied on (reference: cilium-semantics §3): a pod's namespace is the label
`k8s:io.kubernetes.pod.namespace`; a CiliumNetworkPolicy peer selector without it is confined to the
policy's own namespace; `fromEndpoints: [{}]` therefore means "every pod of this namespace".
"""

from __future__ import annotations

import ipaddress
import re
from typing import Iterator

from labs.lint.checks._yaml import snippet
from labs.lint.context import LintContext
from labs.lint.finding import Finding
from labs.lint.registry import check
from labs.lint.source import parse_path
from labs.policy.labels import split_source
from labs.policy.model import CiliumPolicy, LabelSelector, PeerRule

__all__ = ["COURSE_POD_CIDR", "broad_entity_beside_narrower", "cidr_over_pod_addresses",
           "empty_selector_called_allow_all", "namespace_label_as_peer", "namespace_metadata_label_on_pods"]

_NAMESPACE_KEYS = {"namespace"}
_METADATA_NAME = "kubernetes.io/metadata.name"
_IN_CLUSTER_ENTITIES = {"cluster", "host", "remote-node", "health", "init", "ingress", "unmanaged", "kube-apiserver"}


def _selectors(ctx: LintContext) -> Iterator[tuple[CiliumPolicy, PeerRule, LabelSelector]]:
    for policy, _rule, peer in ctx.peer_rules():
        for selector in peer.endpoints or ():
            yield policy, peer, selector


def _bare_keys(selector: LabelSelector) -> list[tuple[str, str, str | None]]:
    """(written key, key without source, value or None for an expression) of every requirement."""
    keys: list[tuple[str, str, str | None]]
    keys = [(k, split_source(k)[1], v) for k, v in selector.match_labels if split_source(k)[0] in ("any", "k8s")]
    keys += [(e.key, split_source(e.key)[1], None) for e in selector.match_expressions
             if split_source(e.key)[0] in ("any", "k8s")]
    return keys


def _fixed_labels(selector: LabelSelector, bad_key: str, new_key: str, value: str) -> dict[str, str]:
    labels = {new_key: value}
    labels.update({k: v for k, v in selector.match_labels if k != bad_key})
    return labels


def _scope(policy: CiliumPolicy) -> str:
    if policy.namespace is None:
        return "in any namespace"
    return f"in the policy's own namespace {policy.namespace!r}"


@check("CL101", "error", "A peer selector uses a `namespace` label instead of `k8s:io.kubernetes.pod.namespace`",
       "Documentation/security/policy/kubernetes.rst (Namespaces); cilium-semantics §3.1-3.2")
def namespace_label_as_peer(ctx: LintContext) -> Iterator[Finding]:
    for policy, _peer, selector in _selectors(ctx):
        for written, bare, value in _bare_keys(selector):
            if bare not in _NAMESPACE_KEYS:
                continue
            shown = value if value is not None else "NAME"
            where = "matchLabels" if value is not None else "matchExpressions"
            yield ctx.finding(
                "CL101",
                f"The peer selector asks for a pod label {written!r}={shown!r}, but Cilium knows a pod's namespace "
                f"only as 'k8s:io.kubernetes.pod.namespace': this selects pods carrying a label "
                f"'namespace: {shown}' {_scope(policy)}, usually none, not the pods of namespace {shown!r}.",
                policy=policy, path=(*parse_path(selector.path), where, written) if value is not None
                else (*parse_path(selector.path), where),
                fix=snippet({"matchLabels": _fixed_labels(selector, written, "k8s:io.kubernetes.pod.namespace",
                                                          shown)}))


@check("CL104", "error", "A peer selector uses the namespace label `kubernetes.io/metadata.name` as if pods had it",
       "Documentation/security/policy/kubernetes.rst (Namespaces); cilium-semantics §3.1")
def namespace_metadata_label_on_pods(ctx: LintContext) -> Iterator[Finding]:
    for policy, _peer, selector in _selectors(ctx):
        for written, bare, value in _bare_keys(selector):
            if bare != _METADATA_NAME or value is None:
                continue
            yield ctx.finding(
                "CL104",
                f"{written!r} is a label of Namespace objects, not of pods, so this peer selector matches no pod; "
                f"Cilium gives each pod its namespace's labels as 'io.cilium.k8s.namespace.labels.<key>' and its "
                f"namespace as 'k8s:io.kubernetes.pod.namespace'.",
                policy=policy, path=(*parse_path(selector.path), "matchLabels", written),
                fix=snippet({"matchLabels": _fixed_labels(selector, written, "k8s:io.kubernetes.pod.namespace",
                                                          value)}))


def _direction_word(section: str) -> str:
    return "fromEntities" if section.startswith("ingress") else "toEntities"


def _ports_text(peer: PeerRule) -> set[tuple[str | None, str]] | None:
    """The (port, protocol) pairs an item opens; None when it opens every port."""
    if not peer.to_ports:
        return None
    return {(p.port, p.protocol) for rule in peer.to_ports for p in rule.ports}


def _made_moot(broad_entity: str, broad: PeerRule, other: PeerRule) -> bool:
    broad_ports, other_ports = _ports_text(broad), _ports_text(other)
    if broad_ports is not None and (other_ports is None or not other_ports <= broad_ports):
        return False
    if broad_entity == "all":
        return True
    if other.cidr is not None or other.cidr_set is not None or other.fqdns is not None:
        return False
    if other.entities is not None:
        return bool(other.entities) and set(other.entities) <= _IN_CLUSTER_ENTITIES
    return other.endpoints is not None or other.services is not None or other.nodes is not None


@check("CL102", "warning", "`fromEntities`/`toEntities` `cluster` or `all` beside narrower rules makes them moot",
       "Documentation/security/policy/language.rst (Entities Based); cilium-semantics §3.3, §7")
def broad_entity_beside_narrower(ctx: LintContext) -> Iterator[Finding]:
    for policy, rule in ctx.rules():
        for section in ("ingress", "egress"):
            items = rule.section(section) or ()
            for broad in items:
                entity = next((e for e in ("all", "cluster") if e in (broad.entities or ())), None)
                if entity is None:
                    continue
                moot = [other for other in items if other is not broad and _made_moot(entity, broad, other)]
                if not moot:
                    continue
                field = _direction_word(section)
                where = ", ".join(other.path for other in moot)
                reach = "every peer, inside the cluster or not" if entity == "all" else "every endpoint of the cluster"
                ports = "on every port" if broad.to_ports is None else "on the same ports"
                yield ctx.finding(
                    "CL102",
                    f"'{field}: [{entity}]' allows {reach} {ports}, so the narrower item{'s' if len(moot) > 1 else ''} "
                    f"{where} of the same policy add{'' if len(moot) > 1 else 's'} nothing and no longer isolate "
                    f"anything (HTTP rules in them stop restricting too).",
                    policy=policy, path=(*parse_path(broad.path), field),
                    fix=f"# delete the '{field}: [{entity}]' item and keep the narrower rules, or limit it\n"
                        + snippet([{field: ["host"] if section == "ingress" else ["kube-apiserver"]}]))


_ALLOW_ALL = re.compile(r"allow[-_ ]?(all|every|any)", re.IGNORECASE)


@check("CL103", "warning", "`fromEndpoints: [{}]` in a namespaced policy described as \"allow all\"",
       "Documentation/security/policy/layer3.rst (Ingress Allow All Endpoints); cilium-semantics §3.2, §12.1")
def empty_selector_called_allow_all(ctx: LintContext) -> Iterator[Finding]:
    for policy, rule in ctx.rules():
        if policy.namespace is None:
            continue
        words = " ".join(filter(None, (policy.name, rule.description)))
        if not _ALLOW_ALL.search(words):
            continue
        for section in ("ingress", "egress"):
            field = "fromEndpoints" if section == "ingress" else "toEndpoints"
            entity_field = "fromEntities" if section == "ingress" else "toEntities"
            for peer in rule.section(section) or ():
                for index, selector in enumerate(peer.endpoints or ()):
                    if not selector.is_empty:
                        continue
                    yield ctx.finding(
                        "CL103",
                        f"Policy {policy.ref!r} is described as allowing all, but in a CiliumNetworkPolicy "
                        f"'{field}: [{{}}]' means every pod of namespace {policy.namespace!r} only: pods of other "
                        f"namespaces, the nodes and the world stay denied.",
                        policy=policy, path=(*parse_path(peer.path), field, index),
                        fix=f"# everything, inside and outside the cluster:\n{snippet([{entity_field: ['all']}])}\n"
                            f"# or every endpoint of the cluster:\n{snippet([{entity_field: ['cluster']}])}")


COURSE_POD_CIDR = ipaddress.ip_network("10.244.0.0/16")
"""Where the course cluster's pods get their addresses (settings.yaml `network.pod_cidr`; the simulated
cluster uses the same range). A test keeps the two equal."""


def _pod_part(cidr: str, excepts: tuple[str, ...]) -> str | None:
    """The pod addresses a CIDR rule holds, written out; None if it holds none or is the whole address space.

    `0.0.0.0/0` (or `::/0`) is how "anywhere outside" is written, so it is left alone; a narrower range
    over the pod network is a rule meant for pods.
    """
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    if net.prefixlen == 0 or net.version != COURSE_POD_CIDR.version:
        return None
    if COURSE_POD_CIDR.subnet_of(net):  # type: ignore[arg-type]
        overlap = COURSE_POD_CIDR
    elif net.subnet_of(COURSE_POD_CIDR):  # type: ignore[arg-type]
        overlap = net
    else:
        return None
    for text in excepts:
        try:
            if overlap.subnet_of(ipaddress.ip_network(text, strict=False)):  # type: ignore[arg-type]
                return None
        except (ValueError, TypeError):
            continue
    return str(overlap)


def _pods_text(pods: str) -> str:
    if pods == str(COURSE_POD_CIDR):
        return f"the cluster's pod addresses ({pods})"
    return f"pod addresses ({pods}, part of the cluster's pod range {COURSE_POD_CIDR})"


def _cidr_fields(peer: PeerRule) -> Iterator[tuple[tuple[str | int, ...], str, tuple[str, ...]]]:
    """(field path below the item, cidr, excepts) of every CIDR an item lists."""
    ingress = peer.is_ingress
    for i, cidr in enumerate(peer.cidr or ()):
        yield ("fromCIDR" if ingress else "toCIDR", i), cidr, ()
    for i, rule in enumerate(peer.cidr_set or ()):
        yield ("fromCIDRSet" if ingress else "toCIDRSet", i, "cidr"), rule.cidr, rule.except_


@check("CL105", "warning", "A CIDR rule (`toCIDR`, `fromCIDR`, `*CIDRSet`, `ipBlock`) over the pods' addresses",
       "pkg/policy/api/egress.go (ToCIDR: \"Only connections destined for outside of the cluster ... will be "
       "subject to CIDR rules\"), pkg/policy/api/ingress.go (FromCIDR); Documentation/network/kubernetes/policy.rst "
       "(ipBlock set with a pod IP, cilium/cilium#9209); cilium-semantics §3.4")
def cidr_over_pod_addresses(ctx: LintContext) -> Iterator[Finding]:
    for policy, _rule, peer in ctx.peer_rules():
        for sub, cidr, excepts in _cidr_fields(peer):
            pods = _pod_part(cidr, excepts)
            if pods is None:
                continue
            field = "fromEndpoints" if peer.is_ingress else "toEndpoints"
            effect = "denies" if peer.is_deny else "allows"
            yield ctx.finding(
                "CL105",
                f"{sub[0]} {cidr} holds {_pods_text(pods)}, but Cilium never matches CIDR rules to pods: this "
                f"item {effect} no pod, only addresses outside the cluster. Select pods by their labels with {field}.",
                policy=policy, path=(*parse_path(peer.path), *sub),
                fix="# select the pods by label instead of by address\n"
                    + snippet([{field: [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "NAMESPACE"}}]}]))
    for knp in ctx.network_policies:
        for section, peers_field in (("ingress", "from"), ("egress", "to")):
            for rule in getattr(knp, section) or ():
                for j, knp_peer in enumerate(rule.peers or ()):
                    block = knp_peer.ip_block
                    pods = _pod_part(block.cidr, block.except_) if block is not None else None
                    if pods is None:
                        continue
                    yield ctx.finding(
                        "CL105",
                        f"ipBlock {block.cidr} holds {_pods_text(pods)}, but Cilium never "
                        f"matches ipBlock to pods: this peer lets no pod "
                        f"{'in' if section == 'ingress' else 'be reached'}. Select pods with a podSelector "
                        "and namespaceSelector.",
                        policy=knp, path=(*parse_path(rule.path), peers_field, j, "ipBlock", "cidr"),
                        fix="# select the pods by label instead of by address\n"
                            + snippet([{"namespaceSelector": {"matchLabels": {
                                "kubernetes.io/metadata.name": "NAMESPACE"}}, "podSelector": {}}]))
