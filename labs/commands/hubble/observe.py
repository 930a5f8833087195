"""`hubble observe` on the simulated cluster: the recorded flows, filtered and printed as hubble does.

Filters are built the way hubble's CLI builds its request (cilium `hubble/cmd/observe/flows_filter.go`):
each flag fills a "left" and a "right" FlowFilter (`--pod x` is source x on the left, destination x on
the right; `--verdict` goes to both), namespaces are folded into the pod filters, and a flow is shown
when it matches left or right and no `--not` filter. Each FlowFilter field is matched with the
course's filters (`labs.flows.filters`). Selection follows `getFlowsRequest`: `--since/--until`,
`--first N`, `--last N`, `--all`, and the last 20 flows when none of those is given.
`--print-raw-filters` prints the request's filters instead (`labs.commands.hubble.raw_filters`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from labs.commands.hubble.flags import Flag, FlagError, parse_flags
from labs.commands.hubble.printer import OUTPUTS, FlowPrinter
from labs.commands.result import SIM_NOTE, CommandResult
from labs.flows.checked import FlowParseError, parse_time
from labs.flows.filters import (
    DirectionFilter,
    EventTypeFilter,
    Everything,
    FlowFilter,
    FqdnFilter,
    HttpMethodFilter,
    HttpPathFilter,
    HttpStatusFilter,
    IpFilter,
    LabelFilter,
    Not,
    PodFilter,
    PortFilter,
    ProtocolFilter,
    VerdictFilter,
    all_of,
    any_of,
)
from labs.flows.parse import parse_flow

__all__ = ["FLAGS", "observe", "DEFAULT_LAST"]

DEFAULT_LAST = 20
"""hubble `defaults.FlowPrintCount`: what a bare `hubble observe` prints."""

_FILTERS = ("pod", "from-pod", "to-pod", "namespace", "from-namespace", "to-namespace", "label", "from-label",
            "to-label", "verdict", "type", "protocol", "port", "from-port", "to-port", "http-status", "http-method",
            "http-path", "ip", "from-ip", "to-ip", "fqdn", "from-fqdn", "to-fqdn", "traffic-direction")
_SHORTS = {"namespace": "n", "label": "l", "type": "t"}
_UNSUPPORTED = ("all-namespaces", "from-all-namespaces", "to-all-namespaces", "service", "from-service",
                "to-service", "identity", "from-identity", "to-identity", "workload", "from-workload", "to-workload",
                "node-name", "node-label", "tcp-flags", "uuid", "http-url", "http-header", "drop-reason-desc",
                "cel-expression", "cluster", "from-cluster", "to-cluster", "snat-ip", "ipv4", "ipv6", "ip-version",
                "trace-id", "interface", "encrypted", "unencrypted", "allowlist", "denylist",
                "field-mask", "input-file", "experimental-field-mask", "experimental-use-default-field-masks")
_UNSUPPORTED_BOOL = {"all-namespaces", "from-all-namespaces", "to-all-namespaces", "ipv4", "ipv6", "encrypted",
                     "unencrypted", "experimental-use-default-field-masks"}
_UNSUPPORTED_SHORT = {"all-namespaces": "A", "ipv4": "4", "ipv6": "6"}

FLAGS: tuple[Flag, ...] = (
    *(Flag(name, _SHORTS.get(name)) for name in _FILTERS),
    Flag("not", kind="filter", takes_value=False),
    Flag("last", kind="int"), Flag("first", kind="int"), Flag("all", kind="bool", takes_value=False),
    Flag("since", kind="value"), Flag("until", kind="value"),
    Flag("follow", "f", kind="bool", takes_value=False),
    Flag("output", "o", kind="value"), Flag("json", "j", kind="bool", takes_value=False),
    Flag("print-node-name", kind="bool", takes_value=False),
    Flag("print-policy-names", kind="bool", takes_value=False),
    Flag("print-raw-filters", kind="bool", takes_value=False),
    Flag("time-format", kind="value"), Flag("color", kind="value"),
    Flag("numeric", kind="bool", takes_value=False), Flag("ip-translation", kind="bool", takes_value=False),
    # connection flags: meaningless for the simulated cluster, accepted like hubble accepts them
    Flag("server", kind="value"), Flag("timeout", kind="value"), Flag("request-timeout", kind="value"),
    Flag("port-forward", "P", kind="bool", takes_value=False), Flag("port-forward-port", kind="value"),
    Flag("kube-context", kind="value"), Flag("kube-namespace", kind="value"), Flag("kubeconfig", kind="value"),
    Flag("tls", kind="bool", takes_value=False), Flag("tls-allow-insecure", kind="bool", takes_value=False),
    Flag("config", kind="value"), Flag("debug", "D", kind="bool", takes_value=False),
    *(Flag(name, _UNSUPPORTED_SHORT.get(name), kind="unsupported", takes_value=name not in _UNSUPPORTED_BOOL)
      for name in _UNSUPPORTED),
)
"""Every `hubble observe` flag the command reads; unsupported ones are hubble's, answered with a note."""

