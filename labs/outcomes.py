"""The outcome words used everywhere: probes, checks, scenarios, CLI output and plots.

A probe ends in exactly one of these. `dropped`, `l7-denied` and `refused` are policy verdicts;
`error` never is (pod missing, connection refused, exec failed) and always comes with a reason.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Outcome", "parse_outcome", "DENY_RULE_COLOR", "AUDIT_COLOR", "NOT_POLICY_DROP_COLOR",
           "PASS_COLOR", "WARN_COLOR", "FAIL_COLOR", "NOTE_COLOR", "NOTE_BACKGROUND"]


class Outcome(str, Enum):
    """What a trainee sees when traffic is tried."""

    ALLOWED = "allowed"
    """The connection, request or lookup succeeded."""
    DROPPED = "dropped"
    """An L3/L4 policy drop: the client sees a timeout."""
    L7_DENIED = "l7-denied"
    """The HTTP proxy answered 403 "Access denied"."""
    REFUSED = "refused"
    """The DNS proxy answered REFUSED for a name no DNS rule allows."""
    ERROR = "error"
    """Not a policy verdict: the probe could not be run or the peer did not answer properly."""

    @property
    def short(self) -> str:
        """One character for compact matrices."""
        return _SHORT[self]

    @property
    def color(self) -> str:
        """The outcome's colour in every picture and page (graph, matrix, explain, check tables)."""
        return _COLORS[self]

    @property
    def tint(self) -> str:
        """A light shade of `color`, for backgrounds behind text (the colour mixed with 80 % white)."""
        rgb = (int(self.color[i:i + 2], 16) for i in (1, 3, 5))
        return "#" + "".join(f"{round(c + (255 - c) * 0.8):02x}" for c in rgb)

    @property
    def is_policy_verdict(self) -> bool:
        return self is not Outcome.ERROR

    def __str__(self) -> str:
        return self.value


_COLORS = {
    Outcome.ALLOWED: "#2e7d32",
    Outcome.DROPPED: "#c62828",
    Outcome.L7_DENIED: "#ef6c00",
    Outcome.REFUSED: "#f9a825",
    Outcome.ERROR: "#757575",
}
"""Chosen to stay apart for the common kinds of colour blindness; every picture also says the word.

This module is the one place a display takes the colour of a verdict or a result from: the outcomes
above, the finer flow verdicts below, and pass / not yet / fail. tests/viz/test_colours_defined_once.py
fails when a module elsewhere writes one of these colours, or any other non-grey colour, itself."""

DENY_RULE_COLOR = "#7b1fa2"
"""Flows dropped by an ingressDeny/egressDeny rule (purple: a decision, unlike the default-deny red)."""
AUDIT_COLOR = "#1565c0"
"""Flows policy audit mode let through that policy would have dropped."""
NOT_POLICY_DROP_COLOR = "#5d4037"
"""Flows dropped for a reason other than policy (e.g. STALE_OR_UNROUTABLE_IP)."""

PASS_COLOR = _COLORS[Outcome.ALLOWED]
"""A check, quiz or prediction that is right: the green of `allowed`."""
WARN_COLOR = _COLORS[Outcome.L7_DENIED]
"""Not yet right, or a warning: the amber of `l7-denied`."""
FAIL_COLOR = _COLORS[Outcome.DROPPED]
"""A failure or a mismatch: the red of `dropped`."""
NOTE_COLOR = "#0969da"
"""The course's own voice beside a tool's output or a widget (a course note): never a verdict."""
NOTE_BACKGROUND = "#ddf4ff"
"""The light background behind a course note."""

_SHORT = {
    Outcome.ALLOWED: ".",
    Outcome.DROPPED: "X",
    Outcome.L7_DENIED: "4",
    Outcome.REFUSED: "R",
    Outcome.ERROR: "?",
}


def parse_outcome(word: str) -> Outcome:
    """Turn an outcome word from YAML or the command line into an Outcome, or say which words exist."""
    try:
        return Outcome(str(word).strip().lower())
    except ValueError:
        known = ", ".join(o.value for o in Outcome)
        raise ValueError(f"unknown outcome {word!r}; expected one of: {known}") from None
