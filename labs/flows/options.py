"""Build a flow filter from `hubble observe`-style options (CLI flags, widget fields, keyword arguments).

One table maps each option to its filter, so the command line, `FlowTail(filters=...)` and the
docs cannot drift apart.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Mapping

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
    NamespaceFilter,
    PodFilter,
    PortFilter,
    ProtocolFilter,
    ReplyFilter,
    VerdictFilter,
    all_of,
    any_of,
)

__all__ = ["FILTER_OPTIONS", "FilterOptionError", "build_filter", "add_filter_arguments", "filter_from_args"]


class FilterOptionError(ValueError):
    """An option name or value that does not make a filter; nothing was filtered."""


def _sided(factory: Callable[..., FlowFilter], side: str) -> Callable[[list[str]], FlowFilter]:
    return lambda values: factory(tuple(values), side)


def _labels(side: str) -> Callable[[list[str]], FlowFilter]:
    return lambda values: any_of(*(LabelFilter(v, side) for v in values))


def _reply(values: list[str]) -> FlowFilter:
    words = {"true": True, "yes": True, "false": False, "no": False}
    value = values[-1].lower()
    if value not in words:
        raise ValueError(f"is-reply value {values[-1]!r} is not true or false")
    return ReplyFilter(words[value])


FILTER_OPTIONS: dict[str, tuple[Callable[[list[str]], FlowFilter], str]] = {
    "namespace": (_sided(NamespaceFilter, "either"), "flows from or to this namespace"),
    "from_namespace": (_sided(NamespaceFilter, "source"), "flows from this namespace"),
    "to_namespace": (_sided(NamespaceFilter, "destination"), "flows to this namespace"),
    "pod": (_sided(PodFilter, "either"), "flows from or to [NAMESPACE/]POD-PREFIX (namespace defaults to 'default')"),
    "from_pod": (_sided(PodFilter, "source"), "flows from [NAMESPACE/]POD-PREFIX"),
    "to_pod": (_sided(PodFilter, "destination"), "flows to [NAMESPACE/]POD-PREFIX"),
    "label": (_labels("either"), "flows from or to endpoints with these labels (KEY=VALUE[,...])"),
    "from_label": (_labels("source"), "flows from endpoints with these labels"),
    "to_label": (_labels("destination"), "flows to endpoints with these labels"),
    "verdict": (lambda v: VerdictFilter(tuple(v)), "FORWARDED, DROPPED, AUDIT, REDIRECTED, ERROR, ..."),
    "protocol": (lambda v: ProtocolFilter(tuple(v)), "tcp, udp, sctp, icmp, icmpv4, icmpv6, http or dns"),
    "type": (lambda v: EventTypeFilter(tuple(v)), "event type: drop, trace, policy-verdict, l7, trace-sock, ..."),
    "http_status": (lambda v: HttpStatusFilter(tuple(v)), "HTTP status code: 403, 4+ or 40+"),
    "http_method": (lambda v: HttpMethodFilter(tuple(v)), "HTTP method: GET, POST, ..."),
    "http_path": (lambda v: HttpPathFilter(tuple(v)), "HTTP path regular expression (whole path)"),
    "port": (_sided(PortFilter, "either"), "source or destination port"),
    "from_port": (_sided(PortFilter, "source"), "source port"),
    "to_port": (_sided(PortFilter, "destination"), "destination port"),
    "fqdn": (_sided(FqdnFilter, "either"), "a DNS name (or *.domain) on either side or in a DNS query"),
    "from_fqdn": (_sided(FqdnFilter, "source"), "a DNS name of the source"),
    "to_fqdn": (_sided(FqdnFilter, "destination"), "a DNS name of the destination"),
    "ip": (_sided(IpFilter, "either"), "source or destination IP address"),
    "from_ip": (_sided(IpFilter, "source"), "source IP address"),
    "to_ip": (_sided(IpFilter, "destination"), "destination IP address"),
    "traffic_direction": (lambda v: DirectionFilter(v[-1]), "ingress or egress"),
    "is_reply": (_reply, "true for replies only, false for requests only"),
}
"""Option name (as a Python identifier; `--from-pod` on the command line) -> (filter factory, help)."""


def build_filter(options: Mapping[str, Any] | None = None, **more: Any) -> FlowFilter:
    """Options (a mapping or keywords, each a value or a list of values) -> one filter; None/empty are ignored."""
    merged = {**(options or {}), **more}
    parts: list[FlowFilter] = []
    for raw_name, value in merged.items():
        name = raw_name.replace("-", "_").lstrip("_")
        if value is None or value == [] or value == ():
            continue
        if name not in FILTER_OPTIONS:
            known = ", ".join(n.replace("_", "-") for n in FILTER_OPTIONS)
            raise FilterOptionError(f"unknown flow filter option {raw_name!r}; known options: {known}")
        values = [str(v) for v in value] if isinstance(value, (list, tuple, set, frozenset)) else [str(value)]
        try:
            parts.append(FILTER_OPTIONS[name][0](values))
        except ValueError as exc:
            raise FilterOptionError(f"--{name.replace('_', '-')}: {exc}") from None
    return all_of(*parts) if parts else Everything()


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--namespace`, `--from-pod`, `--verdict`... (each may be given several times)."""
    group = parser.add_argument_group("filters (as in hubble observe; repeat an option for alternatives)")
    for name, (_factory, help_text) in FILTER_OPTIONS.items():
        group.add_argument("--" + name.replace("_", "-"), dest=f"filter_{name}", action="append", metavar="VALUE",
                           help=help_text)


def filter_from_args(args: argparse.Namespace) -> FlowFilter:
    return build_filter({name: getattr(args, f"filter_{name}", None) for name in FILTER_OPTIONS})
