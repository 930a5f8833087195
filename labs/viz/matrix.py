"""The connectivity matrix: sources as rows, `destination:port` as columns, cells coloured by what happened.

Each row of input is one probe: (source, destination, expected Outcome or None, observed Outcome,
reason). A cell whose observation differs from the expectation gets a heavy frame, a cross and
the expected word, and the reasons of mismatches are listed under the picture.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from labs.outcomes import FAIL_COLOR, Outcome, parse_outcome
from labs.viz.palette import NOT_PROBED_COLOR, OUTCOME_COLORS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MatrixRow", "matrix_plot", "normalise_rows"]


class MatrixRow(NamedTuple):
    source: str
    destination: str
    """What was tried, e.g. `backend/api:8080` or `fqdn:api.github.com:443`."""
    expected: Outcome | None
    observed: Outcome
    reason: str = ""

    @property
    def matches(self) -> bool | None:
        return None if self.expected is None else self.expected == self.observed


def _word(outcome: Outcome | None) -> str:
    """An outcome's word (a row shown as not matching always has an expected outcome)."""
    return outcome.value if outcome is not None else "nothing"


def _outcome(value: Any, index: int, field: str, optional: bool) -> Outcome | None:
    if value is None and optional:
        return None
    if isinstance(value, Outcome):
        return value
    try:
        return parse_outcome(value)
    except ValueError as exc:
        raise ValueError(f"matrix row {index}, {field}: {exc}") from None


def normalise_rows(rows: Iterable[Any]) -> list[MatrixRow]:
    """Tuples or MatrixRows -> MatrixRows; outcome words are accepted as strings. Bad rows raise ValueError."""
    result = []
    for index, row in enumerate(rows):
        items = tuple(row)
        if len(items) not in (4, 5):
            raise ValueError(f"matrix row {index} has {len(items)} items {items!r}; expected (source, destination, "
                             "expected outcome or None, observed outcome, reason)")
        source, destination, expected, observed = items[:4]
        reason = str(items[4]) if len(items) == 5 and items[4] is not None else ""
        result.append(MatrixRow(str(source), str(destination), _outcome(expected, index, "expected", True),
                                _outcome(observed, index, "observed", False), reason))  # type: ignore[arg-type]
    return result


def _order(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def matrix_plot(rows: Iterable[Any], *, title: str = "Connectivity: what was observed",
                max_notes: int = 8) -> Figure:
    """A matplotlib Figure of the matrix (returned closed, so a notebook shows it exactly once)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    data = normalise_rows(rows)
    sources = _order(r.source for r in data)
    destinations = _order(r.destination for r in data)
    cells: dict[tuple[str, str], list[MatrixRow]] = {}
    for row in data:
        cells.setdefault((row.source, row.destination), []).append(row)

    width = min(4.2 + 1.45 * max(len(destinations), 1), 22)
    notes = [r for r in data if r.matches is False]
    height = min(1.9 + 0.62 * max(len(sources), 1) + 0.22 * min(len(notes), max_notes), 16)
    fig, ax = plt.subplots(figsize=(width, height), dpi=100, layout="constrained")
    plt.close(fig)
    ax.set_xlim(0, max(len(destinations), 1))
    ax.set_ylim(max(len(sources), 1), 0)
    ax.set_xticks([i + 0.5 for i in range(len(destinations))])
    tilted = len(destinations) > 3 or max((len(d) for d in destinations), default=0) > 18
    ax.set_xticklabels(destinations, rotation=25 if tilted else 0, ha="left" if tilted else "center",
                       rotation_mode="anchor", fontsize=9)
    ax.set_yticks([i + 0.5 for i in range(len(sources))])
    ax.set_yticklabels(sources, fontsize=9)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for spine in ax.spines.values():
        spine.set_visible(False)

    for y, source in enumerate(sources):
        for x, destination in enumerate(destinations):
            group = cells.get((source, destination))
            if not group:
                ax.add_patch(Rectangle((x + 0.04, y + 0.06), 0.92, 0.88, color=NOT_PROBED_COLOR, lw=0))
                ax.text(x + 0.5, y + 0.5, "not probed", ha="center", va="center", fontsize=7, color="#9e9e9e")
                continue
            wrong = [r for r in group if r.matches is False]
            shown = wrong[0] if wrong else group[0]
            color = OUTCOME_COLORS[shown.observed]
            ax.add_patch(Rectangle((x + 0.04, y + 0.06), 0.92, 0.88, facecolor=color, lw=0, alpha=0.9))
            text_color = "#212121" if shown.observed in (Outcome.REFUSED,) else "white"
            label = shown.observed.value if len(group) == 1 else f"{shown.observed.value} (+{len(group) - 1})"
            if wrong:
                ax.add_patch(Rectangle((x + 0.06, y + 0.08), 0.88, 0.84, fill=False, edgecolor="#000000", lw=3.2))
                ax.text(x + 0.5, y + 0.4, f"✗ {label}", ha="center", va="center", fontsize=10, color=text_color,
                        fontweight="bold")
                ax.text(x + 0.5, y + 0.72, f"expected {_word(wrong[0].expected)}", ha="center", va="center",
                        fontsize=7.5, color=text_color)
            else:
                mark = "✓ " if shown.matches else ""
                ax.text(x + 0.5, y + 0.5, f"{mark}{label}", ha="center", va="center", fontsize=10, color=text_color)

    handles = [Patch(facecolor=OUTCOME_COLORS[o], label=o.value) for o in Outcome]
    handles.append(Patch(facecolor=NOT_PROBED_COLOR, label="not probed"))
    handles.append(Patch(facecolor="white", edgecolor="black", linewidth=2.5, label="✗ not as expected"))
    fig.legend(handles=handles, loc="outside right upper", fontsize=8.5, frameon=False, title="observed",
               title_fontsize=9)

    checked = [r for r in data if r.matches is not None]
    summary = f"{sum(1 for r in checked if r.matches)} of {len(checked)} as expected" if checked else ""
    fig.suptitle(f"{title}" + (f" — {summary}" if summary else ""), fontsize=11, x=0.01, ha="left")
    if notes:
        lines = [f"✗ {r.source} → {r.destination}: expected {_word(r.expected)}, observed {r.observed.value}"
                 + (f" ({r.reason})" if r.reason else "") for r in notes[:max_notes]]
        if len(notes) > max_notes:
            lines.append(f"... and {len(notes) - max_notes} more")
        lines = [textwrap.fill(line, width=int(width * 13), subsequent_indent="    ") for line in lines]
        ax.xaxis.set_label_position("bottom")
        ax.set_xlabel("\n".join(lines), fontsize=8, loc="left", color=FAIL_COLOR, labelpad=8)
    if not data:
        ax.text(0.5, 0.5, "No probes to show yet.", ha="center", va="center", fontsize=11, color="#616161")
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
