"""Flow filters that read like `hubble observe` options, and compose.

Each filter is a small object with `match(flow) -> bool` and `describe() -> str`, so a check
that found no matching flow can print the filter it used. As in Hubble, several values of one
option are alternatives (any may match) and different options must all match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Protocol, runtime_checkable

from labs.flows.model import Endpoint, Flow

__all__ = [
    "FlowFilter",
    "AllOf",
    "AnyOf",
    "Not",
    "Everything",
    "all_of",
    "any_of",
    "negate",
    "NamespaceFilter",
    "PodFilter",
    "LabelFilter",
    "VerdictFilter",
    "ProtocolFilter",
    "EventTypeFilter",
    "HttpStatusFilter",
    "HttpMethodFilter",
    "HttpPathFilter",
    "PortFilter",
    "FqdnFilter",
    "IpFilter",
    "DirectionFilter",
    "ReplyFilter",
    "VERDICTS",
    "EVENT_TYPES",
    "TRACE_SUBTYPES",
]

Side = str  # "either", "source" or "destination"

VERDICTS = ("FORWARDED", "DROPPED", "AUDIT", "REDIRECTED", "ERROR", "TRACED", "TRANSLATED")
EVENT_TYPES = {"drop": 1, "debug": 2, "capture": 3, "trace": 4, "policy-verdict": 5, "trace-sock": 7, "l7": 129,
               "agent": 130}
"""`hubble observe --type` names and the monitor event numbers they select."""


@runtime_checkable
class FlowFilter(Protocol):
    def match(self, flow: Flow) -> bool: ...

    def describe(self) -> str: ...


def _sides(flow: Flow, side: Side) -> tuple[Endpoint, ...]:
    if side == "source":
        return (flow.source,)
    if side == "destination":
        return (flow.destination,)
    return (flow.source, flow.destination)


def _side_prefix(side: Side) -> str:
    return {"source": "from-", "destination": "to-"}.get(side, "")


def _check_side(side: Side) -> None:
    if side not in ("either", "source", "destination"):
        raise ValueError(f"side {side!r} is not one of 'either', 'source', 'destination'")


@dataclass(frozen=True)
class Everything:
    """Matches every flow (no filter given)."""

    def match(self, flow: Flow) -> bool:
        return True

    def describe(self) -> str:
        return "all flows"


@dataclass(frozen=True)
class AllOf:
    filters: tuple[FlowFilter, ...]

    def match(self, flow: Flow) -> bool:
        return all(f.match(flow) for f in self.filters)

    def describe(self) -> str:
        if not self.filters:
            return "all flows"
        return " and ".join(_group(f) for f in self.filters)


@dataclass(frozen=True)
class AnyOf:
    filters: tuple[FlowFilter, ...]

    def match(self, flow: Flow) -> bool:
        return any(f.match(flow) for f in self.filters)

    def describe(self) -> str:
        if not self.filters:
            return "no flows"
        return " or ".join(_group(f) for f in self.filters)


@dataclass(frozen=True)
class Not:
    filter: FlowFilter

    def match(self, flow: Flow) -> bool:
        return not self.filter.match(flow)

    def describe(self) -> str:
        return f"not {_group(self.filter)}"


def _group(f: FlowFilter) -> str:
    text = f.describe()
    return f"({text})" if isinstance(f, (AllOf, AnyOf)) and len(f.filters) > 1 else text


def all_of(*filters: FlowFilter) -> FlowFilter:
    """Flows matching every filter (flattening nested AllOf; one filter is returned as is)."""
    flat: list[FlowFilter] = []
    for f in filters:
        flat.extend(f.filters if isinstance(f, AllOf) else [f])
    flat = [f for f in flat if not isinstance(f, Everything)]
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat))


def any_of(*filters: FlowFilter) -> FlowFilter:
    flat: list[FlowFilter] = []
    for f in filters:
        flat.extend(f.filters if isinstance(f, AnyOf) else [f])
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


def negate(f: FlowFilter) -> FlowFilter:
    return f.filter if isinstance(f, Not) else Not(f)


def _values(values: str | Iterable[str]) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values)


@dataclass(frozen=True)
class NamespaceFilter:
    """`--namespace` / `--from-namespace` / `--to-namespace`."""

    namespaces: tuple[str, ...]
    side: Side = "either"

    def __post_init__(self) -> None:
        _check_side(self.side)
        object.__setattr__(self, "namespaces", _values(self.namespaces))

    def match(self, flow: Flow) -> bool:
        return any(e.namespace in self.namespaces for e in _sides(flow, self.side))

    def describe(self) -> str:
        return f"{_side_prefix(self.side)}namespace {' or '.join(self.namespaces)}"


@dataclass(frozen=True)
class PodFilter:
    """`--pod [NAMESPACE/]POD-PREFIX`; as in Hubble, a pod without a namespace means namespace `default`."""

    pods: tuple[str, ...]
    side: Side = "either"

    def __post_init__(self) -> None:
        _check_side(self.side)
        parsed = []
        for text in _values(self.pods):
            namespace, sep, prefix = text.partition("/")
            if not sep:
                namespace, prefix = "default", text
            if not namespace:
                raise ValueError(f"pod filter {text!r} has an empty namespace; write NAMESPACE/POD or POD")
            parsed.append(f"{namespace}/{prefix}")
        object.__setattr__(self, "pods", tuple(parsed))

    def match(self, flow: Flow) -> bool:
        for endpoint in _sides(flow, self.side):
            if endpoint.pod_name is None:
                continue
            name = f"{endpoint.namespace}/{endpoint.pod_name}"
            if any(name.startswith(p) for p in self.pods):
                return True
        return False

    def describe(self) -> str:
        return f"{_side_prefix(self.side)}pod {' or '.join(self.pods)}"


@dataclass(frozen=True)
class LabelFilter:
    """`--label app=api` (also `key` alone, or `reserved:world`): every given label must be on the endpoint."""

    selector: str
    side: Side = "either"

    def __post_init__(self) -> None:
        _check_side(self.side)
        parts = tuple(p.strip() for p in self.selector.split(",") if p.strip())
        if not parts:
            raise ValueError(f"label filter {self.selector!r} is empty; write KEY=VALUE[,KEY=VALUE...]")
        object.__setattr__(self, "_parts", parts)

    def _endpoint_matches(self, endpoint: Endpoint) -> bool:
        labels = endpoint.label_map
        for part in self._parts:  # type: ignore[attr-defined]
            if part.startswith("reserved:"):
                if part not in endpoint.labels:
                    return False
                continue
            key, sep, value = part.partition("=")
            key = key.split(":", 1)[1] if key.startswith(("k8s:", "any:")) else key
            if key not in labels or (sep and labels[key] != value):
                return False
        return True

    def match(self, flow: Flow) -> bool:
        return any(self._endpoint_matches(e) for e in _sides(flow, self.side))

    def describe(self) -> str:
        return f"{_side_prefix(self.side)}label {self.selector}"


@dataclass(frozen=True)
class VerdictFilter:
    verdicts: tuple[str, ...]

    def __post_init__(self) -> None:
        verdicts = tuple(v.upper() for v in _values(self.verdicts))
        for v in verdicts:
            if v not in VERDICTS:
                raise ValueError(f"verdict {v!r} is not one of {', '.join(VERDICTS)}")
        object.__setattr__(self, "verdicts", verdicts)

    def match(self, flow: Flow) -> bool:
        return flow.verdict in self.verdicts

    def describe(self) -> str:
        return f"verdict {' or '.join(self.verdicts)}"


_L4_NAMES = {"tcp": ("TCP",), "udp": ("UDP",), "sctp": ("SCTP",), "icmp": ("ICMPv4", "ICMPv6"),
             "icmpv4": ("ICMPv4",), "icmpv6": ("ICMPv6",)}


@dataclass(frozen=True)
class ProtocolFilter:
    """`--protocol tcp|udp|sctp|icmp|icmpv4|icmpv6|http|dns`: L4 names match the transport, http/dns the L7 record."""

    protocols: tuple[str, ...]

    def __post_init__(self) -> None:
        protocols = tuple(p.lower() for p in _values(self.protocols))
        for p in protocols:
            if p not in _L4_NAMES and p not in ("http", "dns"):
                known = ", ".join([*_L4_NAMES, "http", "dns"])
                raise ValueError(f"protocol {p!r} is not one of {known}")
        object.__setattr__(self, "protocols", protocols)

    def match(self, flow: Flow) -> bool:
        for p in self.protocols:
            if p == "http":
                if flow.http is not None:
                    return True
            elif p == "dns":
                if flow.dns is not None:
                    return True
            elif flow.l4 is not None and flow.l4.protocol in _L4_NAMES[p]:
                return True
        return False

    def describe(self) -> str:
        return f"protocol {' or '.join(self.protocols)}"


TRACE_SUBTYPES = {"to-endpoint": 0, "to-proxy": 1, "to-host": 2, "to-stack": 3, "to-overlay": 4, "from-endpoint": 5,
                  "from-proxy": 6, "from-host": 7, "from-stack": 8, "from-overlay": 9, "from-network": 10,
                  "to-network": 11}
"""`--type trace:NAME` sub-types: cilium `pkg/monitor/api/types.go` TraceObservationPoints."""


@dataclass(frozen=True)
class EventTypeFilter:
    """`--type drop|trace|policy-verdict|l7|trace-sock|capture|debug|agent`, optionally `TYPE:SUBTYPE`
    (`trace:to-endpoint`, `drop:133`, or numbers), as hubble's `--type` flag reads them
    (cilium `hubble/cmd/observe/flows_filter.go`, case "type")."""

    types: tuple[str, ...]

    def __post_init__(self) -> None:
        types = tuple(t.lower() for t in _values(self.types))
        wanted = []
        for t in types:
            name, sep, sub = t.partition(":")
            if name in EVENT_TYPES:
                number = EVENT_TYPES[name]
            elif name.isdigit():
                number = int(name)
            else:
                raise ValueError(f"event type {t!r} is not one of {', '.join(EVENT_TYPES)} (or a number)")
            subtype: int | None = None
            if sep:
                if number == EVENT_TYPES["trace"] and sub in TRACE_SUBTYPES:
                    subtype = TRACE_SUBTYPES[sub]
                elif sub.isdigit():
                    subtype = int(sub)
                else:
                    raise ValueError(f"event sub-type {sub!r} of {t!r} is not a known sub-type name or a number")
            wanted.append((number, subtype))
        object.__setattr__(self, "types", types)
        object.__setattr__(self, "_wanted", tuple(wanted))

    def match(self, flow: Flow) -> bool:
        return any(flow.event_type == number and (sub is None or (flow.event_subtype or 0) == sub)
                   for number, sub in self._wanted)  # type: ignore[attr-defined]

    def describe(self) -> str:
        return f"type {' or '.join(self.types)}"


_STATUS = re.compile(r"^[1-5](?:\d\d|\+|\d\+)$")


@dataclass(frozen=True)
class HttpStatusFilter:
    """`--http-status 403`, `4+` (any 4xx) or `40+` (400-409), as in Hubble."""

    codes: tuple[str, ...]

    def __post_init__(self) -> None:
        codes = tuple(str(c).strip() for c in _values(self.codes) if str(c).strip())
        for code in codes:
            if not _STATUS.match(code):
                raise ValueError(f"HTTP status {code!r} is not a code like 403, 4+ or 40+")
        object.__setattr__(self, "codes", codes)

    def match(self, flow: Flow) -> bool:
        http = flow.http
        if http is None or http.code is None:
            return False
        text = str(http.code)
        return any(text.startswith(c[:-1]) if c.endswith("+") else text == c for c in self.codes)

    def describe(self) -> str:
        return f"http-status {' or '.join(self.codes)}"


@dataclass(frozen=True)
class HttpMethodFilter:
    methods: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "methods", tuple(m.upper() for m in _values(self.methods)))

    def match(self, flow: Flow) -> bool:
        http = flow.http
        return http is not None and (http.method or "").upper() in self.methods

    def describe(self) -> str:
        return f"http-method {' or '.join(self.methods)}"


@dataclass(frozen=True)
class HttpPathFilter:
    """`--http-path REGEX`, matched against the whole URL path, as Cilium's HTTP rules do; with
    `search=True` anywhere in the path, as hubble's server-side filter does (`MatchString`)."""

    patterns: tuple[str, ...]
    search: bool = False

    def __post_init__(self) -> None:
        patterns = _values(self.patterns)
        compiled = []
        for p in patterns:
            try:
                compiled.append(re.compile(p))
            except re.error as exc:
                raise ValueError(f"HTTP path pattern {p!r} is not a valid regular expression: {exc}") from None
        object.__setattr__(self, "patterns", patterns)
        object.__setattr__(self, "_compiled", tuple(compiled))

    def match(self, flow: Flow) -> bool:
        path = flow.http.path if flow.http else None
        if path is None:
            return False
        if self.search:
            return any(c.search(path) for c in self._compiled)  # type: ignore[attr-defined]
        return any(c.fullmatch(path) for c in self._compiled)  # type: ignore[attr-defined]

    def describe(self) -> str:
        return f"http-path {' or '.join(self.patterns)}"


