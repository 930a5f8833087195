"""CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy documents -> `labs.policy.model.CiliumPolicy`.

A strict typed parser: unknown fields are rejected (the API server would silently prune them, so a
typo such as `toPort` would quietly allow everything), every type is checked, and the agent's own
rules (`pkg/policy/api/rule_validation.go`, `cnp_types.go`) are enforced so that a policy the
course accepts is one Cilium accepts.
"""

from __future__ import annotations

from typing import Any

from labs.manifests.cilium_ports import parse_fqdn_fields, parse_icmps, parse_to_ports
from labs.manifests.errors import shown
from labs.manifests.fields import Field
from labs.manifests.meta import parse_metadata
from labs.manifests.selectors import parse_selector
from labs.manifests.values import cidr_or_ip, parse_cidr
from labs.manifests.yaml_lines import format_path
from labs.policy.model import (
    ENTITIES,
    SECTIONS,
    CIDRRule,
    CiliumPolicy,
    FQDNSelector,
    LabelSelector,
    PeerRule,
    Rule,
    Section,
    ServiceSelector,
)

__all__ = ["parse_cilium_policy", "CILIUM_KINDS", "CILIUM_GROUP_KINDS", "cilium_kind_problem"]

CILIUM_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")

CILIUM_GROUP_KINDS: dict[str, tuple[str, ...]] = {
    "v2": ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "CiliumEndpoint", "CiliumNode", "CiliumIdentity",
           "CiliumLocalRedirectPolicy", "CiliumEgressGatewayPolicy", "CiliumEnvoyConfig",
           "CiliumClusterwideEnvoyConfig", "CiliumCIDRGroup", "CiliumLoadBalancerIPPool", "CiliumNodeConfig",
           "CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement", "CiliumBGPNodeConfig",
           "CiliumBGPNodeConfigOverride", "CiliumPodIPPool"),
    "v2alpha1": ("CiliumEndpointSlice", "CiliumL2AnnouncementPolicy", "CiliumPodIPPool", "CiliumGatewayClassConfig",
                 "CiliumBGPPeeringPolicy", "CiliumCIDRGroup", "CiliumLoadBalancerIPPool", "CiliumNodeConfig",
                 "CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement", "CiliumBGPNodeConfig",
                 "CiliumBGPNodeConfigOverride"),
}
"""Kinds of the cilium.io group by version: the CRDs Cilium installs (`pkg/k8s/apis/cilium.io/client/crds/`).
Generous on purpose (kinds of neighbouring releases included): the point is catching misspelt kinds,
which the API server answers with "no matches for kind"."""


def cilium_kind_problem(kind: str, api_version: str) -> str | None:
    """The sentence for a kind the cilium.io group does not serve, or None."""
    import difflib

    version = api_version.partition("/")[2]
    served = CILIUM_GROUP_KINDS.get(version)
    base = kind.removesuffix("List")
    if served is not None and base in served:
        return None
    every = sorted({k for kinds in CILIUM_GROUP_KINDS.values() for k in kinds})
    if base in every:
        where = [v for v, kinds in CILIUM_GROUP_KINDS.items() if base in kinds]
        return f"apiVersion {api_version!r} does not serve {kind}; use apiVersion: cilium.io/{where[0]}."
    close = difflib.get_close_matches(kind, every, n=1, cutoff=0.8)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (f"Unknown kind {shown(kind)} in the cilium.io group: the API server answers \"no matches for kind\" "
            f"(Cilium's kinds include {', '.join(CILIUM_KINDS)}).{hint}")

_PEERS_IN = ("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes", "fromGroups")
_PEERS_OUT = ("toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toFQDNs", "toNodes", "toGroups")
_RULE_FIELDS = ("endpointSelector", "nodeSelector", *SECTIONS, "labels", "enableDefaultDeny", "description", "log")


