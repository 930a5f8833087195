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

__all__ = ["ExplainedCell", "MatrixExplanations", "surprising_cells", "why_surprising"]

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

    def __len__(self) -> int:
        return len(self.cells)

    def lines(self) -> list[str]:
        if not self.cells:
            return [f"Why: {self.title}", "Nothing surprising: every cell is allowed, or as predicted or meant."]
        count = len(self.cells)
        out = [f"Why: {self.title} ({count} surprising cell{'s' if count != 1 else ''})"]
        for index, cell in enumerate(self.cells, 1):
            out.append(f"[{index}] {cell.label} ({cell.why})")
            out.extend("    " + line for line in str(cell.explanation).splitlines())
        return out

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        esc = html.escape
        if not self.cells:
            return (f"<div><b>Why: {esc(self.title)}</b><p>Nothing surprising: every cell is allowed, or as "
                    "predicted or meant.</p></div>")
        parts = [f"<div><b>Why: {esc(self.title)}</b>"]
        for index, cell in enumerate(self.cells, 1):
            body = cell.explanation._repr_html_() if hasattr(cell.explanation, "_repr_html_") else (
                f"<pre>{esc(str(cell.explanation))}</pre>")
            parts.append(f"<details><summary>[{index}] {esc(cell.label)} ({esc(cell.why)})</summary>{body}</details>")
        return "".join(parts) + "</div>"