_CONFLICTS = (
    ("from-fqdn", "from-ip", "ip", "fqdn", "from-namespace", "namespace"),
    ("from-fqdn", "from-ip", "ip", "fqdn", "from-pod", "pod"),
    ("to-fqdn", "to-ip", "ip", "fqdn", "to-namespace", "namespace"),
    ("to-fqdn", "to-ip", "ip", "fqdn", "to-pod", "pod"),
    ("to-pod", "namespace"), ("from-pod", "namespace"),
    ("label", "from-label"), ("label", "to-label"),
    ("port", "to-port"), ("port", "from-port"),
)
"""flows_filter.go `newFlowFilter` conflict groups (for the flags modelled here)."""

_VERDICTS = ("VERDICT_UNKNOWN", "FORWARDED", "DROPPED", "ERROR", "AUDIT", "REDIRECTED", "TRACED", "TRANSLATED")
_BOTH = ("verdict", "type", "protocol", "http-status", "http-method", "http-path", "traffic-direction")
_SIDED = {"pod": "pod", "ip": "ip", "fqdn": "fqdn", "label": "label", "port": "port"}


class ObserveError(ValueError):
    """A hubble error: printed as `Error: <message>` with exit code 1."""


@dataclass
class _Side:
    """One FlowFilter: field name -> values (as hubble's proto FlowFilter holds them)."""

    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, value: str) -> None:
        self.fields.setdefault(key, []).append(value)


@dataclass
class _Tracker:
    """flows_filter.go `filterTracker`: left OR right, with namespaces applied when materialised."""

    left: _Side | None = None
    right: _Side | None = None
    ns: list[str] = field(default_factory=list)
    src_ns: list[str] = field(default_factory=list)
    dst_ns: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def both(self, key: str, value: str) -> None:
        self.left = self.left or _Side()
        self.right = self.right or _Side()
        self.left.add(key, value)
        self.right.add(key, value)

    def split(self, left_key: str, right_key: str, value: str) -> None:
        self.left = self.left or _Side()
        self.right = self.right or _Side()
        self.left.add(left_key, value)
        self.right.add(right_key, value)

    def set(self, name: str, value: str) -> None:
        if name not in self.changed:
            self.changed.append(name)
        for group in _CONFLICTS:
            hits = [f for f in group if f in self.changed]
            if len(hits) > 1:
                raise ObserveError(f"filters --{hits[0]} and --{hits[1]} cannot be combined")
        if name == "namespace":
            self.ns.append(value)
        elif name == "from-namespace":
            self.src_ns.append(value)
        elif name == "to-namespace":
            self.dst_ns.append(value)
        elif name in _SIDED:
            self.split(f"source_{_SIDED[name]}", f"destination_{_SIDED[name]}", value)
        elif name.startswith("from-"):
            self.both(f"source_{_SIDED[name[5:]]}", value)
        elif name.startswith("to-"):
            self.both(f"destination_{_SIDED[name[3:]]}", value)
        else:
            if name == "verdict" and value not in _VERDICTS:
                raise ObserveError(f'invalid argument "{value}" for "--verdict" flag: invalid --verdict value: {value}')
            self.both(name.replace("-", "_"), value)

    def materialise(self) -> list[_Side]:
        if self.left is None and self.right is None and not (self.ns or self.src_ns or self.dst_ns):
            return []
        left, right = self.left or _Side(), self.right or _Side()
        for side in (left, right):
            if self.dst_ns:
                _apply_ns(side, "destination_pod", self.dst_ns)
            if self.src_ns:
                _apply_ns(side, "source_pod", self.src_ns)
        if self.ns:
            _apply_ns(left, "source_pod", self.ns)
            _apply_ns(right, "destination_pod", self.ns)
        return [left] if left.fields == right.fields else [left, right]


