"""Port and L7 matchers: does a rule item's toPorts / icmps / NetworkPolicy ports cover the traffic?

Omitted or `ANY` protocol means TCP, UDP and SCTP; port "0" or no port means every port of the
protocol; a named port resolves against the destination pod's container ports; ICMP is allowed by
an item only if it has no L4 part at all or lists the ICMP type in `icmps` (cilium-semantics §4).
HTTP fields are full matches (anchored) of RE2 regexes, matched with RE2 (§5.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from labs.manifests.values import compile_re2, re2_fullmatch
from labs.policy.endpoints import Traffic, resolve_named_port
from labs.policy.fqdn import matches_name, matches_pattern
from labs.policy.model import DNSRule, HTTPRule, KafkaRule

__all__ = ["ICMP_NAMES", "ICMPMatcher", "L7Spec", "PortSpec", "http_rule_matches", "dns_rule_matches"]

ICMP_NAMES = {"echoreply": 0, "destinationunreachable": 3, "redirect": 5, "echorequest": 8, "echo": 8,
              "timeexceeded": 11, "parameterproblem": 12}
ALL_L4 = frozenset({"TCP", "UDP", "SCTP"})


@lru_cache(maxsize=4096)
def _full(regex: str):
    """RE2, as Envoy matches: same syntax and results, linear time (validated when the policy was read)."""
    return compile_re2(regex)


def http_rule_matches(rule: HTTPRule, traffic: Traffic) -> bool:
    req = traffic.http
    if req is None:
        return False
    if rule.method is not None and not re2_fullmatch(_full(rule.method), req.method):
        return False
    if rule.path is not None and not re2_fullmatch(_full(rule.path), req.path):
        return False
    if rule.host is not None:
        host = req.host or ""
        if not re2_fullmatch(_full(rule.host), host):
            return False
    headers = {k.lower(): v for k, v in req.headers}
    for spec in rule.headers:
        name, _, value = spec.partition(" ")
        name = name.rstrip(":").lower()
        if name not in headers or (value and headers[name] != value.strip()):
            return False
    for hm in rule.header_matches:
        if hm.mismatch:
            continue
        got = headers.get(hm.name.lower())
        if got is None or (hm.value is not None and got != hm.value):
            return False
    return True


def dns_rule_matches(rule: DNSRule, name: str) -> bool:
    if rule.match_name is not None:
        return matches_name(rule.match_name, name)
    return rule.match_pattern is not None and matches_pattern(rule.match_pattern, name)


@dataclass(frozen=True)
class L7Spec:
    """The L7 rules of one toPorts item: kind "http", "dns" or "kafka"."""

    kind: str
    http: tuple[HTTPRule, ...] = ()
    dns: tuple[DNSRule, ...] = ()
    kafka: tuple[KafkaRule, ...] = ()
    path: str = ""


@dataclass(frozen=True)
class PortSpec:
    """One port entry: protocols, a number or range (None = all ports) or a name, and its L7 rules."""

    protocols: frozenset[str]
    port: int | None = None
    end_port: int | None = None
    name: str | None = None
    l7: L7Spec | None = None
    path: str = ""

    def match(self, traffic: Traffic, named_ports: tuple[tuple[str, str, int], ...]) -> str | None:
        """Whether this entry covers the traffic; a named port resolves on the destination's `named_ports`."""
        if traffic.protocol not in self.protocols:
            return None
        if self.name is not None:
            number = resolve_named_port(named_ports, self.name, traffic.protocol)
            if number is None or number != traffic.port:
                return None
            return f"named port {self.name!r} ({number}/{traffic.protocol})"
        if self.port is None:
            return f"any {traffic.protocol} port"
        high = self.end_port if self.end_port is not None else self.port
        if traffic.port is None or not (self.port <= traffic.port <= high):
            return None
        span = f"{self.port}-{high}" if high != self.port else str(self.port)
        return f"port {span}/{traffic.protocol}"


@dataclass(frozen=True)
class ICMPMatcher:
    types: tuple[tuple[int, str], ...]
    """(type number, family) pairs."""
    path: str = ""

    def match(self, traffic: Traffic) -> str | None:
        if traffic.protocol != "ICMP":
            return None
        for number, family in self.types:
            if number == traffic.icmp_type and family == "IPv4":
                return f"icmps type {number}"
        return None
