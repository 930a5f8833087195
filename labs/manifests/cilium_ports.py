"""The L4 and L7 parts of a Cilium rule item: `toPorts` (ports, HTTP and DNS rules) and `icmps`.

Enforces the CRD schema and the agent's checks (`pkg/policy/api/rule_validation.go`): ports are
strings ("80", not 80), at most 40 per PortRule, protocol from the CRD enum (ICMP is not one: use
icmps), L7 only on TCP and never with port 0, DNS rules egress-only, need ports and no ranges, deny
sections take ports only. An endPort below its port is accepted, as the agent accepts it: only DNS rules
refuse ranges (`rule_validation.go:643-644`), and the datapath then opens the single port
(`pkg/policy/portrange.go:42-44`, `PortRangeToMaskedPorts`). Kafka rules: `labs.manifests.cilium_kafka`.
"""

from __future__ import annotations

import re

from labs.manifests.cilium_kafka import parse_kafka_rule
from labs.manifests.errors import shown
from labs.manifests.fields import Field
from labs.manifests.values import ICMP_TYPE_NAMES, go_regex, port_string
from labs.policy.model import DNSRule, HeaderMatch, HTTPRule, ICMPField, L7Rules, PortProtocol, PortRule

__all__ = ["parse_to_ports", "parse_icmps", "PROTOCOLS", "MAX_PORTS"]

PROTOCOLS = ("TCP", "UDP", "SCTP", "VRRP", "IGMP", "ANY")
"""The CRD enum of the pinned Cilium (v1.19)."""
MAX_PORTS = 40
# The CRD's patterns, written without nested repetition so that matching stays linear
# (`^([-a-zA-Z0-9_]+[.]?)+$` backtracks exponentially on a long name ending in a bad character).
_FQDN_NAME = re.compile(r"[-a-zA-Z0-9_]+(?:\.[-a-zA-Z0-9_]+)*\.?")
_FQDN_PATTERN = re.compile(r"[-a-zA-Z0-9_*]+(?:\.[-a-zA-Z0-9_*]+)*\.?")
_SERVER_NAME = re.compile(r"(?:\*?\*\.)?[-a-zA-Z0-9_]+(?:\.[-a-zA-Z0-9_]+)*\.?")


def parse_fqdn_fields(node: Field, what: str) -> tuple[str | None, str | None] | None:
    """`{matchName}` or `{matchPattern}` (exactly one), as in toFQDNs and DNS rules."""
    fields = node.mapping(("matchName", "matchPattern"), what=what)
    if fields is None:
        return None
    if len(fields) != 1:
        node.problem(f"{what[0].upper() + what[1:]} needs exactly one of 'matchName' or 'matchPattern'.")
        return None
    key, child = next(iter(fields.items()))
    value = child.string(allow_empty=False)
    if value is None:
        return None
    regex = _FQDN_NAME if key == "matchName" else _FQDN_PATTERN
    allowed = "letters, digits, '-', '_' and '.'" + (" and '*'" if key == "matchPattern" else "")
    if len(value) > 255 or not regex.fullmatch(value):
        hint = " Use matchPattern for names with '*'." if key == "matchName" and "*" in value else ""
        child.problem(f"{value!r} is not a valid {key}: only {allowed} are allowed (at most 255).{hint}")
        return None
    return (value, None) if key == "matchName" else (None, value)


def _parse_port(node: Field, *, dns: bool) -> PortProtocol | None:
    fields = node.mapping(("port", "endPort", "protocol"), what="a ports entry")
    if fields is None:
        return None
    port: str | None = None
    ok = True
    if "port" not in fields:
        node.problem("A ports entry needs a 'port' (use \"0\" for every port of the protocol).")
        ok = False
    else:
        raw = fields["port"].value
        if isinstance(raw, int) and not isinstance(raw, bool):
            fields["port"].problem(f"The port must be a string: write port: \"{raw}\" (in quotes), not {raw}.")
            ok = False
        else:
            port = fields["port"].string(allow_empty=False)
            problem = port_string(port) if port is not None else None
            if problem and port is not None and port.isdigit() and int(port) > 65535:
                # the CRD's pattern lets five digits through; rule_validation.go:640 (ParseUint, 16 bits) refuses
                fields["port"].refused_by_agent(problem, f'unable to parse port: strconv.ParseUint: parsing "{port}": '
                                                "value out of range")
            elif problem:
                fields["port"].problem(problem)
            ok = ok and port is not None and problem is None
    protocol = "ANY"
    if "protocol" in fields:
        value = fields["protocol"].string()
        if value is None:
            ok = False
        elif value.upper() in ("ICMP", "ICMPV6"):
            fields["protocol"].problem(f"{value!r} is not a toPorts protocol; to allow ping use a separate "
                                       "rule item with icmps: [{fields: [{type: EchoRequest, family: IPv4}]}].")
            ok = False
        elif value not in PROTOCOLS:
            hint = f" (protocols are upper case: {value.upper()!r})" if value.upper() in PROTOCOLS else ""
            fields["protocol"].problem(f"Unknown protocol {value!r}{hint}; expected one of {', '.join(PROTOCOLS)}.")
            ok = False
        else:
            protocol = value
    end_port: int | None = None
    if "endPort" in fields:
        end_port = fields["endPort"].integer(low=0, high=65535)
        ok = ok and end_port is not None
        if dns and end_port and port is not None and port.isdigit() and end_port > int(port):
            fields["endPort"].refused_by_agent(  # rule_validation.go:644
                "DNS rules do not support port ranges; list port \"53\" without endPort.",
                "DNS rules do not support port ranges")
            ok = False
    return PortProtocol(port=port, protocol=protocol, end_port=end_port or None) if ok else None