def _apply_ns(side: _Side, key: str, namespaces: list[str]) -> None:
    """`namespaceModifier.applySrc/applyDest`: pods without a namespace get each given namespace."""
    pods = side.fields.get(key) or [""]
    side.fields[key] = [p if "/" in p else f"{ns}/{p}" for p in pods for ns in ([None] if "/" in p else namespaces)]


def _field_filter(key: str, values: list[str]) -> FlowFilter:
    side = "source" if key.startswith("source_") else "destination" if key.startswith("destination_") else "either"
    kind = key.split("_", 1)[1] if side != "either" else key
    if kind == "pod":
        return PodFilter(tuple(values), side)
    if kind == "label":
        return any_of(*(LabelFilter(v, side) for v in values))
    if kind == "ip":
        return IpFilter(tuple(values), side)
    if kind == "fqdn":
        return FqdnFilter(tuple(values), side)
    if kind == "port":
        return PortFilter(tuple(values), side)  # type: ignore[arg-type]  # its __post_init__ parses the strings
    factories: dict[str, Callable[[], FlowFilter]]
    factories = {"verdict": lambda: VerdictFilter(tuple(values)), "type": lambda: EventTypeFilter(tuple(values)),
                 "protocol": lambda: ProtocolFilter(tuple(values)),
                 "http_status": lambda: HttpStatusFilter(tuple(values)),
                 "http_method": lambda: HttpMethodFilter(tuple(values)),
                 "http_path": lambda: HttpPathFilter(tuple(values), search=True),
                 "traffic_direction": lambda: any_of(*(DirectionFilter(v) for v in values))}
    return factories[key]()


def _side_filter(side: _Side) -> FlowFilter:
    parts = [_field_filter(k, v) for k, v in side.fields.items()]
    return all_of(*parts) if parts else Everything()


def request_filters(filters: list[tuple[bool, str, str]]) -> tuple[list[dict[str, list[str]]],
                                                                   list[dict[str, list[str]]]]:
    """The request's whitelist and blacklist FlowFilters (field -> values), as `getFlowsRequest` builds them."""
    allow, deny = _Tracker(), _Tracker()
    for negated, name, value in filters:
        (deny if negated else allow).set(name, value)
    return [s.fields for s in allow.materialise()], [s.fields for s in deny.materialise()]


def build_selection(filters: list[tuple[bool, str, str]]) -> FlowFilter:
    """The `--not`-aware filter flags -> one filter (whitelist OR'ed, blacklist negated)."""
    allow, deny = request_filters(filters)
    parts: list[FlowFilter] = []
    try:
        wl = [_side_filter(_Side(s)) for s in allow]
        bl = [_side_filter(_Side(s)) for s in deny]
    except ValueError as exc:
        raise ObserveError(str(exc)) from None
    if wl:
        parts.append(any_of(*wl))
    if bl:
        parts.append(Not(any_of(*bl)))
    return all_of(*parts) if parts else Everything()


_DURATION = re.compile(r"^(?:(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_when(text: str, now: datetime) -> datetime:
    """hubble `hubtime.FromString`: a Go duration before now (`5m`, `1h30m`) or an RFC 3339 time."""
    if _DURATION.match(text):
        seconds = sum(float(n) * _UNIT[u] for n, u in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text))
        return now - timedelta(seconds=seconds)
    try:
        return parse_time(text if any(c in text for c in "Zz+") or text.count("-") > 2 else text + "Z")
    except (FlowParseError, ValueError):
        pass
    try:
        value = datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    except ValueError:
        raise ObserveError(f'time "{text}" is neither a duration such as 5m or 1h30m nor an RFC 3339 time') from None


