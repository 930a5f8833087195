"""`cilium-dbg policy get`: the agent's policy repository as JSON, then `Revision: N`.

The printer is cilium `cilium-dbg/cmd/policy_get.go` (`fmt.Printf("%s\\nRevision: %d\\n", ...)`) over the
agent's `policy.JSONMarshalRules` (Go `json.MarshalIndent(rules, "", "  ")`: struct fields in
declaration order, map keys sorted, `<`, `>`, `&` escaped). Each rule is the CiliumNetworkPolicy's
spec as the agent stores it after `ParseToCiliumRule` (course reference cilium-semantics.md §3.1-3.2):
selector keys without a source become `any:<key>`; a CNP's subject gets
`k8s:io.kubernetes.pod.namespace=<ns>`; a peer selector without a namespace key gets the policy's
namespace (CNP) or `k8s:io.kubernetes.pod.namespace Exists` (CCNP), and the local cluster label; the
policy's labels (derived-from, name, namespace, uid) come last. Kubernetes NetworkPolicies and
`toServices` peers, which the agent rewrites further, are not rendered: the output says so.
The revision counts the changes of the policy set this simulated agent has seen.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

from labs.commands.result import SIM_NOTE, CommandResult
from labs.policy.model import CiliumPolicy, LabelSelector, PeerRule, PortRule, Rule

__all__ = ["policy_get", "rule_json"]

NS_KEY = "k8s:io.kubernetes.pod.namespace"
CLUSTER_KEY = "k8s:io.cilium.k8s.policy.cluster"
_NS_KEYS = (NS_KEY, "any:io.kubernetes.pod.namespace")
_NS_LABEL_PREFIXES = ("k8s:io.cilium.k8s.namespace.labels.", "any:io.cilium.k8s.namespace.labels.")
_CLUSTER_KEYS = (CLUSTER_KEY, "any:io.cilium.k8s.policy.cluster")
_REVISIONS: weakref.WeakKeyDictionary[Any, tuple[int, Any]] = weakref.WeakKeyDictionary()


class Unrendered(ValueError):
    """A rule part the simulated agent does not render."""


def _key(key: str) -> str:
    """`EndpointSelector.Sanitize`: a key without a source prefix gets `any:`."""
    return key if ":" in key else f"any:{key}"


def _selector(sel: LabelSelector | None, *, add: dict[str, str] | None = None,
              add_exists: str | None = None) -> dict[str, Any]:
    labels = {_key(k): v for k, v in (sel.match_labels if sel else ())}
    labels.update(add or {})
    expressions = [{"key": _key(r.key), "operator": r.operator, **({"values": list(r.values)} if r.values else {})}
                   for r in (sel.match_expressions if sel else ())]
    if add_exists:
        expressions.append({"key": add_exists, "operator": "Exists"})
    out: dict[str, Any] = {}
    if labels:
        out["matchLabels"] = dict(sorted(labels.items()))
    if expressions:
        out["matchExpressions"] = expressions
    return out


def _peer_selector(sel: LabelSelector, namespace: str | None) -> dict[str, Any]:
    keys = {_key(k) for k, _ in sel.match_labels} | {_key(r.key) for r in sel.match_expressions}
    if any(k.startswith("reserved:") for k in keys):
        return _selector(sel)
    add: dict[str, str] = {}
    exists = None
    if not keys & set(_NS_KEYS):
        if namespace is not None:
            if not any(k.startswith(_NS_LABEL_PREFIXES) for k in keys):
                add[NS_KEY] = namespace
        else:
            exists = NS_KEY
    if not keys & set(_CLUSTER_KEYS):
        add[CLUSTER_KEY] = "default"
    return _selector(sel, add=add, add_exists=exists)


def _ports(rules: tuple[PortRule, ...]) -> list[dict[str, Any]]:
    found = []
    for rule in rules:
        item: dict[str, Any] = {}
        if rule.ports:
            item["ports"] = [{**({"port": p.port} if p.port else {}), **({"endPort": p.end_port} if p.end_port else {}),
                              "protocol": p.protocol} for p in rule.ports]
        if rule.server_names:
            item["serverNames"] = list(rule.server_names)
        if rule.rules is not None:
            l7: dict[str, Any] = {}
            if rule.rules.http is not None:
                l7["http"] = [{k: v for k, v in (("method", h.method), ("path", h.path), ("host", h.host),
                                                  ("headers", list(h.headers) or None)) if v}
                              for h in rule.rules.http]
                if any(h.header_matches for h in rule.rules.http):
                    raise Unrendered("HTTP headerMatches")
            if rule.rules.dns is not None:
                l7["dns"] = [{k: v for k, v in (("matchName", d.match_name), ("matchPattern", d.match_pattern)) if v}
                             for d in rule.rules.dns]
            if rule.rules.kafka is not None:  # the JSON names of cilium/proxy pkg/policy/api/kafka PortRule
                fields = (("role", "role"), ("apiKey", "api_key"), ("apiVersion", "api_version"),
                          ("clientID", "client_id"), ("topic", "topic"))
                l7["kafka"] = [{key: getattr(r, attr) for key, attr in fields if getattr(r, attr)}
                               for r in rule.rules.kafka]
            item["rules"] = l7
        found.append(item)
    return found


def _peer_rule(peer: PeerRule, direction: str, namespace: str | None) -> dict[str, Any]:
    side = "from" if direction.startswith("ingress") else "to"
    out: dict[str, Any] = {}
    if peer.endpoints is not None:
        out[f"{side}Endpoints"] = [_peer_selector(s, namespace) for s in peer.endpoints]
    if peer.cidr is not None:
        out[f"{side}CIDR"] = list(peer.cidr)
    if peer.cidr_set is not None:
        out[f"{side}CIDRSet"] = [{"cidr": c.cidr, **({"except": list(c.except_)} if c.except_ else {})}
                                 for c in peer.cidr_set]
    if peer.entities is not None:
        out[f"{side}Entities"] = list(peer.entities)
    if peer.services is not None:
        raise Unrendered("toServices")
    if peer.nodes is not None:
        out[f"{side}Nodes"] = [_selector(s) for s in peer.nodes]
    if peer.to_ports is not None:
        out["toPorts"] = _ports(peer.to_ports)
    if peer.fqdns is not None:
        out["toFQDNs"] = [{k: v for k, v in (("matchName", f.match_name), ("matchPattern", f.match_pattern)) if v}
                          for f in peer.fqdns]
    if peer.icmps is not None:
        out["icmps"] = [{"fields": [{"type": i.type, "family": i.family} for i in peer.icmps]}]
    return out


def rule_json(policy: CiliumPolicy, rule: Rule) -> dict[str, Any]:
    """One rule as the agent's repository holds it (api.Rule field order)."""
    out: dict[str, Any] = {}
    ns = policy.namespace
    if rule.endpoint_selector is not None:
        out["endpointSelector"] = _selector(rule.endpoint_selector, add={NS_KEY: ns} if ns else None)
    if rule.node_selector is not None:
        out["nodeSelector"] = _selector(rule.node_selector)
    for name, section in (("ingress", rule.ingress), ("ingressDeny", rule.ingress_deny),
                          ("egress", rule.egress), ("egressDeny", rule.egress_deny)):
        if section:
            out[name] = [_peer_rule(p, name, ns) for p in section]
    labels = [("io.cilium.k8s.policy.derived-from", policy.kind), ("io.cilium.k8s.policy.name", policy.name)]
    if ns:
        labels.append(("io.cilium.k8s.policy.namespace", ns))
    labels.append(("io.cilium.k8s.policy.uid", "00000000-0000-0000-0000-000000000000"))
    out["labels"] = [{"key": k, "value": v, "source": "k8s"} for k, v in labels]
    deny = {k: v for k, v in (("ingress", rule.enable_default_deny_ingress),
                              ("egress", rule.enable_default_deny_egress)) if v is not None}
    if deny:
        out["enableDefaultDeny"] = deny
    if rule.description:
        out["description"] = rule.description
    return out