def _regex_field(fields: dict[str, Field], key: str) -> str | None:
    if key not in fields:
        return None
    value = fields[key].string()
    if value:
        problem = go_regex(value)
        if problem and key in ("method", "path"):  # http.go PortRuleHTTP.Sanitize compiles these two only
            reason = problem.split(": ", 1)[-1].split(". It uses", 1)[0].rstrip(".")
            fields[key].refused_by_agent(problem, f"error parsing regexp: {reason}")
        elif problem:
            fields[key].problem(problem)
    return value or None


def _parse_http(node: Field, index: int) -> HTTPRule | None:
    fields = node.mapping(("method", "path", "host", "headers", "headerMatches"), what="an HTTP rule")
    if fields is None:
        return None
    count = len(node.ctx.problems)
    method, path, host = (_regex_field(fields, k) for k in ("method", "path", "host"))
    headers: list[str] = []
    for entry in (fields["headers"].items() or ()) if "headers" in fields else ():
        value = entry.string(allow_empty=False)
        if value is not None:
            headers.append(value)
    matches: list[HeaderMatch] = []
    for entry in (fields["headerMatches"].items() or ()) if "headerMatches" in fields else ():
        match = _parse_header_match(entry)
        if match is not None:
            matches.append(match)
    if len(node.ctx.problems) != count:
        return None
    return HTTPRule(method=method, path=path, host=host, headers=tuple(headers), header_matches=tuple(matches),
                    index=index)


def _parse_header_match(node: Field) -> HeaderMatch | None:
    fields = node.mapping(("name", "value", "secret", "mismatch"), what="a headerMatches entry")
    if fields is None:
        return None
    if "name" not in fields:
        node.problem("A headerMatches entry needs a 'name'.")
        return None
    name = fields["name"].string(allow_empty=False)
    value = fields["value"].string() if "value" in fields else None
    if "secret" in fields:
        secret = fields["secret"].mapping(("name", "namespace"), what="a header secret")
        if secret is not None and "name" not in secret:
            fields["secret"].problem("A header secret needs a 'name'.")
    mismatch = None
    if "mismatch" in fields:
        mismatch = fields["mismatch"].string()
        if mismatch is not None and mismatch not in ("LOG", "ADD", "DELETE", "REPLACE"):
            fields["mismatch"].problem(f"Unknown mismatch action {mismatch!r}; expected LOG, ADD, DELETE or REPLACE.")
    return HeaderMatch(name=name, value=value, mismatch=mismatch) if name else None


_REMOVED_L7 = {
    "l7proto": "Generic L7 parsers (rules.l7proto) are not supported by the course's Cilium version "
               "(removed in 1.20); use HTTP or DNS rules.",
    "l7": "Generic L7 rules (rules.l7) are not supported by the course's Cilium version (removed in 1.20); "
          "use HTTP or DNS rules.",
}


