"""Fold many flows into a few edges: who talked to whom, on which port, what happened, how often.

An edge is keyed by source node, destination node, destination port, L4 protocol, L7 summary
(`GET /api`, `DNS api.github.com`) and outcome, so an allowed and a denied request between the
same two workloads stay two edges. Replies are left out by default: they run backwards and
would double every connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from labs.flows.classify import FlowOutcome, Node, classify, node_for
from labs.flows.model import Flow

__all__ = ["Edge", "aggregate", "l7_summary"]


@dataclass(frozen=True)
class Edge:
    """Flows between two nodes with the same port, protocol, L7 summary and outcome."""

    source: Node
    destination: Node
    port: int | None
    protocol: str | None
    """The L4 protocol: TCP, UDP, SCTP, ICMPv4, ICMPv6 (None when the flows had no L4 record)."""
    l7: str | None
    """`GET /api/v1/products` or `DNS api.github.com` for L7 flows, else None."""
    outcome: FlowOutcome
    count: int
    policies: tuple[str, ...] = ()
    """Policies Hubble names as deciding (allowed_by for forwarded flows, denied_by for denied ones)."""
    drop_reasons: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()
    http_codes: tuple[int, ...] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    @property
    def port_label(self) -> str:
        """`8080/TCP`, `ICMPv4`, or '' when unknown."""
        if self.port is not None:
            return f"{self.port}/{self.protocol}" if self.protocol else str(self.port)
        return self.protocol or ""

    def describe(self) -> str:
        """One line: `frontend/client -> backend/api 8080/TCP GET /api: forwarded x3`."""
        parts = [f"{self.source.id} -> {self.destination.id}"]
        if self.port_label:
            parts.append(self.port_label)
        if self.l7:
            parts.append(self.l7)
        text = " ".join(parts) + f": {self.outcome.value} x{self.count}"
        if self.policies:
            text += f" (by {', '.join(self.policies)})"
        elif self.drop_reasons:
            text += f" ({', '.join(self.drop_reasons)})"
        return text


def l7_summary(flow: Flow) -> str | None:
    """`GET /path` for HTTP, `DNS name` for DNS, None for L3/L4 flows."""
    l7 = flow.l7
    if l7 is None:
        return None
    if l7.http is not None:
        method = l7.http.method or "HTTP"
        path = l7.http.path
        return f"{method} {path}" if path else method
    if l7.dns is not None:
        return f"DNS {l7.dns.query}" if l7.dns.query else "DNS"
    return None


class _Acc:
    __slots__ = (
        "codes",
        "count",
        "destination",
        "first",
        "l7",
        "last",
        "outcome",
        "policies",
        "port",
        "protocol",
        "reasons",
        "source",
        "verdicts",
    )

    def __init__(self, source: Node, destination: Node, port: int | None, protocol: str | None, l7: str | None,
                 outcome: FlowOutcome):
        self.source, self.destination, self.port, self.protocol, self.l7 = source, destination, port, protocol, l7
        self.outcome = outcome
        self.count = 0
        self.policies: dict[str, None] = {}
        self.reasons: dict[str, None] = {}
        self.verdicts: dict[str, None] = {}
        self.codes: dict[int, None] = {}
        self.first: datetime | None = None
        self.last: datetime | None = None

    def freeze(self) -> Edge:
        edge = object.__new__(Edge)
        edge.__dict__.update(  # a frozen dataclass filled in one step: thousands of edges per call
            source=self.source, destination=self.destination, port=self.port, protocol=self.protocol, l7=self.l7,
            outcome=self.outcome, count=self.count, policies=tuple(self.policies), drop_reasons=tuple(self.reasons),
            verdicts=tuple(self.verdicts), http_codes=tuple(sorted(self.codes)), first_seen=self.first,
            last_seen=self.last)
        return edge


def aggregate(flows: Iterable[Flow], *, include_replies: bool = False) -> list[Edge]:
    """Edges sorted by source, destination, port and outcome; each counts the flows it stands for.

    With `include_replies=True` reply flows are counted too, drawn in the direction they travel.
    """
    nodes: dict[int, Node] = {}
    names: dict[object, str] = {}
    accs: dict[tuple[object, ...], _Acc] = {}
    for flow in flows:
        if flow.is_reply and not include_replies:
            continue
        source, destination = flow.source, flow.destination
        src = nodes.get(id(source))
        if src is None:
            src = nodes[id(source)] = node_for(source)
        dst = nodes.get(id(destination))
        if dst is None:
            dst = nodes[id(destination)] = node_for(destination)
        l4 = flow.l4
        port = protocol = None
        if l4 is not None:
            port, protocol = l4.destination_port, l4.protocol
        l7 = l7_summary(flow) if flow.l7 is not None else None
        outcome = classify(flow)
        key = (src.id, dst.id, port, protocol, l7, outcome)
        acc = accs.get(key)
        if acc is None:
            acc = accs[key] = _Acc(src, dst, port, protocol, l7, outcome)
        acc.count += 1
        acc.verdicts[flow.verdict] = None
        if outcome is FlowOutcome.FORWARDED:
            refs = flow.ingress_allowed_by + flow.egress_allowed_by
        else:
            refs = flow.ingress_denied_by + flow.egress_denied_by
        for ref in refs:
            name = names.get(ref)
            if name is None:
                name = names[ref] = str(ref)
            acc.policies[name] = None
        if flow.drop_reason:
            acc.reasons[flow.drop_reason] = None
        if flow.l7 is not None and flow.l7.http is not None and flow.l7.http.code is not None:
            acc.codes[flow.l7.http.code] = None
        time = flow.time
        if time is not None:
            if acc.first is None or time < acc.first:
                acc.first = time
            if acc.last is None or time > acc.last:
                acc.last = time
    edges = [acc.freeze() for acc in accs.values()]
    edges.sort(key=lambda e: (e.source.id, e.destination.id, e.port or 0, e.protocol or "", e.l7 or "",
                              e.outcome.value))
    return edges