def _section_fields(section: str) -> tuple[str, ...]:
    ingress, deny = section.startswith("ingress"), section.endswith("Deny")
    peers = _PEERS_IN if ingress else tuple(p for p in _PEERS_OUT if not (deny and p == "toFQDNs"))
    extra = ("fromRequires",) if ingress else ("toRequires",)
    return (*peers, *extra, "toPorts", "icmps", *(() if deny else ("authentication",)))


def _section_hints(section: str) -> dict[str, str]:
    ingress = section.startswith("ingress")
    wrong = _PEERS_OUT if ingress else _PEERS_IN
    hints = {p: f"{p!r} belongs in {'egress' if ingress else 'ingress'}; {section} peers are "
                f"{', '.join(_PEERS_IN if ingress else _PEERS_OUT)}." for p in wrong}
    if section == "egressDeny":
        hints["toFQDNs"] = "toFQDNs is allowed only in egress (allow) rules, not in egressDeny."
    if section.endswith("Deny"):
        hints["authentication"] = "Deny rules cannot require authentication."
    return hints


def _selector_list(node: Field) -> tuple[LabelSelector, ...] | None:
    items = node.items()
    if items is None:
        return None
    parsed = [parse_selector(item, cilium=True) for item in items]
    return tuple(s for s in parsed if s is not None) if None not in parsed else None


def _cidr_list(node: Field) -> tuple[str, ...] | None:
    result: list[str] = []
    for item in node.items() or ():
        value = item.string(allow_empty=False)
        problem = cidr_or_ip(value) if value is not None else None
        if problem:
            item.problem(problem)
        if value is not None and not problem:
            result.append(value)
    return tuple(result) if isinstance(node.value, list) and len(result) == len(node.value) else None


def _cidr_set(node: Field) -> tuple[CIDRRule, ...] | None:
    result: list[CIDRRule] = []
    items = node.items()
    for item in items or ():
        fields = item.mapping(("cidr", "except", "cidrGroupRef", "cidrGroupSelector"), what="a CIDRSet entry")
        if fields is None:
            continue
        chosen = [k for k in ("cidr", "cidrGroupRef", "cidrGroupSelector") if k in fields]
        if len(chosen) != 1:
            item.problem("A CIDRSet entry needs exactly one of 'cidr', 'cidrGroupRef' or 'cidrGroupSelector'.")
            continue
        if chosen[0] != "cidr":
            fields[chosen[0]].problem("CiliumCIDRGroup references are not supported by the course; "
                                      "write the CIDR itself with 'cidr' (and 'except').")
            continue
        text = fields["cidr"].string(allow_empty=False)
        network = parse_cidr(text) if text is not None else None
        if text is not None and network is None:
            fields["cidr"].problem(f"{text!r} is not a CIDR; expected an address with prefix length such as "
                                   "'10.0.0.0/8'.")
            continue
        excepts: list[str] = []
        bad = False
        for entry in (fields["except"].items() or ()) if "except" in fields else ():
            value = entry.string(allow_empty=False)
            inner = parse_cidr(value) if value is not None else None
            if value is not None and inner is None:
                entry.problem(f"{value!r} is not a CIDR; expected an address with prefix length such as '10.1.0.0/16'.")
            elif inner is not None and network is not None and (
                    inner.version != network.version or inner.network_address not in network):
                entry.refused_by_agent(  # rule_validation.go:742 (CIDRRule.sanitize)
                    f"The exception {value!r} is not inside the CIDR {text!r}; every 'except' entry must be a part of "
                    "its 'cidr'.", f"allow CIDR prefix {text} does not contain exclude CIDR prefix {value}")
            elif value is not None:
                excepts.append(value)
                continue
            bad = True
        if text is not None and network is not None and not bad:
            result.append(CIDRRule(cidr=text, except_=tuple(excepts)))
    return tuple(result) if items is not None and len(result) == len(items) else None


