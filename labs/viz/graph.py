"""The flow graph: workloads as nodes grouped by namespace, aggregated flows as edges coloured by outcome.

`flow_graph(...)` returns a FlowGraph; a notebook cell shows it (an offline iframe), `.html` is
the standalone page, `.save(path)` writes it. With `before=` it draws what changed between two
flow sets (a policy applied in between, say): new edges, edges whose outcome changed, edges gone.
"""

from __future__ import annotations

import html as html_lib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from labs.flows.aggregate import Edge
from labs.flows.classify import FlowOutcome, Node
from labs.flows.filters import FlowFilter
from labs.viz.inputs import EdgeKey, edge_key, to_edges
from labs.viz.offline import iframe, message_box, strip_external
from labs.viz.palette import (
    ENTITY_COLORS,
    FLOW_OUTCOME_COLORS,
    FLOW_OUTCOME_DASHES,
    NODE_SHAPES,
    namespace_color,
)

__all__ = ["FlowGraph", "EdgeChange", "flow_graph"]

RANDOM_SEED = 42
"""Fixed so that the same flows always give the same picture."""


@dataclass(frozen=True)
class EdgeChange:
    """How one connection (source, destination, port, protocol, L7) differs between before and after."""

    key: EdgeKey
    before: tuple[FlowOutcome, ...]
    after: tuple[FlowOutcome, ...]

    @property
    def status(self) -> str:
        if not self.before:
            return "new"
        if not self.after:
            return "gone"
        return "same" if set(self.before) == set(self.after) else "changed"

    def describe(self) -> str:
        source, destination, port, protocol, l7 = self.key
        where = f"{source} -> {destination}"
        if port is not None:
            where += f" {port}/{protocol}" if protocol else f" {port}"
        elif protocol:
            where += f" {protocol}"
        if l7:
            where += f" {l7}"
        was = ", ".join(o.value for o in self.before) or "not seen"
        now = ", ".join(o.value for o in self.after) or "not seen"
        return f"{where}: {was} -> {now}"