def observe(argv: list[str], cluster: Any, *, now: datetime | None = None) -> CommandResult:
    """Run `hubble observe ARGV` against `cluster.flows()`."""
    try:
        parsed = parse_flags(argv, FLAGS)
    except FlagError as exc:
        return CommandResult(stderr=f"Error: {exc}\n", exit_code=1)
    if parsed.positional:
        return CommandResult(stderr=f'Error: unknown command "{parsed.positional[0]}" for "hubble observe"\n',
                             exit_code=1)
    if parsed.unsupported:
        return CommandResult(stderr=f"Error: {', '.join(parsed.unsupported)}: not available here\n"
                                    f"{SIM_NOTE} (hubble observe {', '.join(parsed.unsupported)}).\n", exit_code=1)
    values, bools = parsed.values, parsed.bools
    untranslated = [shown for shown, on in (("--numeric", "numeric" in bools),
                                            ("--ip-translation=false", "ip-translation" in parsed.switched_off),
                                            ("--color always", values.get("color") == "always")) if on]
    if untranslated:  # the printer here always shows names, never colours (`--color auto` off a terminal)
        return CommandResult(stderr=f"Error: {', '.join(untranslated)}: not available here\n"
                                    f"{SIM_NOTE} (hubble observe {', '.join(untranslated)}).\n", exit_code=1)
    now = now or datetime.now(timezone.utc)
    output = "jsonpb" if "json" in bools else values.get("output", "compact")
    if output not in OUTPUTS:
        return CommandResult(stderr=f"Error: invalid output format: {output}\n", exit_code=1)
    notes = ""
    follow = "follow" in bools
    if follow and output in ("table", "tab"):
        return CommandResult(stderr="Error: table output format is not compatible with follow mode\n", exit_code=1)
    if follow:
        notes += ("note: --follow: the simulated cluster records flows only when a probe or command runs, "
                  "so there is no live stream; these are the flows recorded so far.\n")
    if values.get("time-format", "StampMilli") != "StampMilli":
        return CommandResult(stderr="Error: --time-format other than StampMilli: not available here\n"
                                    f"{SIM_NOTE} (hubble observe --time-format).\n", exit_code=1)
    first, last = int(values.get("first") or 0), int(values.get("last") or 0)
    if first and last:
        return CommandResult(stderr="Error: cannot set both --first and --last\n", exit_code=1)
    if first and "all" in bools:
        return CommandResult(stderr="Error: cannot set both --first and --all\n", exit_code=1)
    if last and "all" in bools:
        return CommandResult(stderr="Error: cannot set both --last and --all\n", exit_code=1)
    try:
        selection = build_selection(parsed.filters)
        since = parse_when(values["since"], now) if "since" in values else None
        until = parse_when(values["until"], now) if "until" in values else None
    except ObserveError as exc:
        return CommandResult(stderr=f"Error: {exc}\n", exit_code=1)
    if "print-raw-filters" in bools:
        from labs.commands.hubble.raw_filters import filters_yaml

        try:
            allow, deny = request_filters(parsed.filters)
            text = filters_yaml(allow, deny)
        except ValueError as exc:
            return CommandResult(stderr=f"Error: {exc}\n", exit_code=1)
        return CommandResult(stdout=text)
    if since is None and until is None and not first and not last:
        last = 0 if "all" in bools else DEFAULT_LAST
    picked = []
    for response in cluster.flows(since=since):
        flow = parse_flow(response)
        if until is not None and flow.time is not None and flow.time > until:
            continue
        if selection.match(flow):
            picked.append(response)
    if first:
        picked = picked[:first]
    elif last:
        picked = picked[-last:]
    printer = FlowPrinter(output, node_name="print-node-name" in bools,
                          policy_names="print-policy-names" in bools)
    text = "".join(printer.write(r) for r in picked) + printer.close()
    return CommandResult(stdout=text, stderr=notes)
