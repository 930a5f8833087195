"""Verdicts: the outcome of traffic under policy, per direction, with the rule that decided it.

The engine fills these in as it decides; `explain` and the checks only format what is here, so an
explanation never re-derives a verdict. `trace()` is the one-line-per-step story a trainee reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from labs.outcomes import Outcome
from labs.policy.build import RuleRef

__all__ = ["POLICY_DENIED", "POLICY_DENY", "DirectionVerdict", "Verdict"]

POLICY_DENIED = "POLICY_DENIED"
"""Hubble drop reason 133: no rule allowed it under default deny."""
POLICY_DENY = "POLICY_DENY"
"""Hubble drop reason 181: an explicit deny rule matched."""


@dataclass(frozen=True)
class DirectionVerdict:
    """The decision for one direction: egress at the source, or ingress at the destination."""

    direction: str
    endpoint: str
    """Whose policy this is (`ns/pod`)."""
    outcome: Outcome
    reason: str
    """One sentence saying why."""
    enforced: bool = False
    default_deny: bool = False
    selected_by: tuple[str, ...] = ()
    """`Kind ns/name` of every policy with a rule item selecting the endpoint in this direction."""
    default_deny_by: tuple[str, ...] = ()
    rule: RuleRef | None = None
    """The rule item that allowed or denied; None for default deny or no enforcement."""
    matched: str = ""
    """What of the rule matched: peer selector, port, L7 rule."""
    drop_reason: str | None = None
    l7: str | None = None
    """"http" or "dns" when the traffic went through the proxy."""
    l7_rules: tuple[str, ...] = ()
    """The L7 rules in force, written out, for denied requests."""
    lifted_by: RuleRef | None = None
    """An L4-only rule on the same port that lifted the L7 restriction."""
    audited: bool = False
    """Policy audit mode let an L3/L4 drop through (Hubble verdict AUDIT); `drop_reason` says what it
    would have been. See `labs.policy.audit`."""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    @cached_property
    def denial(self) -> str:
        """How an attempt's reason reads when this direction denied it."""
        return f"{self.direction} at {self.endpoint}: {self.reason}"

    @cached_property
    def summary(self) -> str:
        """How this direction reads in an allowed attempt's reason."""
        return f"{self.direction}: {self.reason}"

    def line(self) -> str:
        return f"{self.direction} at {self.endpoint}: {self.outcome.value} — {self.reason}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The whole decision for one attempt.

    Slotted: a connectivity matrix holds one per cell, and with no per-object dict the cyclic
    collector has half as many objects to walk.
    """

    outcome: Outcome
    reason: str
    egress: DirectionVerdict | None = None
    ingress: DirectionVerdict | None = None
    source: str = ""
    destination: str = ""
    traffic: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def decided_by(self) -> DirectionVerdict | None:
        """The direction that denied, or the last one that allowed."""
        for d in (self.egress, self.ingress):
            if d is not None and not d.allowed:
                return d
        return self.ingress or self.egress

    @property
    def drop_reason(self) -> str | None:
        d = self.decided_by
        return d.drop_reason if d else None

    def trace(self) -> list[str]:
        lines = [f"{self.source} -> {self.destination} ({self.traffic})"]
        for d in (self.egress, self.ingress):
            if d is not None:
                lines.append("  " + d.line())
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.append(f"  => {self.outcome.value}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.trace())
