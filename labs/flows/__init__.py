"""Hubble flows: parse `hubble observe -o jsonpb` output, filter it like `hubble observe`, fold it into edges.

Both backends produce the same JSON (the simulated cluster writes Hubble-format flows for every
probe), so everything here works the same on a laptop and on the VM.
"""

from __future__ import annotations

from labs.flows.aggregate import Edge, aggregate, l7_summary
from labs.flows.classify import FlowOutcome, Node, classify, node_for
from labs.flows.filters import (
    AllOf,
    AnyOf,
    Everything,
    FlowFilter,
    Not,
    all_of,
    any_of,
    negate,
)
from labs.flows.model import L4, L7, DnsInfo, Endpoint, Flow, HttpInfo, PolicyRef
from labs.flows.options import FilterOptionError, build_filter
from labs.flows.parse import FlowParseError, ParseResult, parse_flow, parse_lines
from labs.flows.render import flow_line, flow_to_dict

__all__ = [
    "AllOf",
    "AnyOf",
    "DnsInfo",
    "Edge",
    "Endpoint",
    "Everything",
    "FilterOptionError",
    "Flow",
    "FlowFilter",
    "FlowOutcome",
    "FlowParseError",
    "HttpInfo",
    "L4",
    "L7",
    "Node",
    "Not",
    "ParseResult",
    "PolicyRef",
    "aggregate",
    "all_of",
    "any_of",
    "build_filter",
    "classify",
    "flow_line",
    "flow_to_dict",
    "l7_summary",
    "negate",
    "node_for",
    "parse_flow",
    "parse_lines",
]
