"""Accept what a notebook has at hand (Flows, Edges, Hubble dicts, JSON lines, a ParseResult) and make edges."""

from __future__ import annotations

from typing import Any, Iterable

from labs.flows.aggregate import Edge, aggregate
from labs.flows.filters import FlowFilter
from labs.flows.model import Flow
from labs.flows.parse import FlowParseError, ParseResult, parse_flow, parse_lines

__all__ = ["EdgeKey", "edge_key", "to_flows", "to_edges"]

EdgeKey = tuple[str, str, "int | None", "str | None", "str | None"]


def edge_key(edge: Edge) -> EdgeKey:
    """What identifies a connection regardless of its outcome: source, destination, port, protocol, L7."""
    return (edge.source.id, edge.destination.id, edge.port, edge.protocol, edge.l7)


def to_flows(items: Iterable[Any] | None) -> list[Flow]:
    """Flows from Flow objects, GetFlowsResponse dicts, JSON lines or a ParseResult; bad items raise ValueError."""
    if items is None:
        return []
    if isinstance(items, ParseResult):
        return list(items.flows)
    if isinstance(items, str):
        items = items.splitlines()
    flows: list[Flow] = []
    lines: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, Flow):
            flows.append(item)
        elif isinstance(item, dict):
            try:
                flows.append(parse_flow(item))
            except FlowParseError as exc:
                raise ValueError(f"item {index} is not a Hubble flow: {exc}") from None
        elif isinstance(item, str):
            lines.append(item)
        else:
            raise ValueError(f"item {index} is a {type(item).__name__}; expected Flow, Edge, a Hubble flow dict "
                             "or a JSON line")
    if lines:
        result = parse_lines(lines)
        if result.errors:
            raise ValueError(result.errors[0][1])
        flows.extend(result.flows)
    return flows


def to_edges(items: Iterable[Any] | None, flow_filter: FlowFilter | None = None) -> tuple[list[Edge], int]:
    """(edges, number of flows read); Edges pass through as they are (a filter cannot apply to them)."""
    if items is None:
        return [], 0
    items = list(items) if not isinstance(items, (ParseResult, str)) else items
    if isinstance(items, list) and items and all(isinstance(i, Edge) for i in items):
        if flow_filter is not None:
            raise ValueError("filters apply to flows, not to edges; pass the flows instead")
        return list(items), 0
    flows = to_flows(items)
    read = len(flows)
    if flow_filter is not None:
        flows = [f for f in flows if flow_filter.match(f)]
    return aggregate(flows), read