def _go_json(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _revision(cluster: Any, policies: list[Any]) -> int:
    key = tuple(repr(p) for p in policies)
    number, seen = _REVISIONS.get(cluster, (1, ()))
    if key != seen:
        number = number + 1 if seen != () or policies else number
        _REVISIONS[cluster] = (number, key)
    return number


def policy_get(cluster: Any, argv: list[str]) -> CommandResult:
    if argv:
        return CommandResult(stderr=f"Error: policy get with labels: not available here\n"
                                    f"{SIM_NOTE} (cilium-dbg policy get {' '.join(argv)}).\n", exit_code=1)
    policies = cluster.policies()
    rules: list[dict[str, Any]] = []
    skipped: list[str] = []
    for policy in policies:
        if not isinstance(policy, CiliumPolicy):
            skipped.append(f"{policy.kind} {getattr(policy, 'ref', policy.name)}")
            continue
        if policy.refused_by_agent:  # the agent never imported it into its repository
            continue
        try:
            rules.extend(rule_json(policy, rule) for rule in policy.rules)
        except Unrendered as exc:
            skipped.append(f"{policy.kind} {policy.ref} ({exc})")
    text = _go_json(rules) if rules else "null"
    note = ""
    if skipped:
        note = f"{SIM_NOTE} (policy get does not render: {'; '.join(skipped)}).\n"
    return CommandResult(stdout=f"{text}\nRevision: {_revision(cluster, policies)}\n", stderr=note)