def _services(node: Field) -> tuple[ServiceSelector, ...] | None:
    result: list[ServiceSelector] = []
    items = node.items()
    for item in items or ():
        fields = item.mapping(("k8sService", "k8sServiceSelector"), what="a toServices entry")
        if fields is None:
            continue
        if len(fields) != 1:
            item.problem("A toServices entry needs exactly one of 'k8sService' or 'k8sServiceSelector'.")
            continue
        if "k8sService" in fields:
            svc = fields["k8sService"].mapping(("serviceName", "namespace"), what="k8sService")
            if svc is None:
                continue
            if "serviceName" not in svc:
                fields["k8sService"].problem("k8sService needs a 'serviceName'.")
                continue
            name = svc["serviceName"].string(allow_empty=False)
            namespace = svc["namespace"].string() if "namespace" in svc else None
            if name is not None:
                result.append(ServiceSelector(name=name, namespace=namespace or None))
        else:
            svc = fields["k8sServiceSelector"].mapping(("selector", "namespace"), what="k8sServiceSelector")
            if svc is None:
                continue
            if "selector" not in svc:
                fields["k8sServiceSelector"].problem("k8sServiceSelector needs a 'selector'.")
                continue
            selector = parse_selector(svc["selector"], cilium=True)
            namespace = svc["namespace"].string() if "namespace" in svc else None
            if selector is not None:
                result.append(ServiceSelector(namespace=namespace or None, selector=selector))
    return tuple(result) if items is not None and len(result) == len(items) else None


def _entities(node: Field) -> tuple[str, ...] | None:
    result: list[str] = []
    for item in node.items() or ():
        value = item.string()
        if value is None:
            continue
        if value in ENTITIES:
            result.append(value)
        elif value in ("world-ipv4", "world-ipv6"):
            item.problem(f"The entity {value!r} is not accepted in policies (the CRD only allows "
                         f"{', '.join(ENTITIES)}); use 'world', or toCIDR 0.0.0.0/0 or ::/0.")
        else:
            item.problem(f"Unknown entity {value!r}; expected one of {', '.join(ENTITIES)}.")
    return tuple(result) if isinstance(node.value, list) and len(result) == len(node.value) else None


def _fqdns(node: Field) -> tuple[FQDNSelector, ...] | None:
    result: list[FQDNSelector] = []
    items = node.items()
    for item in items or ():
        parsed = parse_fqdn_fields(item, "a toFQDNs entry")
        if parsed is not None:
            result.append(FQDNSelector(match_name=parsed[0], match_pattern=parsed[1]))
    return tuple(result) if items is not None and len(result) == len(items) else None