def _parse_rules(node: Field, *, ingress: bool, ports: tuple[PortProtocol, ...], has_ports: bool) -> L7Rules | None:
    fields = node.mapping(("http", "dns", "kafka"), what="L7 rules", hints=_REMOVED_L7)
    if fields is None:
        return None
    if len(fields) > 1:
        node.problem(f"L7 rules hold exactly one of 'http', 'dns' or 'kafka', not {' and '.join(fields)}; "
                     "use two toPorts entries.")
        return None
    if not fields:
        return L7Rules() if len(node.value) == 0 else None
    key, child = next(iter(fields.items()))
    items = child.items()
    if items is None:
        return None
    if key == "http":
        http = [_parse_http(item, i) for i, item in enumerate(items)]
        return L7Rules(http=tuple(r for r in http if r is not None)) if None not in http else None
    if key == "kafka":
        kafka = [parse_kafka_rule(item, i) for i, item in enumerate(items)]
        return L7Rules(kafka=tuple(r for r in kafka if r is not None)) if None not in kafka else None
    if ingress:
        child.refused_by_agent("DNS rules are only allowed in egress (they make the DNS proxy answer for the pod's "
                               "lookups); move this toPorts entry to an egress rule towards kube-dns.",
                               "DNS rules are not allowed on ingress")  # rule_validation.go:547
        return None
    if not has_ports:
        child.refused_by_agent("DNS rules need the DNS port listed: add ports: [{port: \"53\", protocol: ANY}].",
                               "port 53 must be specified for DNS rules")  # rule_validation.go:511
        return None
    dns: list[DNSRule] = []
    for i, item in enumerate(items):
        parsed = parse_fqdn_fields(item, "a DNS rule")
        if parsed is not None:
            dns.append(DNSRule(match_name=parsed[0], match_pattern=parsed[1], index=i))
    return L7Rules(dns=tuple(dns)) if len(dns) == len(items) else None


def _parse_port_rule(node: Field, index: int, *, ingress: bool, deny: bool) -> PortRule | None:
    allowed = ("ports",) if deny else ("ports", "rules", "serverNames", "terminatingTLS", "originatingTLS",
                                        "listener")
    hints = {k: f"Deny rules take ports only; {k!r} is not allowed in ingressDeny/egressDeny toPorts "
                "(L7 rules cannot deny)." for k in ("rules", "serverNames", "terminatingTLS", "originatingTLS",
                                                     "listener")} if deny else None
    fields = node.mapping(allowed, what="a toPorts entry", hints=hints)
    if fields is None:
        return None
    count = len(node.ctx.problems)
    raw_rules = fields["rules"].value if "rules" in fields else None
    dns = isinstance(raw_rules, dict) and "dns" in raw_rules
    ports: list[PortProtocol] = []
    if "ports" in fields:
        items = fields["ports"].items(max_items=MAX_PORTS) or ()
        for item in items:
            port = _parse_port(item, dns=dns)
            if port is not None:
                ports.append(port)
    rules = None
    if "rules" in fields:
        rules = _parse_rules(fields["rules"], ingress=ingress, ports=tuple(ports),
                             has_ports=bool(fields["ports"].value) if "ports" in fields else False)
        proxied = "HTTP" if rules is not None and rules.http is not None else \
            "Kafka" if rules is not None and rules.kafka is not None else None
        if proxied:
            for port in ports:
                if port.protocol != "TCP":
                    fields["ports"].refused_by_agent(  # rule_validation.go:575
                        f"{proxied} rules only work on TCP, but a port here has protocol {port.protocol!r}"
                        + (" (omitted means ANY)" if port.protocol == "ANY" else "") + "; set protocol: TCP.",
                        f"L7 rules can only apply to TCP (not {port.protocol}) except for DNS rules")
                    break
            if any(p.port == "0" for p in ports):
                fields["ports"].refused_by_agent(  # rule_validation.go:599
                    "L7 rules cannot be used with port \"0\" (all ports); list the ports.",
                    "L7 rules can not be used when a port is 0")
    server_names: list[str] = []
    if "serverNames" in fields:
        for item in fields["serverNames"].items() or ():
            name = item.string(allow_empty=False)
            if name is not None and (len(name) > 255 or not _SERVER_NAME.fullmatch(name)):
                item.problem(f"{name!r} is not a valid server name "
                             "(a DNS name, optionally starting with '*.' or '**.').")
            elif name is not None:
                server_names.append(name)
        if fields["serverNames"].value == []:
            fields["serverNames"].problem("serverNames must list at least one name when present.")
        if rules is not None and "terminatingTLS" not in fields and (rules.http or rules.dns or rules.kafka):
            fields["serverNames"].problem("serverNames cannot be combined with L7 rules unless terminatingTLS is set.")
    for key in ("terminatingTLS", "originatingTLS"):
        if key in fields:
            _parse_tls(fields[key])
    if "listener" in fields:
        if ingress:
            fields["listener"].problem("A listener is not allowed on ingress.")
        elif rules is not None:
            fields["listener"].problem("A listener cannot be combined with L7 rules.")
        _parse_listener(fields["listener"])
    if len(node.ctx.problems) != count:
        return None
    return PortRule(ports=tuple(ports), rules=rules, server_names=tuple(server_names), index=index)


