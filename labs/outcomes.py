"""The outcome words used everywhere: probes, checks, scenarios, CLI output and plots.

A probe ends in exactly one of these. `dropped`, `l7-denied` and `refused` are policy verdicts;
`error` never is (pod missing, connection refused, exec failed) and always comes with a reason.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Outcome", "parse_outcome"]


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
    def is_policy_verdict(self) -> bool:
        return self is not Outcome.ERROR

    def __str__(self) -> str:
        return self.value


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