def _parse_peer_rule(node: Field, section: Section, index: int) -> PeerRule | None:
    fields = node.mapping(_section_fields(section), what=f"an {section} rule" if section[0] in "ie" else section,
                          hints=_section_hints(section))
    if fields is None:
        return None
    count = len(node.ctx.problems)
    peers = [k for k in fields if k in _PEERS_IN + _PEERS_OUT and isinstance(fields[k].value, list)
             and fields[k].value]
    if len(peers) > 1:
        fields[peers[1]].refused_by_agent(  # rule_validation.go:215 / :418 (Go names; Go's map order varies)
            f"Combining {peers[0]} and {peers[1]} in one rule item is not supported by Cilium; write them as two "
            "separate items of the list.",
            f"combining {peers[0][0].upper() + peers[0][1:]} and {peers[1][0].upper() + peers[1][1:]} is not "
            "supported yet")
    for key in ("fromRequires", "toRequires"):
        if key in fields and fields[key].value not in (None, []):
            fields[key].problem(f"{key} was removed in Cilium 1.19; select the required labels in the peer "
                                "selector itself (or use a deny rule).")
    if "icmps" in fields and "toPorts" in fields and fields["icmps"].value and fields["toPorts"].value:
        fields["icmps"].refused_by_agent(  # rule_validation.go:27 errUnsupportedICMPWithToPorts
            "icmps and toPorts cannot be in the same rule item; write a separate item for each.",
            "the ICMPs block may only be present without ToPorts. Define a separate rule to use ToPorts")
    if "toServices" in fields and "toPorts" in fields and fields["toServices"].value and fields["toPorts"].value:
        fields["toPorts"].refused_by_agent(  # rule_validation.go:310
            "Cilium does not support toPorts together with toServices; use toEndpoints with the Service's pod "
            "labels to restrict ports.", "combining ToServices and ToPorts is not supported yet")
    if "authentication" in fields:
        auth = fields["authentication"].mapping(("mode",), what="authentication")
        if auth is not None:
            mode = auth["mode"].string() if "mode" in auth else None
            if mode not in ("disabled", "required", "test-always-fail"):
                (auth.get("mode") or fields["authentication"]).problem(
                    f"authentication.mode must be 'disabled', 'required' or 'test-always-fail', found {mode!r}.")
    if "fromGroups" in fields or "toGroups" in fields:
        key = "fromGroups" if "fromGroups" in fields else "toGroups"
        fields[key].problem(f"{key} (cloud provider groups) is not supported by the course's simulated cluster.")
    ingress, deny = section.startswith("ingress"), section.endswith("Deny")
    values: dict[str, Any] = {
        "endpoints": _selector_list(fields[k]) if (k := "fromEndpoints" if ingress else "toEndpoints") in fields
        else None,
        "nodes": _selector_list(fields[k]) if (k := "fromNodes" if ingress else "toNodes") in fields else None,
        "entities": _entities(fields[k]) if (k := "fromEntities" if ingress else "toEntities") in fields else None,
        "cidr": _cidr_list(fields[k]) if (k := "fromCIDR" if ingress else "toCIDR") in fields else None,
        "cidr_set": _cidr_set(fields[k]) if (k := "fromCIDRSet" if ingress else "toCIDRSet") in fields else None,
        "services": _services(fields["toServices"]) if "toServices" in fields else None,
        "fqdns": _fqdns(fields["toFQDNs"]) if "toFQDNs" in fields else None,
        "to_ports": parse_to_ports(fields["toPorts"], ingress=ingress, deny=deny) if "toPorts" in fields else None,
        "icmps": parse_icmps(fields["icmps"]) if "icmps" in fields else None,
    }
    if len(node.ctx.problems) != count:
        return None
    return PeerRule(section=section, index=index, path=node.where, line=node.line, **values)


def _parse_rule(node: Field, *, clusterwide: bool) -> Rule | None:
    fields = node.mapping(_RULE_FIELDS, what="a policy rule")
    if fields is None:
        return None
    count = len(node.ctx.problems)
    subject = [k for k in ("endpointSelector", "nodeSelector") if k in fields]
    if not subject:
        node.problem("A rule needs an endpointSelector (the pods it applies to; {} selects every pod"
                     + (" of the cluster" if clusterwide else " of the namespace") + ")"
                     + (" or a nodeSelector (the nodes, for host policies)." if clusterwide else "."))
    elif len(subject) == 2:
        fields["nodeSelector"].problem("A rule has either an endpointSelector or a nodeSelector, not both.")
    if "nodeSelector" in fields and not clusterwide:
        fields["nodeSelector"].refused_by_agent(  # cnp_types.go:198-199: the agent's Parse, not Sanitize
            "nodeSelector (host policy) is only allowed in a CiliumClusterwideNetworkPolicy; use endpointSelector "
            "here.", "Invalid CiliumNetworkPolicy spec: rule cannot have NodeSelector", stage="parse")
    selectors = {k: parse_selector(fields[k], cilium=True) for k in subject}
    sections: dict[str, tuple[PeerRule, ...] | None] = {}
    for section in SECTIONS:
        if section not in fields:
            sections[section] = None
            continue
        items = fields[section].items()
        parsed = [_parse_peer_rule(item, section, i) for i, item in enumerate(items or ())]
        sections[section] = tuple(p for p in parsed if p is not None) if items is not None else None
    written = [s for s in SECTIONS if s in fields]
    if not any(isinstance(fields[s].value, list) and fields[s].value for s in SECTIONS if s in fields) and not (
            written and node.ctx.api_server_only):  # the CRD accepts an empty section; the operator marks it
        node.problem("A rule needs at least one of ingress, ingressDeny, egress or egressDeny with at least one "
                     "item" + (f"; {' and '.join(written)} is empty, which Cilium rejects (write "
                               f"{written[0]}: [{{}}] to deny all {written[0].removesuffix('Deny')} traffic)."
                               if written else "."))
    deny_flags: dict[str, bool | None] = {"ingress": None, "egress": None}
    if "enableDefaultDeny" in fields:
        flags = fields["enableDefaultDeny"].mapping(("ingress", "egress"), what="enableDefaultDeny")
        for key, child in (flags or {}).items():
            deny_flags[key] = child.boolean()
    description = fields["description"].string() if "description" in fields else None
    log = None
    if "log" in fields:
        log_fields = fields["log"].mapping(("value",), what="log")
        if log_fields and "value" in log_fields:
            log = log_fields["value"].string()
            if log is not None and (len(log) > 32 or not log.isprintable()):
                log_fields["value"].problem(f"log.value {log!r} must be at most 32 printable characters.")
    if "labels" in fields:
        for item in fields["labels"].items() or ():
            entry = item.mapping(("key", "value", "source"), what="a rule label")
            if entry is not None and "key" not in entry:
                item.problem("A rule label needs a 'key'.")
            for child in (entry or {}).values():
                child.string()
    if len(node.ctx.problems) != count:
        return None
    return Rule(endpoint_selector=selectors.get("endpointSelector"), node_selector=selectors.get("nodeSelector"),
                ingress=sections["ingress"], ingress_deny=sections["ingressDeny"], egress=sections["egress"],
                egress_deny=sections["egressDeny"], enable_default_deny_ingress=deny_flags["ingress"],
                enable_default_deny_egress=deny_flags["egress"], description=description, log=log,
                path=node.where, line=node.line)


