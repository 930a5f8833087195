"""One probe of a lab step: what to try (a `labs.probes.Probe`) and which outcome is expected.

The keys are the scenario format of DESIGN.md, so a lab step reads like a scenario file:
`{from: ns/pod, to: TARGET, port: N, protocol: TCP, http: {method, path, headers}, dns: NAME,
expect: OUTCOME}`; `from` may also be `world` or `host` (outside the pod network, see `labs.probes`).
Additions for teaching: `expect` may list several acceptable outcomes (capstone answers differ in
where they stop a connection), pitfall probes carry `intended`,
what the policy's author meant, next to `expect`, what really happens, and an exercise probe may carry
a `hint`: the mistake it catches, shown when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from labs.outcomes import Outcome, parse_outcome
from labs.probes import PROTOCOLS, HttpRequest, Probe, outside_problem, parse_target, source_problem

__all__ = ["ProbeSpec", "parse_probe"]

_KEYS = {"from", "to", "port", "protocol", "http", "dns", "expect", "intended", "hint"}
_HTTP_KEYS = {"method", "path", "headers", "host"}


@dataclass(frozen=True)
class ProbeSpec:
    probe: Probe
    expect: tuple[Outcome, ...]
    """Acceptable outcomes (usually one)."""
    intended: Outcome | None = None
    """Pitfall probes: what the author of the wrong policy wanted."""
    line: int | None = None
    hint: str | None = None
    """Exercise probes: the mistake this probe catches, said to the trainee when it fails."""

    def at(self, line: int) -> ProbeSpec:
        return replace(self, line=line)

    @property
    def expect_text(self) -> str:
        return " or ".join(o.value for o in self.expect)

    def accepts(self, outcome: Outcome) -> bool:
        return outcome in self.expect

    @property
    def label(self) -> str:
        return self.probe.describe()


def parse_probe(raw: Any, *, pitfall: bool = False) -> ProbeSpec:
    """Turn one YAML probe mapping into a ProbeSpec; ValueError names the key at fault."""
    if not isinstance(raw, dict):
        raise ValueError(f"expected a probe mapping (from, to, port, expect), got {raw!r}")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ValueError(f"unknown probe key {unknown[0]!r}; probe keys are: {', '.join(sorted(_KEYS))}")
    source = raw.get("from")
    if not isinstance(source, str) or source_problem(source) is not None:
        raise ValueError(f"from: expected a pod as NAMESPACE/NAME, or world or host, got {source!r}")
    protocol = str(raw.get("protocol", "TCP")).upper()
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol: {raw.get('protocol')!r} is not one of {', '.join(PROTOCOLS)}")
    dns = raw.get("dns")
    target = None
    if "to" in raw:
        try:
            target = parse_target(str(raw["to"]))
        except ValueError as exc:
            raise ValueError(f"to: {exc}") from None
    elif dns is None:
        raise ValueError("a probe needs `to` (a target) or `dns` (a name to look up)")
    if dns is not None and (not isinstance(dns, str) or not dns.strip()):
        raise ValueError(f"dns: expected a name to look up, got {dns!r}")
    outside = outside_problem(source, target, protocol)
    if outside:
        raise ValueError(f"{'to' if target is not None else 'from'}: {outside}")
    port = raw.get("port")
    if target is not None and protocol != "ICMP":
        if port is None:
            raise ValueError(f"port: a {protocol} probe to {raw['to']!r} needs a port")
        if isinstance(port, bool) or not (isinstance(port, str) or (isinstance(port, int) and 0 < port < 65536)):
            raise ValueError(f"port: expected a number 1-65535 or a named port, got {port!r}")
    http = _http(raw.get("http")) if raw.get("http") is not None else None
    expect = _outcomes(raw.get("expect"), "expect")
    intended = None
    if pitfall:
        if "intended" not in raw:
            raise ValueError("intended: a pitfall probe says what the policy's author meant (`intended`) "
                             "next to what really happens (`expect`)")
        intended = _outcomes(raw["intended"], "intended")[0]
    elif "intended" in raw:
        raise ValueError("intended: only pitfall steps have `intended` outcomes")
    hint = raw.get("hint")
    if hint is not None and (not isinstance(hint, str) or not hint.strip()):
        raise ValueError(f"hint: expected the text shown when this probe fails, got {hint!r}")
    probe = Probe(source=source, target=target, port=port, protocol=protocol, http=http,
                  dns=dns.strip().lower().rstrip(".") if isinstance(dns, str) else None)
    return ProbeSpec(probe=probe, expect=expect, intended=intended, hint=hint.strip() if hint else None)


def _outcomes(value: Any, key: str) -> tuple[Outcome, ...]:
    words = value if isinstance(value, list) else [value]
    if value is None or not words:
        raise ValueError(f"{key}: expected an outcome word (allowed, dropped, l7-denied, refused, error)")
    try:
        return tuple(parse_outcome(w) for w in words)
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None


def _http(value: Any) -> HttpRequest:
    if not isinstance(value, dict):
        raise ValueError(f"http: expected {{method, path}}, got {value!r}")
    unknown = sorted(set(value) - _HTTP_KEYS)
    if unknown:
        raise ValueError(f"http: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(_HTTP_KEYS))}")
    headers = value.get("headers") or {}
    if not isinstance(headers, dict):
        raise ValueError(f"http.headers: expected a mapping of header names to values, got {headers!r}")
    path = str(value.get("path", "/"))
    if not path.startswith("/"):
        raise ValueError(f"http.path: expected a path starting with '/', got {path!r}")
    return HttpRequest(method=str(value.get("method", "GET")).upper(), path=path,
                       headers=tuple((str(k), str(v)) for k, v in headers.items()),
                       host=str(value["host"]) if value.get("host") else None)