@dataclass
class FlowGraph:
    """A drawable set of edges; shows itself in notebooks, or says why there is nothing to show."""

    edges: list[Edge]
    title: str = ""
    before: list[Edge] | None = None
    reason: str | None = None
    """Why there is nothing to draw (set when `edges` and `before` are empty)."""
    height: int = 560
    _page: str | None = field(default=None, repr=False)

    @property
    def is_empty(self) -> bool:
        return not self.edges and not self.before

    @property
    def nodes(self) -> list[Node]:
        """Every node of the edges (after and before), sorted by id."""
        found: dict[str, Node] = {}
        for edge in [*self.edges, *(self.before or [])]:
            found.setdefault(edge.source.id, edge.source)
            found.setdefault(edge.destination.id, edge.destination)
        return [found[k] for k in sorted(found)]

    @property
    def changes(self) -> list[EdgeChange]:
        """With `before`: every connection whose outcome set differs (new, changed or gone)."""
        if self.before is None:
            return []
        return [c for c in _compare(self.before, self.edges) if c.status != "same"]

    @property
    def html(self) -> str:
        """The standalone page (everything inline, no external URL)."""
        if self._page is None:
            self._page = _message_page(self) if self.is_empty else _build_page(self)
        return self._page

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(self.html, encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        if self.is_empty:
            return message_box(self.title or "Flow graph", self.reason or _NOTHING)
        return iframe(self.html, height=self.height + 70, title=self.title or "flow graph")

    def __str__(self) -> str:
        if self.is_empty:
            return f"{self.title or 'Flow graph'}: {self.reason or _NOTHING}"
        lines = [f"{self.title or 'Flow graph'}: {len(self.nodes)} nodes, {len(self.edges)} edges"]
        lines += [f"  {e.describe()}" for e in self.edges]
        if self.before is not None:
            lines.append(f"  changes since before: {len(self.changes)}")
            lines += [f"    {c.describe()}" for c in self.changes]
        return "\n".join(lines)


_NOTHING = "No flows in this window: nothing was observed yet. Run a probe, or widen the time window."


def flow_graph(flows_or_edges: Iterable[Any] | None, *, title: str = "", before: Iterable[Any] | None = None,
               filters: FlowFilter | None = None, reason: str | None = None, height: int = 560) -> FlowGraph:
    """Build a FlowGraph from Flows, Edges, GetFlowsResponse dicts, JSON lines or a ParseResult.

    `filters` keeps only matching flows (and names itself if nothing is left); `reason` is what
    to say when there is nothing to draw (e.g. "Hubble is unreachable: ..."); `before` is an
    earlier flow set to compare with.
    """
    edges, read = to_edges(flows_or_edges, filters)
    before_edges = None if before is None else to_edges(before, filters)[0]
    if not edges and not before_edges and reason is None:
        if filters is not None and read:
            reason = (f"No flow matches the filter ({filters.describe()}); {read} flow{'s' if read != 1 else ''} "
                      "were read. Loosen the filter to see them.")
        else:
            reason = _NOTHING
    return FlowGraph(edges, title, before_edges, reason, height)


def _compare(before: list[Edge], after: list[Edge]) -> list[EdgeChange]:
    outcomes: dict[EdgeKey, tuple[list[FlowOutcome], list[FlowOutcome]]] = {}
    for index, edges in enumerate((before, after)):
        for edge in edges:
            pair = outcomes.setdefault(edge_key(edge), ([], []))
            if edge.outcome not in pair[index]:
                pair[index].append(edge.outcome)
    return [EdgeChange(k, tuple(b), tuple(a)) for k, (b, a) in sorted(outcomes.items(), key=lambda kv: str(kv[0]))]


def _node_dict(node: Node, order: list[str], degree: dict[str, int], position: tuple[float, float]) -> dict[str, Any]:
    if node.kind == "workload":
        color = namespace_color(node.namespace, order)
        label = node.label
        kind_text = f"workload in namespace {node.namespace}"
    else:
        color = ENTITY_COLORS.get(node.kind, ENTITY_COLORS["unknown"])
        label = node.label if node.kind != "kube-dns" else f"{node.label}\n(kube-dns)"
        kinds = {"fqdn": "DNS name outside the cluster", "world": "address outside the cluster (world)",
                 "kube-dns": f"cluster DNS in namespace {node.namespace}"}
        kind_text = kinds.get(node.kind, f"Cilium entity {node.kind}")
    x, y = position
    return {
        "id": node.id,
        "label": label,
        "title": f"{node.id}\n{kind_text}\n{degree.get(node.id, 0)} edge(s)",
        "shape": NODE_SHAPES.get(node.kind, "ellipse"),
        "color": {"background": color, "border": "#37474f", "highlight": {"background": color, "border": "#000"}},
        "group": node.namespace or node.kind,
        "size": 18 if node.kind == "workload" else 16,
        "font": {"size": 14, "color": "#212121", "strokeWidth": 3, "strokeColor": "#ffffff"},
        "x": round(x, 1),
        "y": round(y, 1),
    }


def _layout(nodes: list[Node]) -> dict[str, tuple[float, float]]:
    """Namespaces around a circle, their workloads in a small ring; names and entities in a column on the right."""
    namespaces: dict[str, list[Node]] = {}
    outside: list[Node] = []
    for node in nodes:
        if node.namespace is not None:
            namespaces.setdefault(node.namespace, []).append(node)
        else:
            outside.append(node)
    positions: dict[str, tuple[float, float]] = {}
    count = max(len(namespaces), 1)
    big = 0 if count == 1 else 170 + 40 * count
    for index, name in enumerate(sorted(namespaces)):
        angle = 2 * math.pi * index / count + math.pi
        cx, cy = big * math.cos(angle), big * math.sin(angle)
        members = namespaces[name]
        small = 0 if len(members) == 1 else 70 + 14 * len(members)
        for j, node in enumerate(members):
            inner = 2 * math.pi * j / len(members) - math.pi / 2
            positions[node.id] = (cx + small * math.cos(inner), cy + small * math.sin(inner))
    right = big + 320
    for j, node in enumerate(outside):
        positions[node.id] = (right, (j - (len(outside) - 1) / 2) * 110)
    return positions


def _edge_label(edge: Edge) -> str:
    head = edge.l7 or edge.port_label
    return f"{head} ×{edge.count}" if head else f"×{edge.count}"


def _edge_title(edge: Edge, note: str = "") -> str:
    lines = [f"{edge.source.id} → {edge.destination.id}"]
    what = " ".join(p for p in (edge.port_label, edge.l7 or "") if p)
    if what:
        lines.append(what)
    lines.append(f"{edge.outcome.value}: {edge.count} flow{'s' if edge.count != 1 else ''}")
    if edge.policies:
        lines.append("decided by " + ", ".join(edge.policies))
    elif edge.outcome is FlowOutcome.DEFAULT_DENY:
        lines.append("no rule allows it (default deny)")
    if edge.drop_reasons:
        lines.append("drop reason: " + ", ".join(edge.drop_reasons))
    if edge.http_codes:
        lines.append("HTTP status: " + ", ".join(map(str, edge.http_codes)))
    if edge.first_seen and edge.last_seen:
        lines.append(f"seen {edge.first_seen:%H:%M:%S} – {edge.last_seen:%H:%M:%S} UTC")
    if note:
        lines.append(note)
    return "\n".join(lines)


def _edge_dicts(graph: FlowGraph) -> list[dict[str, Any]]:
    changes = {c.key: c for c in _compare(graph.before, graph.edges)} if graph.before is not None else {}
    drawn: list[tuple[Edge, str, str]] = [(e, "after", "") for e in graph.edges]
    if graph.before is not None:
        for edge in graph.before:
            if changes[edge_key(edge)].status == "gone":
                drawn.append((edge, "gone", ""))
    per_pair: dict[tuple[str, str], int] = {}
    result = []
    for edge, state, _ in drawn:
        pair = (edge.source.id, edge.destination.id)
        index = per_pair.get(pair, 0)
        per_pair[pair] = index + 1
        color = FLOW_OUTCOME_COLORS[edge.outcome]
        label = _edge_label(edge)
        note = ""
        width = 1.5 + min(math.log2(edge.count + 1), 4)
        change = changes.get(edge_key(edge))
        if state == "gone":
            color, label, note = "#bdbdbd", f"before only: {edge.outcome.value}", "seen before, not after"
        elif change is not None and change.status == "new":
            label, note, width = f"new: {label}", "new since before", width + 2
        elif change is not None and change.status == "changed":
            was = ", ".join(o.value for o in change.before)
            label, note, width = f"was {was}: {label}", f"before: {was}", width + 2
        result.append({
            "from": edge.source.id,
            "to": edge.destination.id,
            "label": label,
            "title": _edge_title(edge, note),
            "color": {"color": color, "highlight": color, "hover": color},
            "dashes": state == "gone" or FLOW_OUTCOME_DASHES[edge.outcome],
            "width": round(width, 2),
            "arrows": "to",
            "font": {"size": 13, "align": "horizontal", "color": "#212121", "strokeWidth": 3, "strokeColor": "#ffffff"},
            "smooth": {"enabled": True, "type": "curvedCW", "roundness": round(0.1 + 0.22 * index, 2)},
        })
    return result


_OPTIONS = {
    "layout": {"randomSeed": RANDOM_SEED, "improvedLayout": False},
    "physics": {
        "enabled": True,
        "solver": "barnesHut",
        "barnesHut": {"gravitationalConstant": -7000, "springLength": 180, "springConstant": 0.03,
                      "avoidOverlap": 0.4, "centralGravity": 0.15},
        "stabilization": {"enabled": True, "iterations": 250, "fit": True},
    },
    "interaction": {"hover": True, "tooltipDelay": 80, "navigationButtons": False, "multiselect": True},
    "edges": {"selectionWidth": 2},
}


def _legend(graph: FlowGraph, order: list[str]) -> str:
    present = {e.outcome for e in [*graph.edges, *(graph.before or [])]}
    items = []
    for outcome in FlowOutcome:
        if outcome in present:
            color = FLOW_OUTCOME_COLORS[outcome]
            style = "dashed" if FLOW_OUTCOME_DASHES[outcome] else "solid"
            items.append(f'<span class="item"><span class="line" style="border-top:3px {style} {color}"></span>'
                         f"{html_lib.escape(outcome.value)}</span>")
    for name in order:
        items.append(f'<span class="item"><span class="dot" style="background:{namespace_color(name, order)}">'
                     f"</span>{html_lib.escape(name)}</span>")
    return "".join(items)


_STYLE = """
body{margin:0;font-family:-apple-system,Segoe UI,Roboto,sans-serif;background:#fff}
.labs-head{padding:6px 10px 2px 10px;font-size:13px;color:#212121}
.labs-head .title{font-weight:600;font-size:15px;margin-right:10px}
.labs-head .item{display:inline-flex;align-items:center;margin:2px 10px 2px 0;white-space:nowrap}
.labs-head .line{display:inline-block;width:22px;margin-right:5px}
.labs-head .dot{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:5px;border:1px solid #37474f}
.labs-changes{padding:0 10px 4px 10px;font-size:12px;color:#37474f}
div.vis-tooltip{white-space:pre-line;font-family:-apple-system,Segoe UI,Roboto,sans-serif;font-size:12px}
#mynetwork{border:0 !important}
.card{border:0 !important}
"""


def _build_page(graph: FlowGraph) -> str:
    from pyvis.network import Network  # imported here: 0.3 s, only when a graph is drawn

    nodes = graph.nodes
    order = sorted({n.namespace for n in nodes if n.kind == "workload" and n.namespace})
    degree: dict[str, int] = {}
    for edge in graph.edges:
        degree[edge.source.id] = degree.get(edge.source.id, 0) + 1
        degree[edge.destination.id] = degree.get(edge.destination.id, 0) + 1
    positions = _layout(nodes)
    net = Network(height=f"{graph.height}px", width="100%", directed=True, cdn_resources="in_line", heading="")
    # Nodes and edges are appended directly: pyvis' add_edge checks membership in a list per call.
    for node in nodes:
        net.nodes.append(_node_dict(node, order, degree, positions[node.id]))
        net.node_ids.append(node.id)
        net.node_map[node.id] = net.nodes[-1]
    net.edges.extend(_edge_dicts(graph))
    net.set_options(json.dumps(_OPTIONS))
    page = strip_external(net.generate_html())
    head = f'<div class="labs-head"><span class="title">{html_lib.escape(graph.title)}</span>' if graph.title else (
        '<div class="labs-head">')
    head += _legend(graph, order) + "</div>"
    changes = graph.changes
    if graph.before is not None:
        text = "; ".join(c.describe() for c in changes[:6]) or "no change between before and after"
        more = f" (and {len(changes) - 6} more)" if len(changes) > 6 else ""
        head += f'<div class="labs-changes">{len(changes)} change(s): {html_lib.escape(text + more)}</div>'
    page = page.replace("</head>", f"<style>{_STYLE}</style></head>", 1)
    return page.replace("<body>", "<body>" + head, 1)


def _message_page(graph: FlowGraph) -> str:
    box = message_box(graph.title or "Flow graph", graph.reason or _NOTHING)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html_lib.escape(graph.title or "flow graph")}'
            f"</title></head><body style=\"margin:0;padding:8px\">{box}</body></html>")
