"""API shape mistakes copied from old blog posts: wrong apiVersion, `protocol: ICMP`, removed fields.

These checks read the raw documents, because the manifest loader rejects such documents: lint still
says what to write instead (the exit code is then 2, invalid input; see docs/lint.md).
"""

from __future__ import annotations

from typing import Any, Iterator

from labs.lint.checks._yaml import snippet
from labs.lint.checks.sections import cilium_rules_raw
from labs.lint.context import LintContext
from labs.lint.finding import Finding
from labs.lint.registry import check
from labs.lint.source import RawDoc

__all__ = ["wrong_api_version", "icmp_as_protocol", "removed_requires", "world_ip_family_entity",
           "l7_rules_outside_to_ports", "end_port_below_port", "kafka_rules"]

_API_VERSIONS = {"CiliumNetworkPolicy": "cilium.io/v2", "CiliumClusterwideNetworkPolicy": "cilium.io/v2",
                 "NetworkPolicy": "networking.k8s.io/v1"}
_SECTIONS = ("ingress", "ingressDeny", "egress", "egressDeny")

_Item = tuple[RawDoc, tuple[str | int, ...], dict[str, Any]]


def _items(ctx: LintContext) -> Iterator[_Item]:
    """Every dict item of every section of every Cilium rule, with its path."""
    for doc, path, rule in cilium_rules_raw(ctx):
        for section in _SECTIONS:
            items = rule.get(section)
            if isinstance(items, list):
                for index, item in enumerate(items):
                    if isinstance(item, dict):
                        yield doc, (*path, section, index), item


@check("CL501", "error", "A policy's apiVersion is not `cilium.io/v2` (or `networking.k8s.io/v1`)",
       "pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml; cilium-semantics §1")
def wrong_api_version(ctx: LintContext) -> Iterator[Finding]:
    for doc in ctx.manifests_of_kind(*_API_VERSIONS):
        kind = doc.data["kind"]
        wanted = _API_VERSIONS[kind]
        written = doc.data.get("apiVersion")
        if written == wanted:
            continue
        hint = " (the version part '/v2' is missing)" if written == "cilium.io" else ""
        yield ctx.finding(
            "CL501",
            f"apiVersion {written!r} is not served for kind {kind!r}{hint}; the API server only knows "
            f"{wanted!r} and rejects the document.",
            doc=doc, path=("apiVersion",), fix=f"apiVersion: {wanted}\nkind: {kind}")


@check("CL502", "error", "`protocol: ICMP` in toPorts (ICMP needs `icmps`)",
       "Documentation/security/policy/language.rst (ICMP/ICMPv6); pkg/policy/api/l4.go; cilium-semantics §4")
def icmp_as_protocol(ctx: LintContext) -> Iterator[Finding]:
    for doc, path, item in _items(ctx):
        for i, port_rule in enumerate(item.get("toPorts") or []):
            if not isinstance(port_rule, dict):
                continue
            for j, port in enumerate(port_rule.get("ports") or []):
                protocol = port.get("protocol") if isinstance(port, dict) else None
                if not isinstance(protocol, str) or not protocol.upper().startswith("ICMP"):
                    continue
                family = "IPv6" if protocol.upper() == "ICMPV6" else "IPv4"
                echo = 128 if family == "IPv6" else 8
                yield ctx.finding(
                    "CL502",
                    f"protocol {protocol!r} is not a toPorts protocol (TCP, UDP, SCTP or ANY); Cilium selects ICMP "
                    f"with an 'icmps' list in the rule item, beside the peers, not inside toPorts.",
                    doc=doc, path=(*path, "toPorts", i, "ports", j, "protocol"),
                    fix=snippet({"icmps": [{"fields": [{"type": echo, "family": family}]}]})
                    + f"\n# type {echo} is echo request (ping); 'icmps' and 'toPorts' need separate items")


@check("CL503", "error", "`fromRequires` / `toRequires` (removed in Cilium 1.19)",
       "Documentation/security/policy/layer3.rst (\"removed as of Cilium 1.19\"); cilium-semantics §1")
def removed_requires(ctx: LintContext) -> Iterator[Finding]:
    for doc, path, item in _items(ctx):
        for field in ("fromRequires", "toRequires"):
            if not item.get(field):
                continue
            peer_field = "fromEndpoints" if field == "fromRequires" else "toEndpoints"
            yield ctx.finding(
                "CL503",
                f"{field!r} was removed in Cilium 1.19 and the API server rejects any entry in it; put the "
                f"required labels into every {peer_field} selector instead (labels in one selector are ANDed).",
                doc=doc, path=(*path, field),
                fix=snippet({peer_field: [{"matchLabels": {"app": "client", "env": "prod"}}]})
                + "\n# every selector carries the labels fromRequires used to add")