def _parse_listener(node: Field) -> None:
    """`listener` as the CRD defines it: envoyConfig {kind?, name} and name required, priority 1-100."""
    fields = node.mapping(("envoyConfig", "name", "priority"), what="a listener")
    if fields is None:
        return
    for key in ("envoyConfig", "name"):
        if key not in fields:
            node.problem(f"A listener needs {key!r}" + (" ({name, kind?}: the CiliumEnvoyConfig defining it)."
                                                       if key == "envoyConfig" else " (the listener's name)."))
    if "name" in fields:
        fields["name"].string(allow_empty=False)
    if "priority" in fields:
        fields["priority"].integer(low=1, high=100)
    if "envoyConfig" in fields:
        config = fields["envoyConfig"].mapping(("kind", "name"), what="envoyConfig")
        if config is None:
            return
        if "name" not in config:
            fields["envoyConfig"].problem("envoyConfig needs the 'name' of the CiliumEnvoyConfig.")
        else:
            config["name"].string(allow_empty=False)
        if "kind" in config:
            kind = config["kind"].string()
            if kind is not None and kind not in ("CiliumEnvoyConfig", "CiliumClusterwideEnvoyConfig"):
                config["kind"].problem(f"envoyConfig.kind {shown(kind)} must be CiliumEnvoyConfig or "
                                       "CiliumClusterwideEnvoyConfig.")


def _parse_tls(node: Field) -> None:
    fields = node.mapping(("secret", "certificate", "privateKey", "trustedCA"), what="a TLS context")
    if fields is None:
        return
    if "secret" not in fields:
        node.problem("A TLS context needs a 'secret' ({name, namespace}).")
        return
    secret = fields["secret"].mapping(("name", "namespace"), what="a TLS secret")
    if secret is not None and "name" not in secret:
        fields["secret"].problem("A TLS secret needs a 'name'.")
    for child in fields.values():
        if child is not fields["secret"]:
            child.string()


def parse_to_ports(node: Field, *, ingress: bool, deny: bool) -> tuple[PortRule, ...] | None:
    items = node.items()
    if items is None:
        return None
    rules = [_parse_port_rule(item, i, ingress=ingress, deny=deny) for i, item in enumerate(items)]
    return tuple(r for r in rules if r is not None) if None not in rules else None


def parse_icmps(node: Field) -> tuple[ICMPField, ...] | None:
    """`icmps: [{fields: [{type, family}]}]`, flattened into the fields."""
    result: list[ICMPField] = []
    ok = True
    for item in node.items() or ():
        fields = item.mapping(("fields",), what="an icmps entry")
        if fields is None or "fields" not in fields:
            if fields is not None:
                item.problem("An icmps entry needs 'fields': [{type: EchoRequest, family: IPv4}].")
            ok = False
            continue
        for entry in fields["fields"].items(max_items=40) or ():
            parsed = _parse_icmp_field(entry)
            ok = ok and parsed is not None
            if parsed is not None:
                result.append(parsed)
    if not isinstance(node.value, list):
        return None
    return tuple(result) if ok else None


def _parse_icmp_field(node: Field) -> ICMPField | None:
    fields = node.mapping(("type", "family"), what="an ICMP field")
    if fields is None:
        return None
    family = "IPv4"
    if "family" in fields:
        value = fields["family"].string()
        if value not in ("IPv4", "IPv6"):
            if value is not None:
                fields["family"].problem(f"Unknown ICMP family {value!r}; expected 'IPv4' or 'IPv6'.")
            return None
        family = value
    if "type" not in fields:
        node.problem("An ICMP field needs a 'type' (a number 0-255 or a name such as EchoRequest).")
        return None
    raw = fields["type"].value
    if isinstance(raw, int) and not isinstance(raw, bool):
        if not 0 <= raw <= 255:
            fields["type"].problem(f"The ICMP type {raw!r} is out of range; "
                                   "expected 0-255 or a name such as EchoRequest.")
            return None
        return ICMPField(type=raw, family=family)
    if isinstance(raw, str) and (raw in ICMP_TYPE_NAMES or (raw.isdigit() and int(raw) <= 255 and
                                                               (raw == "0" or not raw.startswith("0")))):
        return ICMPField(type=int(raw) if raw.isdigit() else raw, family=family)
    fields["type"].problem(f"Unknown ICMP type {raw!r}; expected a number 0-255 or a name such as "
                           "EchoRequest, EchoReply, DestinationUnreachable or TimeExceeded.")
    return None
