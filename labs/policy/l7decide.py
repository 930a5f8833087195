"""The L7 step of a decision: HTTP, DNS and Kafka rules on a port, and the rules that lift them.

Split from the engine because it is the one step that reads the request itself (method, path,
DNS name); everything before it depends only on identities and ports.

What lifts L7 rules for a peer (the request is allowed whatever it says), in Cilium 1.19:

- an L4-only allow on the same port that matches the peer, HTTP and DNS alike: the agent merges it into
  the port's filter as an L7 wildcard (`pkg/policy/rule.go:301-311`, `appendL7WildcardRule` `:56`);
- for HTTP only, an allow that matches the peer on every port (no `toPorts`, a NetworkPolicy peer without
  `ports`, or port 0): it becomes the port-0 filter (`pkg/policy/rule.go:384-390`), which the agent sends
  Envoy as a port-0 `PortNetworkPolicy` beside the port's HTTP rules (`pkg/envoy/xds_server.go:1593-1642`;
  `testUpdateConsumerMap` in `daemon/cmd/policy_test.go:247-363` expects that pair), and Envoy allows
  a request that any rule of the port or of port 0 allows (cilium/proxy `cilium/network_policy.cc:824-854`,
  `PortPolicy::forRange`). The DNS proxy only gets the selectors of the port-53 filter
  (`pkg/proxy/dns.go:34`, `pkg/fqdn/dnsproxy/proxy.go:792-810`), so nothing on port 0 lifts DNS rules.

Explicit denies are decided before this step and still win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labs.outcomes import Outcome
from labs.policy.build import Entry
from labs.policy.endpoints import Traffic
from labs.policy.ports import L7Spec, PortSpec, dns_rule_matches, http_rule_matches
from labs.policy.verdict import DirectionVerdict

__all__ = ["PortMatch", "decide_l7", "describe_match"]


@dataclass(frozen=True)
class PortMatch:
    """A rule item whose peer part (`peer`) and port part (`port`, from `spec`) both matched."""

    entry: Entry
    peer: str
    port: str
    spec: PortSpec | None


def describe_match(m: PortMatch) -> str:
    return f"{m.peer}; {m.port}" if m.port else m.peer


def decide_l7(matches: list[PortMatch], traffic: Traffic, default_deny: bool,
              common: dict[str, Any]) -> DirectionVerdict:
    """The allows matching peer and port (in rule order), at least one of them with L7 rules on the port."""
    with_l7 = [m for m in matches if m.spec is not None and m.spec.l7 is not None]
    port_matches = [m for m in matches if m.spec is not None]
    first = port_matches[0]
    l7 = _l7_of(with_l7[0])
    kind = l7.kind
    rules_text = tuple(_rule_text(m) for m in with_l7)
    if kind == "kafka":
        return _kafka_port(with_l7[0], rules_text, common)
    lifting = next((m for m in port_matches if m.spec is not None and m.spec.l7 is None and not _every_port(m)), None)
    if lifting is not None:
        return DirectionVerdict(
            outcome=Outcome.ALLOWED, rule=lifting.entry.ref, matched=describe_match(lifting), l7=kind,
            lifted_by=lifting.entry.ref, l7_rules=rules_text,
            reason=(f"allowed by {lifting.entry.ref}, an L4-only rule on the same port that lifts the "
                    f"{kind.upper()} rules of {with_l7[0].entry.ref}"), **common)
    lifting = next((m for m in matches if _every_port(m)), None) if kind == "http" else None
    if lifting is not None:
        return DirectionVerdict(
            outcome=Outcome.ALLOWED, rule=lifting.entry.ref, matched=describe_match(lifting), l7=kind,
            lifted_by=lifting.entry.ref, l7_rules=rules_text,
            reason=(f"allowed by {lifting.entry.ref}, which allows this peer on every port and so lifts the HTTP "
                    f"rules of {with_l7[0].entry.ref} (Envoy falls through to its port-0 rule)"), **common)
    if not default_deny:
        return DirectionVerdict(outcome=Outcome.ALLOWED, rule=first.entry.ref, matched=describe_match(first), l7=kind,
                                l7_rules=rules_text,
                                reason=(f"allowed by {first.entry.ref}; without default deny its {kind.upper()} "
                                        "rules only add visibility"), **common)
    if kind == "http" and traffic.http is not None:
        for m in with_l7:
            for rule in _l7_of(m).http:
                if http_rule_matches(rule, traffic):
                    return _allowed_by_l7(m, kind, f"HTTP rule {rule.index} {_http_text(rule)}", rules_text, common)
        return DirectionVerdict(
            outcome=Outcome.L7_DENIED, rule=with_l7[0].entry.ref, l7=kind, l7_rules=rules_text,
            matched=describe_match(with_l7[0]),
            reason=(f"the proxy answered 403: {traffic.http.method} {traffic.http.path} matches none of the "
                    f"HTTP rules ({'; '.join(rules_text)})"), **common)
    if kind == "dns" and traffic.dns_name is not None:
        for m in with_l7:
            for dns_rule in _l7_of(m).dns:
                if dns_rule_matches(dns_rule, traffic.dns_name):
                    return _allowed_by_l7(m, kind, f"DNS rule {dns_rule.index} {_dns_text(dns_rule)}", rules_text,
                                          common)
        return DirectionVerdict(
            outcome=Outcome.REFUSED, rule=with_l7[0].entry.ref, l7=kind, l7_rules=rules_text,
            matched=describe_match(with_l7[0]),
            reason=(f"the DNS proxy answered REFUSED: {traffic.dns_name} matches none of the DNS rules "
                    f"({'; '.join(rules_text)})"), **common)
    m = with_l7[0]
    return DirectionVerdict(outcome=Outcome.ALLOWED, rule=m.entry.ref, matched=describe_match(m), l7=kind,
                            l7_rules=rules_text, reason=f"allowed by {m.entry.ref} (through the {kind} proxy)",
                            **common)


def _l7_of(m: PortMatch) -> L7Spec:
    """The L7 rules of a match that carries them (the callers keep only such matches)."""
    if m.spec is None or m.spec.l7 is None:
        raise ValueError(f"{m.entry.ref}: the match on {m.port!r} has no L7 rules")
    return m.spec.l7


def _kafka_port(m: PortMatch, rules_text: tuple[str, ...], common: dict[str, Any]) -> DirectionVerdict:
    """A port with Kafka rules, reached by a request that is not Kafka (every probe the course sends is).

    The agent redirects the port to Envoy with the Kafka parser (`pkg/policy/l4.go:1028-1029`,
    `pkg/envoy/xds_server.go:1452-1460`), whatever else allows the peer on it (an L4-only rule only adds a
    match-all Kafka rule). The parser reads the first four bytes as the frame length (cilium/proxy
    `proxylib/kafka/parser.go`, `OnData`): "GET " is a frame of about 1.2 GB, so it waits for more and the
    client times out, like a drop but with no drop event. Kafka clients themselves are not modelled.
    """
    return DirectionVerdict(
        outcome=Outcome.DROPPED, rule=m.entry.ref, matched=describe_match(m), l7="kafka", l7_rules=rules_text,
        reason=(f"allowed at L3/L4 by {m.entry.ref}, then sent to Envoy's Kafka parser (Kafka rules "
                f"{'; '.join(rules_text)}); this request is not Kafka, so the parser waits for a frame that never "
                "comes and the client times out (Kafka clients are not simulated)"), **common)


def _every_port(m: PortMatch) -> bool:
    """An allow without L7 rules that covers every TCP port: Cilium's port-0 filter."""
    spec = m.spec
    if spec is None:
        return True  # no L4 part at all (L3-only)
    return spec.l7 is None and spec.port is None and spec.name is None and "TCP" in spec.protocols


