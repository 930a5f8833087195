"""Colours and shapes shared by the graph, the matrix, the timeline and the widgets.

One outcome always has one colour, whichever picture a trainee looks at. Colours are chosen
to stay apart for the common kinds of colour blindness, and every picture also says the word.
"""

from __future__ import annotations

from labs.flows.classify import FlowOutcome
from labs.outcomes import AUDIT_COLOR, DENY_RULE_COLOR, NOT_POLICY_DROP_COLOR, Outcome

__all__ = [
    "OUTCOME_COLORS",
    "FLOW_OUTCOME_COLORS",
    "FLOW_OUTCOME_DASHES",
    "NODE_SHAPES",
    "NAMESPACE_COLORS",
    "ENTITY_COLORS",
    "NOT_PROBED_COLOR",
    "namespace_color",
]

OUTCOME_COLORS: dict[Outcome, str] = {o: o.color for o in Outcome}
"""Defined once, on `Outcome` (labs/outcomes.py)."""
NOT_PROBED_COLOR = "#eeeeee"

FLOW_OUTCOME_COLORS: dict[FlowOutcome, str] = {
    FlowOutcome.FORWARDED: OUTCOME_COLORS[Outcome.ALLOWED],
    FlowOutcome.DEFAULT_DENY: OUTCOME_COLORS[Outcome.DROPPED],
    FlowOutcome.EXPLICIT_DENY: DENY_RULE_COLOR,
    FlowOutcome.L7_DENIED: OUTCOME_COLORS[Outcome.L7_DENIED],
    FlowOutcome.REFUSED: OUTCOME_COLORS[Outcome.REFUSED],
    FlowOutcome.AUDIT: AUDIT_COLOR,
    FlowOutcome.DROPPED_OTHER: NOT_POLICY_DROP_COLOR,
    FlowOutcome.ERROR: OUTCOME_COLORS[Outcome.ERROR],
}
FLOW_OUTCOME_DASHES: dict[FlowOutcome, bool] = {o: o in (FlowOutcome.DEFAULT_DENY, FlowOutcome.AUDIT)
                                               for o in FlowOutcome}
"""Default-deny drops and audit flows are dashed: nothing explicit decided them."""

NODE_SHAPES: dict[str, str] = {
    "workload": "dot",
    "kube-dns": "diamond",
    "fqdn": "box",
    "world": "triangle",
    "host": "square",
    "remote-node": "square",
    "kube-apiserver": "hexagon",
    "ingress": "triangleDown",
    "health": "star",
    "unmanaged": "star",
    "init": "star",
    "unknown": "ellipse",
}
ENTITY_COLORS: dict[str, str] = {
    "kube-dns": "#00838f",
    "fqdn": "#fff59d",
    "world": "#90a4ae",
    "host": "#455a64",
    "remote-node": "#607d8b",
    "kube-apiserver": "#37474f",
    "unknown": "#bdbdbd",
}
NAMESPACE_COLORS = ("#64b5f6", "#81c784", "#ba68c8", "#ffb74d", "#4db6ac", "#f06292", "#a1887f", "#9575cd",
                    "#aed581", "#4fc3f7", "#ffd54f", "#e57373")


def namespace_color(namespace: str | None, order: list[str]) -> str:
    """A stable colour per namespace: by its position in `order` (sorted names), cycling if needed."""
    if namespace is None or namespace not in order:
        return ENTITY_COLORS["unknown"]
    return NAMESPACE_COLORS[order.index(namespace) % len(NAMESPACE_COLORS)]