@dataclass(frozen=True)
class PortFilter:
    """`--port` / `--from-port` / `--to-port`."""

    ports: tuple[int, ...]
    side: Side = "either"

    def __post_init__(self) -> None:
        _check_side(self.side)
        ports = []
        for p in self.ports if isinstance(self.ports, (list, tuple)) else (self.ports,):
            try:
                number = int(p)
            except (TypeError, ValueError):
                number = -1
            if not 0 < number < 65536:
                raise ValueError(f"port {p!r} is not a number from 1 to 65535")
            ports.append(number)
        object.__setattr__(self, "ports", tuple(ports))

    def match(self, flow: Flow) -> bool:
        l4 = flow.l4
        if l4 is None:
            return False
        found = []
        if self.side in ("either", "source"):
            found.append(l4.source_port)
        if self.side in ("either", "destination"):
            found.append(l4.destination_port)
        return any(p in self.ports for p in found)

    def describe(self) -> str:
        return f"{_side_prefix(self.side)}port {' or '.join(map(str, self.ports))}"


@dataclass(frozen=True)
class FqdnFilter:
    """`--fqdn NAME` (a leading `*.` matches subdomains); also matches the DNS query of DNS flows."""

    names: tuple[str, ...]
    side: Side = "either"

    def __post_init__(self) -> None:
        _check_side(self.side)
        object.__setattr__(self, "names", tuple(n.lower().rstrip(".") for n in _values(self.names)))

    def _hit(self, name: str) -> bool:
        return any(name == p or (p.startswith("*.") and name.endswith(p[1:])) for p in self.names)

    def match(self, flow: Flow) -> bool:
        names = [n for e in _sides(flow, self.side) for n in e.names]
        if flow.dns is not None and flow.dns.query:
            names.append(flow.dns.query)
        return any(self._hit(n) for n in names)

    def describe(self) -> str:
        return f"{_side_prefix(self.side)}fqdn {' or '.join(self.names)}"