def _allowed_by_l7(m: PortMatch, kind: str, rule_text: str, rules_text: tuple[str, ...],
                   common: dict[str, Any]) -> DirectionVerdict:
    return DirectionVerdict(outcome=Outcome.ALLOWED, rule=m.entry.ref, l7=kind, l7_rules=rules_text,
                            matched=f"{describe_match(m)}, {rule_text}",
                            reason=f"allowed by {m.entry.ref}, {rule_text}", **common)


def _http_text(rule) -> str:
    parts = [f"{k}={v!r}" for k, v in (("method", rule.method), ("path", rule.path), ("host", rule.host)) if v]
    parts += [f"header {h!r}" for h in rule.headers]
    return "{" + ", ".join(parts) + "}" if parts else "{} (any request)"


def _dns_text(rule) -> str:
    return f"matchName {rule.match_name!r}" if rule.match_name is not None else f"matchPattern {rule.match_pattern!r}"


def _kafka_text(rule) -> str:
    parts = [f"{k}={v!r}" for k, v in (("role", rule.role), ("apiKey", rule.api_key),
                                       ("apiVersion", rule.api_version), ("clientID", rule.client_id),
                                       ("topic", rule.topic)) if v]
    return "{" + ", ".join(parts) + "}" if parts else "{} (any Kafka request)"


def _rule_text(m: PortMatch) -> str:
    l7 = _l7_of(m)
    if l7.kind == "http":
        return ", ".join(_http_text(r) for r in l7.http) or "no HTTP rule"
    if l7.kind == "kafka":
        return ", ".join(_kafka_text(r) for r in l7.kafka) or "no Kafka rule"
    return ", ".join(_dns_text(r) for r in l7.dns) or "no DNS rule"