def parse_cilium_policy(doc: Field, *, default_namespace: str) -> CiliumPolicy | None:
    """A whole CNP/CCNP document (apiVersion and kind already checked by the caller)."""
    kind = doc.value["kind"]
    clusterwide = kind == "CiliumClusterwideNetworkPolicy"
    fields = doc.mapping(("apiVersion", "kind", "metadata", "spec", "specs", "status"), what=kind)
    if fields is None:
        return None
    count = len(doc.ctx.problems)
    meta = parse_metadata(fields.get("metadata"), doc, namespaced=not clusterwide,
                          default_namespace=default_namespace)
    rules: list[Rule] = []
    if "spec" not in fields and fields.get("specs") is not None and fields["specs"].value == []:
        fields["specs"].problem(f"'specs' is empty; a {kind} needs at least one rule in 'spec' or 'specs'.")
    if "spec" not in fields and "specs" not in fields:
        doc.refused_by_agent(f"A {kind} needs a 'spec' (one rule) or 'specs' (a list of rules).",
                             "empty policy", stage="parse")  # cnp_types.go:191 ErrEmptyCNP
    if "spec" in fields:
        rule = _parse_rule(fields["spec"], clusterwide=clusterwide)
        if rule is not None:
            rules.append(rule)
    if "specs" in fields:
        for item in fields["specs"].items() or ():
            rule = _parse_rule(item, clusterwide=clusterwide)
            if rule is not None:
                rules.append(rule)
    if meta is None or len(doc.ctx.problems) != count:
        return None
    first_per_rule: dict[str, str] = {}  # Sanitize stops at a rule's first error
    for path, error, stage in doc.ctx.agent_refusals:
        if stage == "sanitize":
            first_per_rule.setdefault(format_path(path[:2] if path[:1] == ("specs",) else path[:1]), error)
    return CiliumPolicy(kind=kind, name=meta.name, namespace=None if clusterwide else meta.namespace,
                        rules=tuple(rules), labels=tuple(sorted(meta.labels.items())), source=meta.source,
                        sanitize_errors=tuple(first_per_rule.items()),
                        parse_errors=tuple(e for _p, e, stage in doc.ctx.agent_refusals if stage == "parse"))
