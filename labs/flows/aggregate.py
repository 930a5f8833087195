"""Fold many flows into a few edges: who talked to whom, on which port, what happened, how often.

An edge is keyed by source node, destination node, destination port, L4 protocol, L7 summary
(`GET /api`, `DNS api.github.com`) and outcome, so an allowed and a denied request between the
same two workloads stay two edges. Replies are left out by default: they run backwards and
would double every connection.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from labs.flows.classify import FlowOutcome, Node, classify, node_for
from labs.flows.model import Endpoint, Flow, PolicyRef

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
    collecting = gc.isenabled()
    if collecting:  # no reference cycles here either; a collection would walk every flow the caller holds
        gc.disable()
    try:
        return _aggregate(flows, include_replies)
    finally:
        if collecting:
            gc.enable()


def _aggregate(flows: Iterable[Flow], include_replies: bool) -> list[Edge]:
    # Look-ups by id(): a lab's thousands of flows share a few endpoint and policy objects. Each
    # entry keeps its object, so an id reused after a flow from a generator is freed cannot match.
    nodes: dict[int, tuple[Endpoint, Node, str]] = {}
    names: dict[int, tuple[PolicyRef, str]] = {}
    accs: dict[tuple[object, ...], _Acc] = {}
    forwarded = FlowOutcome.FORWARDED
    for flow in flows:
        if flow.is_reply and not include_replies:
            continue
        source = flow.source
        entry = nodes.get(id(source))
        if entry is None or entry[0] is not source:
            node = node_for(source)
            entry = nodes[id(source)] = (source, node, node.id)
        src, src_id = entry[1], entry[2]
        destination = flow.destination
        entry = nodes.get(id(destination))
        if entry is None or entry[0] is not destination:
            node = node_for(destination)
            entry = nodes[id(destination)] = (destination, node, node.id)
        dst, dst_id = entry[1], entry[2]
        l4 = flow.l4
        if l4 is not None:
            port, protocol = l4.destination_port, l4.protocol
        else:
            port = protocol = None
        l7 = flow.l7
        verdict = flow.verdict
        if l7 is None:
            summary = None
            # the common case of classify(), decided here without the call
            outcome = forwarded if verdict == "FORWARDED" else classify(flow)
        else:
            summary = l7_summary(flow)
            outcome = classify(flow)
        # keyed by the plain string value: a str-Enum member hashes through the slower subclass slot
        key = (src_id, dst_id, port, protocol, summary, outcome._value_)
        acc = accs.get(key)
        if acc is None:
            acc = accs[key] = _Acc(src, dst, port, protocol, summary, outcome)
        acc.count += 1
        acc.verdicts[verdict] = None
        if outcome is forwarded:
            ingress, egress = flow.ingress_allowed_by, flow.egress_allowed_by
        else:
            ingress, egress = flow.ingress_denied_by, flow.egress_denied_by
        if ingress or egress:
            for ref in ingress + egress:
                named = names.get(id(ref))
                if named is None or named[0] is not ref:
                    named = names[id(ref)] = (ref, str(ref))
                acc.policies[named[1]] = None
        reason = flow.drop_reason
        if reason:
            acc.reasons[reason] = None
        if l7 is not None and l7.http is not None and l7.http.code is not None:
            acc.codes[l7.http.code] = None
        time = flow.time
        if time is not None:
            last = acc.last
            if last is None:  # first and last are set together
                acc.first = acc.last = time
            elif time > last:
                acc.last = time
            elif time < acc.first:  # type: ignore[operator]
                acc.first = time
    edges = [acc.freeze() for acc in accs.values()]
    edges.sort(key=lambda e: (e.source.id, e.destination.id, e.port or 0, e.protocol or "", e.l7 or "",
                              e.outcome.value))
    return edges