@dataclass(frozen=True)
class IpFilter:
    ips: tuple[str, ...]
    side: Side = "either"

    def __post_init__(self) -> None:
        _check_side(self.side)
        object.__setattr__(self, "ips", _values(self.ips))

    def match(self, flow: Flow) -> bool:
        return any(e.ip in self.ips for e in _sides(flow, self.side))

    def describe(self) -> str:
        return f"{_side_prefix(self.side)}ip {' or '.join(self.ips)}"


@dataclass(frozen=True)
class DirectionFilter:
    """`--traffic-direction ingress|egress`."""

    direction: str

    def __post_init__(self) -> None:
        value = self.direction.upper()
        if value not in ("INGRESS", "EGRESS"):
            raise ValueError(f"traffic direction {self.direction!r} is not ingress or egress")
        object.__setattr__(self, "direction", value)

    def match(self, flow: Flow) -> bool:
        return flow.direction == self.direction

    def describe(self) -> str:
        return f"traffic-direction {self.direction.lower()}"


@dataclass(frozen=True)
class ReplyFilter:
    """`--is-reply true|false` (flows whose reply status Hubble does not know never match)."""

    is_reply: bool

    def match(self, flow: Flow) -> bool:
        return flow.is_reply is self.is_reply

    def describe(self) -> str:
        return "replies" if self.is_reply else "not replies"