@check("CL504", "error", "Entity `world-ipv4` / `world-ipv6` in a policy (not accepted by the CRD)",
       "pkg/policy/api/entity.go (CRD enum); cilium-semantics §3.3")
def world_ip_family_entity(ctx: LintContext) -> Iterator[Finding]:
    for doc, path, item in _items(ctx):
        for field in ("fromEntities", "toEntities"):
            for i, entity in enumerate(item.get(field) or []):
                if entity in ("world-ipv4", "world-ipv6"):
                    yield ctx.finding(
                        "CL504",
                        f"Entity {entity!r} exists inside Cilium but is not accepted in a policy; the API server "
                        f"rejects it. Use 'world', or a CIDR rule for one address family.",
                        doc=doc, path=(*path, field, i),
                        fix=snippet({field: ["world"]}) + "\n# or, for IPv4 only:\n"
                        + snippet({"toCIDR" if field == "toEntities" else "fromCIDR": ["0.0.0.0/0"]}))


@check("CL505", "error", "L7 rules (`rules`, `l7Rules`, `http`) written directly on a peer item",
       "Documentation/security/policy/language.rst (Layer 7 Examples); pkg/policy/api/l4.go; cilium-semantics §4")
def l7_rules_outside_to_ports(ctx: LintContext) -> Iterator[Finding]:
    for doc, path, item in _items(ctx):
        for field in ("rules", "l7Rules", "http", "dns"):
            if field not in item:
                continue
            yield ctx.finding(
                "CL505",
                f"{field!r} is not a field of a rule item; L7 rules belong under 'toPorts[].rules', next to the ports "
                f"they apply to.",
                doc=doc, path=(*path, field),
                fix='toPorts:\n- ports:\n  - port: "80"\n    protocol: TCP\n  rules:\n    http:\n'
                    '    - method: GET\n      path: "/public"')




@check("CL506", "warning", "`endPort` below its `port` (the range collapses to the single port)",
       "pkg/policy/api/rule_validation.go:643-644 (only DNS rules refuse ranges); pkg/policy/portrange.go:42-44 "
       "(PortRangeToMaskedPorts: end <= start is one port) in v1.19.5")
def end_port_below_port(ctx: LintContext) -> Iterator[Finding]:
    for doc, path, item in _items(ctx):
        for i, port_rule in enumerate(item.get("toPorts") or []):
            ports = port_rule.get("ports") if isinstance(port_rule, dict) else None
            for j, port in enumerate(ports if isinstance(ports, list) else []):
                if not isinstance(port, dict):
                    continue
                start, end = str(port.get("port", "")), port.get("endPort")
                if not start.isdigit() or not int(start) or isinstance(end, bool) or not isinstance(end, int) \
                        or not 0 < end < int(start):
                    continue
                yield ctx.finding(
                    "CL506",
                    f"endPort {end} is below port {start}: Cilium accepts it but opens only port {start}, not the "
                    f"ports {end}-{start}. Write the lower number in 'port'.",
                    doc=doc, path=(*path, "toPorts", i, "ports", j, "endPort"),
                    fix=snippet({"ports": [{"port": str(end), "endPort": int(start),
                                            "protocol": port.get("protocol", "TCP")}]}))


@check("CL507", "warning", "Kafka rules (`rules.kafka`): deprecated in Cilium 1.19, removed in 1.20",
       "Documentation/operations/upgrade.rst (1.19 notes: Kafka deprecated, removed in v1.20); "
       "pkg/envoy/xds_server.go:1452-1460 (Kafka through Envoy's Go parser); cilium/proxy proxylib/kafka/parser.go")
def kafka_rules(ctx: LintContext) -> Iterator[Finding]:
    for doc, path, item in _items(ctx):
        for i, port_rule in enumerate(item.get("toPorts") or []):
            rules = port_rule.get("rules") if isinstance(port_rule, dict) else None
            if not isinstance(rules, dict) or "kafka" not in rules:
                continue
            yield ctx.finding(
                "CL507",
                "Kafka rules work in Cilium 1.19 but are deprecated and gone in 1.20. On these ports Envoy's Kafka "
                "parser reads every request: Kafka requests the rules allow pass, others get a Kafka authorization "
                "error, and anything that is not Kafka (curl, an HTTP health check) gets no answer and times out.",
                doc=doc, path=(*path, "toPorts", i, "rules", "kafka"),
                fix="# keep the L3/L4 part and drop the Kafka rules before upgrading to Cilium 1.20:\n"
                    + snippet({"toPorts": [{"ports": port_rule.get("ports") or [{"port": "9092",
                                                                                 "protocol": "TCP"}]}]}))
