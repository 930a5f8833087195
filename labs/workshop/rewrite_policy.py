"""Rewrite the namespace references inside one policy document for one trainee.

CiliumNetworkPolicy subjects are scoped to the policy's own namespace by Cilium (cilium-semantics
§3.2), so moving the policy to `alice-backend` moves its subject. Peers are not: a peer that names a
namespace (`k8s:io.kubernetes.pod.namespace: frontend`, the `kubernetes.io/metadata.name` namespace
label, a NetworkPolicy `namespaceSelector` on that label, `toServices` namespace, an in-cluster DNS
name) must name `alice-frontend` instead. Shared namespaces (kube-system) stay as written, so the usual
DNS rule to kube-dns keeps working.

A peer that selects namespaces by another label (`team: web`) would also match the other trainees'
copies of that namespace; it gets one more requirement, the trainee label every trainee namespace
carries, so a trainee's policy only ever admits the trainee's own pods as the single-user course would.
Peers that select every namespace (`namespaceSelector: {}`) are kept: they include kube-system.
"""

from __future__ import annotations

import copy
from typing import Any

from labs.workshop.scope import TRAINEE_LABEL, NamespaceMap

__all__ = ["CILIUM_POLICY_KINDS", "rewrite_policy_document", "NS_NAME_LABEL"]

CILIUM_POLICY_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")
NS_NAME_LABEL = "kubernetes.io/metadata.name"
_NS_LABELS = "io.cilium.k8s.namespace.labels."
_SOURCES = ("", "k8s:", "any:")
_POD_NS_KEYS = frozenset(src + "io.kubernetes.pod.namespace" for src in _SOURCES)
_NS_NAME_KEYS = frozenset(src + _NS_LABELS + NS_NAME_LABEL for src in _SOURCES)
_NS_KEYS = _POD_NS_KEYS | _NS_NAME_KEYS
_TRAINEE_SCOPE_KEY = "k8s:" + _NS_LABELS + TRAINEE_LABEL
_PEER_SELECTOR_FIELDS = ("fromEndpoints", "toEndpoints", "fromRequires", "toRequires")
_SECTIONS = ("ingress", "ingressDeny", "egress", "egressDeny")


def rewrite_policy_document(obj: dict[str, Any], nsmap: NamespaceMap) -> dict[str, Any]:
    """A rewritten copy of a CiliumNetworkPolicy or NetworkPolicy dict (metadata.namespace excluded)."""
    out = copy.deepcopy(obj)
    kind = out.get("kind")
    if kind in CILIUM_POLICY_KINDS:
        spec = out.get("spec")
        if isinstance(spec, dict):
            _cilium_rule(spec, nsmap)
        for rule in out.get("specs") or []:
            if isinstance(rule, dict):
                _cilium_rule(rule, nsmap)
    elif kind == "NetworkPolicy":
        _knp_spec(out.get("spec"), nsmap)
    return out


def _cilium_rule(rule: dict[str, Any], nsmap: NamespaceMap) -> None:
    if isinstance(rule.get("endpointSelector"), dict):
        _cilium_selector(rule["endpointSelector"], nsmap, scope=False)
    for section in _SECTIONS:
        for item in _dicts(rule.get(section)):
            for field in _PEER_SELECTOR_FIELDS:
                for selector in _dicts(item.get(field)):
                    _cilium_selector(selector, nsmap, scope=True)
            for service in _dicts(item.get("toServices")):
                for key in ("k8sService", "k8sServiceSelector"):
                    ref = service.get(key)
                    if isinstance(ref, dict) and isinstance(ref.get("namespace"), str):
                        ref["namespace"] = nsmap.ns(ref["namespace"])
            for fqdn in _dicts(item.get("toFQDNs")):
                _dns_fields(fqdn, nsmap)
            for port_rule in _dicts(item.get("toPorts")):
                rules = port_rule.get("rules")
                if isinstance(rules, dict):
                    for dns in _dicts(rules.get("dns")):
                        _dns_fields(dns, nsmap)


def _cilium_selector(selector: dict[str, Any], nsmap: NamespaceMap, *, scope: bool) -> None:
    """Map namespace values in matchLabels/matchExpressions; scope namespace-label peers to the trainee."""
    labels = selector.get("matchLabels")
    keys: set[str] = set()
    if isinstance(labels, dict):
        keys.update(str(k) for k in labels)
        for key, value in list(labels.items()):
            if key in _NS_KEYS and isinstance(value, str):
                labels[key] = nsmap.ns(value)
    for expr in _dicts(selector.get("matchExpressions")):
        key = str(expr.get("key", ""))
        keys.add(key)
        if key in _NS_KEYS and isinstance(expr.get("values"), list):
            expr["values"] = [nsmap.ns(v) if isinstance(v, str) else v for v in expr["values"]]
    if scope and not keys & _NS_KEYS and any(_strip_source(k).startswith(_NS_LABELS) for k in keys):
        selector.setdefault("matchLabels", {})
        if isinstance(selector["matchLabels"], dict):
            selector["matchLabels"][_TRAINEE_SCOPE_KEY] = nsmap.trainee


def _knp_spec(spec: Any, nsmap: NamespaceMap) -> None:
    if not isinstance(spec, dict):
        return
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for item in _dicts(spec.get(direction)):
            for peer in _dicts(item.get(peers_key)):
                selector = peer.get("namespaceSelector")
                if isinstance(selector, dict):
                    _knp_namespace_selector(selector, nsmap)


def _knp_namespace_selector(selector: dict[str, Any], nsmap: NamespaceMap) -> None:
    labels = selector.get("matchLabels")
    keys: set[str] = set()
    if isinstance(labels, dict):
        keys.update(str(k) for k in labels)
        if isinstance(labels.get(NS_NAME_LABEL), str):
            labels[NS_NAME_LABEL] = nsmap.ns(labels[NS_NAME_LABEL])
    for expr in _dicts(selector.get("matchExpressions")):
        keys.add(str(expr.get("key", "")))
        if expr.get("key") == NS_NAME_LABEL and isinstance(expr.get("values"), list):
            expr["values"] = [nsmap.ns(v) if isinstance(v, str) else v for v in expr["values"]]
    if keys and NS_NAME_LABEL not in keys:
        selector.setdefault("matchLabels", {})
        if isinstance(selector["matchLabels"], dict):
            selector["matchLabels"][TRAINEE_LABEL] = nsmap.trainee


def _dns_fields(entry: dict[str, Any], nsmap: NamespaceMap) -> None:
    for key in ("matchName", "matchPattern"):
        if isinstance(entry.get(key), str):
            entry[key] = nsmap.dns_name(entry[key])


def _strip_source(key: str) -> str:
    for src in ("k8s:", "any:"):
        if key.startswith(src):
            return key[len(src):]
    return key


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
