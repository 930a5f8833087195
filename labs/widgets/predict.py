"""Predict the matrix: the trainee sets each cell to the outcome they expect, then Check compares.

This is the *predict* step of every lab: writing down an expectation before seeing the answer
is what makes the answer stick. `observe()` is wired in by the Lab (probes on either backend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import ipywidgets as widgets

from labs.outcomes import Outcome, parse_outcome
from labs.widgets._common import AMBER, GREEN, GREY, RED, WidgetWrapper, esc, note

__all__ = ["PredictGrid", "CellResult"]

Cell = tuple[str, str]
_UNSET = "?"


@dataclass(frozen=True)
class CellResult:
    source: str
    destination: str
    predicted: Outcome | None
    observed: Outcome | None
    reason: str = ""

    @property
    def right(self) -> bool | None:
        if self.predicted is None or self.observed is None:
            return None
        return self.predicted == self.observed


class PredictGrid(WidgetWrapper):
    """`PredictGrid(sources, destinations, observe)`; observe() -> {(source, destination): Outcome}."""

    def __init__(self, sources: Sequence[str], destinations: Sequence[str],
                 observe: Callable[[], Mapping[Cell, Any]], *, title: str = "Predict: what will happen?"):
        if not sources or not destinations:
            raise ValueError(f"a prediction grid needs at least one source and one destination; got sources "
                             f"{list(sources)!r} and destinations {list(destinations)!r}")
        self.sources, self.destinations = list(sources), list(destinations)
        self._observe = observe
        self.results: list[CellResult] = []
        options = [(_UNSET, _UNSET)] + [(o.value, o.value) for o in Outcome]
        self.dropdowns: dict[Cell, widgets.Dropdown] = {}
        self.marks: dict[Cell, widgets.HTML] = {}
        children: list[widgets.Widget] = [widgets.HTML("")]
        children += [widgets.HTML(f"<b>{esc(d)}</b>") for d in self.destinations]
        for source in self.sources:
            children.append(widgets.HTML(f"<b>{esc(source)}</b>"))
            for destination in self.destinations:
                dropdown = widgets.Dropdown(options=options, value=_UNSET, layout=widgets.Layout(width="125px"),
                                            description_allow_html=False)
                dropdown.add_class("labs-predict-cell")
                mark = widgets.HTML("")
                self.dropdowns[(source, destination)] = dropdown
                self.marks[(source, destination)] = mark
                children.append(widgets.VBox([dropdown, mark]))
        columns = f"minmax(120px, max-content) repeat({len(self.destinations)}, 135px)"
        self.grid = widgets.GridBox(children, layout=widgets.Layout(grid_template_columns=columns,
                                                                    grid_gap="4px 8px", align_items="center"))
        self.check_button = widgets.Button(description="Check", icon="flag-checkered", button_style="success",
                                           tooltip="run the probes and compare with your predictions")
        self.check_button.on_click(lambda _b: self.check())
        self.output = widgets.HTML("")
        self.output.add_class("labs-predict-result")
        self.widget = widgets.VBox([widgets.HTML(f"<b>{esc(title)}</b> "
                                                 "<span style='color:#616161'>(set every cell, then Check)</span>"),
                                    self.grid, self.check_button, self.output])
        self.widget.add_class("labs-predict-grid")

    @property
    def predictions(self) -> dict[Cell, Outcome | None]:
        return {cell: None if d.value == _UNSET else Outcome(d.value) for cell, d in self.dropdowns.items()}

    def predict(self, source: str, destination: str, outcome: Outcome | str | None) -> None:
        """Set one cell from code (what a trainee does with the dropdown)."""
        if (source, destination) not in self.dropdowns:
            raise KeyError(f"no cell {source!r} -> {destination!r}; sources are {self.sources}, destinations "
                           f"{self.destinations}")
        value = _UNSET if outcome is None else parse_outcome(outcome).value
        self.dropdowns[(source, destination)].value = value

    @property
    def score(self) -> tuple[int, int]:
        """(right, predicted) after the last check."""
        judged = [r for r in self.results if r.right is not None]
        return sum(1 for r in judged if r.right), len(judged)

    def check(self) -> list[CellResult]:
        """Observe, compare every cell, mark it, and show the score."""
        self.check_button.disabled = True
        try:
            try:
                observed_raw = dict(self._observe())
            except Exception as exc:  # the Lab's probes; shown, not raised into the trainee's face
                self.output.value = note(f"Could not observe: {exc}", RED, bold=True)
                return []
            predictions = self.predictions
            results = []
            for cell, predicted in predictions.items():
                raw = observed_raw.get(cell)
                reason = ""
                if isinstance(raw, tuple):  # (outcome, reason) is accepted too
                    raw, reason = raw[0], str(raw[1]) if len(raw) > 1 else ""
                observed = None if raw is None else parse_outcome(raw)
                result = CellResult(cell[0], cell[1], predicted, observed, reason)
                results.append(result)
                self.marks[cell].value = _mark(result)
            self.results = results
            right, judged = self.score
            missing = sum(1 for r in results if r.predicted is None)
            text = f"{right} of {judged} prediction{'s' if judged != 1 else ''} right"
            if missing:
                text += f"; {missing} cell{'s' if missing != 1 else ''} not predicted"
            color = GREEN if judged and right == judged and not missing else AMBER
            self.output.value = note(text + ".", color, bold=True)
            return results
        finally:
            self.check_button.disabled = False

    def matrix_rows(self) -> list[tuple[str, str, Outcome | None, Outcome, str]]:
        """The last check as rows for `labs.viz.matrix_plot` (your prediction as the expectation)."""
        return [(r.source, r.destination, r.predicted, r.observed, r.reason) for r in self.results
                if r.observed is not None]


def _mark(result: CellResult) -> str:
    if result.observed is None:
        return f'<span style="color:{GREY}">not observed</span>'
    if result.right is None:
        return f'<span style="color:{GREY}">was {esc(result.observed.value)}</span>'
    if result.right:
        return f'<span style="color:{GREEN}">✔ right</span>'
    return f'<span style="color:{RED}" title="{esc(result.reason)}">✘ was {esc(result.observed.value)}</span>'
