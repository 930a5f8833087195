"""Why the surprising cells of a matrix came out as they did: `lab.explain_matrix(step)`.

A cell is surprising when a trainee would not have guessed it: it differs from their prediction
when they made one for it; in a pitfall step it differs from what the wrong policy's author meant;
otherwise it is denied (anything but allowed). Each such cell gets
the rule-by-rule account of `labs.explain` and, for a denial, the smallest change that would allow it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Mapping

from labs.course.checks import ProbeCheck
from labs.course.views import column_label
from labs.outcomes import Outcome, parse_outcome
from labs.policy.selectors import compile_selector
from labs.richtext import rich

__all__ = ["ExplainedCell", "MatrixExplanations", "surprising_cells", "why_surprising", "empty_section_notes"]

Cell = tuple[str, str]
"""(source, column label) as `MatrixResult.cells()` and the predict grid name a cell."""


def why_surprising(check: ProbeCheck, predicted: Outcome | None) -> str | None:
    """The reason a cell deserves an explanation, or None when it is what a trainee expects."""
    observed = check.observed
    if predicted is not None:
        return None if predicted is observed else f"you predicted {predicted.value}, observed {observed.value}"
    if check.spec.intended is not None:
        intended = check.spec.intended
        return None if intended is observed else f"the policy meant {intended.value}, observed {observed.value}"
    if observed is not Outcome.ALLOWED:
        return f"denied: observed {observed.value}"
    return None


def surprising_cells(checks: tuple[ProbeCheck, ...], predictions: Mapping[Cell, Any] | None = None
                     ) -> list[tuple[ProbeCheck, str]]:
    """The cells to explain, in matrix order, each with why it is surprising."""
    wanted = {cell: _outcome(value) for cell, value in (predictions or {}).items()}
    found = []
    for check in checks:
        reason = why_surprising(check, wanted.get((check.spec.probe.source, column_label(check.spec.probe))))
        if reason is not None:
            found.append((check, reason))
    return found


def _outcome(value: Any) -> Outcome | None:
    if value is None or isinstance(value, Outcome):
        return value
    return parse_outcome(str(value))


@dataclass(frozen=True)
class ExplainedCell:
    label: str
    why: str
    explanation: Any
    """A `labs.explain.Explanation` (text with `str()`, HTML with `_repr_html_()`)."""


@dataclass(frozen=True)
class MatrixExplanations:
    """The explanations of one matrix's surprising cells, shown as one notebook output."""

    title: str
    cells: tuple[ExplainedCell, ...]
    notes: tuple[str, ...] = ()
    """What holds for the whole step: a policy the agent refused, an empty section that selects nothing."""

    def __len__(self) -> int:
        return len(self.cells)

    def lines(self) -> list[str]:
        if not self.cells:
            return [f"Why: {self.title}", *[f"Note: {n}" for n in self.notes],
                    "Nothing surprising: every cell is allowed, or as predicted or meant."]
        count = len(self.cells)
        out = [f"Why: {self.title} ({count} surprising cell{'s' if count != 1 else ''})"]
        out += [f"Note: {n}" for n in self.notes]
        for index, cell in enumerate(self.cells, 1):
            out.append(f"[{index}] {cell.label} ({cell.why})")
            out.extend("    " + line for line in str(cell.explanation).splitlines())
        return out

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        esc = html.escape
        if not self.cells:
            notes = "".join(f'<p style="white-space:pre-wrap">&#9888; {rich(n)}</p>' for n in self.notes)
            return (f"<div><b>Why: {rich(self.title)}</b>{notes}<p>Nothing surprising: every cell is allowed, or as "
                    "predicted or meant.</p></div>")
        parts = [f"<div><b>Why: {rich(self.title)}</b>"]
        parts += [f'<p style="white-space:pre-wrap">&#9888; {rich(n)}</p>' for n in self.notes]
        for index, cell in enumerate(self.cells, 1):
            body = cell.explanation._repr_html_() if hasattr(cell.explanation, "_repr_html_") else (
                f"<pre>{esc(str(cell.explanation))}</pre>")
            parts.append(f"<details><summary>[{index}] {esc(cell.label)} ({esc(cell.why)})</summary>{body}</details>")
        return "".join(parts) + "</div>"


def empty_section_notes(policies: Any, explanations: Any) -> list[str]:
    """Policies that select a cell's endpoint with an empty `ingress: []` / `egress: []` list.

    Such a list adds no rule, so the endpoint's direction is not put in default deny; the agent
    refuses a policy whose only non-empty-looking section is such a list (cilium-semantics §12).
    """
    notes: list[str] = []
    for exp in explanations:
        for direction, endpoint in (("ingress", getattr(exp, "destination", None)),
                                    ("egress", getattr(exp, "source", None))):
            if endpoint is None or not endpoint.is_pod:
                continue
            namespace = endpoint.name.split("/", 1)[0]
            for policy in policies:
                if getattr(policy, "rules", None) is None or policy.namespace not in (None, namespace):
                    continue
                for rule in policy.rules:
                    if rule.section(direction) != () or rule.endpoint_selector is None:
                        continue
                    if not compile_selector(rule.endpoint_selector).matches(endpoint.labels):
                        continue
                    note = (f"{policy.kind} {policy.ref} selects {endpoint.name}, but its `{direction}: []` is an "
                            f"empty list: it adds no {direction} rule, so {endpoint.name}'s {direction} is not in "
                            f"default deny and the engine reports no policy for it. Alone, such a policy is refused "
                            f"by the agent (a rule needs a section with at least one item); the deny-all is "
                            f"`{direction}: [{{}}]`.")
                    if note not in notes:
                        notes.append(note)
    return notes
