"""Predict the matrix: the trainee sets each cell to the outcome they expect, then Check compares.

This is the *predict* step of every lab: writing down an expectation before seeing the answer
is what makes the answer stick. `observe()` is wired in by the Lab (probes on either backend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import ipywidgets as widgets

from labs.outcomes import Outcome, parse_outcome
from labs.richtext import rich
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
    """`PredictGrid(sources, destinations, observe, cells=None)`; observe() -> {(source, destination): Outcome}.

    `cells` are the (source, destination) pairs the step really probes (default: every pair); only
    those get a dropdown. Up to `MATRIX_COLUMNS` destinations the cells form a matrix; a wider step is
    asked as a list, one probe per row, so that the grid always fits `MAX_WIDTH` and every label can
    wrap (the full text is on hover).
    """

    MATRIX_COLUMNS = 6
    MAX_WIDTH = "1000px"

    lost_note = ("This grid belonged to an earlier run of the notebook (the page was reloaded or the kernel "
                 "restarted). Run this cell again (Shift+Enter) to get it back: the predictions you chose are kept.")

    def __init__(self, sources: Sequence[str], destinations: Sequence[str],
                 observe: Callable[[], Mapping[Cell, Any]], *, cells: Sequence[Cell] | None = None,
                 title: str = "Predict: what will happen?", initial: Mapping[Cell, Any] | None = None,
                 on_change: Callable[[dict[Cell, Outcome | None]], Any] | None = None):
        """`initial` presets cells (outcome words; unknown cells or words are ignored); `on_change(predictions)`
        is called after every choice, so the choices can be kept outside the kernel."""
        if not sources or not destinations:
            raise ValueError(f"a prediction grid needs at least one source and one destination; got sources "
                             f"{list(sources)!r} and destinations {list(destinations)!r}")
        self.sources, self.destinations = list(sources), list(destinations)
        wanted = list(dict.fromkeys(cells)) if cells is not None else [(s, d) for s in self.sources
                                                                        for d in self.destinations]
        self._observe = observe
        self.results: list[CellResult] = []
        options = [(_UNSET, _UNSET)] + [(o.value, o.value) for o in Outcome]
        self.dropdowns: dict[Cell, widgets.Dropdown] = {}
        self.marks: dict[Cell, widgets.HTML] = {}
        for cell in wanted:
            dropdown = widgets.Dropdown(options=options, value=_UNSET, description_allow_html=False,
                                        layout=widgets.Layout(width="100%", min_width="0"))
            dropdown.add_class("labs-predict-cell")
            self.dropdowns[cell] = dropdown
            self.marks[cell] = widgets.HTML("")
        for cell, word in (initial or {}).items():
            value = str(getattr(word, "value", word))
            if cell in self.dropdowns and value in {o.value for o in Outcome}:
                self.dropdowns[cell].value = value
        self._on_change = on_change
        for dropdown in self.dropdowns.values():
            dropdown.observe(self._changed, names="value")
        self.layout = "matrix" if len(self.destinations) <= self.MATRIX_COLUMNS else "list"
        self.grid = self._matrix() if self.layout == "matrix" else self._list()
        self.grid.add_class(f"labs-predict-{self.layout}")
        self.check_button = widgets.Button(description="Check", icon="flag-checkered", button_style="success",
                                           tooltip="run the probes and compare with your predictions")
        self.check_button.on_click(lambda _b: self.check())
        self.output = widgets.HTML("")
        self.output.add_class("labs-predict-result")
        self.widget = widgets.VBox([widgets.HTML(f"<b>{rich(title)}</b> "
                                                 "<span style='color:#616161'>(set every cell, then Check)</span>"),
                                    self.grid, self.check_button, self.output],
                                   layout=widgets.Layout(width="100%", max_width=self.MAX_WIDTH))
        self.widget.add_class("labs-predict-grid")

    def _matrix(self) -> widgets.GridBox:
        sources = _short_labels(self.sources)
        destinations = _short_labels(self.destinations)
        children: list[widgets.Widget] = [widgets.HTML("")]
        children += [_label(d, destinations[d], head=True) for d in self.destinations]
        for source in self.sources:
            children.append(_label(source, sources[source], head=True))
            for destination in self.destinations:
                cell = (source, destination)
                if cell in self.dropdowns:
                    children.append(widgets.VBox([self.dropdowns[cell], self.marks[cell]],
                                                 layout=widgets.Layout(min_width="0")))
                else:
                    children.append(widgets.HTML(f'<span style="color:{GREY}" title="this step does not probe '
                                                 f'{esc(source)} -> {esc(destination)}">&#8212;</span>'))
        columns = f"minmax(6em, 11em) repeat({len(self.destinations)}, minmax(0, 12em))"
        return widgets.GridBox(children, layout=widgets.Layout(grid_template_columns=columns, width="100%",
                                                                grid_gap="4px 8px", align_items="center"))

    def _list(self) -> widgets.GridBox:
        sources = _short_labels(self.sources)
        destinations = _short_labels(self.destinations)
        children: list[widgets.Widget] = [_label("", "from", head=True), _label("", "to", head=True),
                                          _label("", "your prediction", head=True), widgets.HTML("")]
        for source, destination in self.dropdowns:
            cell = (source, destination)
            children += [_label(source, sources[source]), _label(destination, destinations[destination]),
                         self.dropdowns[cell], self.marks[cell]]
        return widgets.GridBox(children, layout=widgets.Layout(
            grid_template_columns="minmax(6em, 12em) minmax(8em, 24em) 9.5em minmax(6em, 12em)", width="100%",
            grid_gap="2px 10px", align_items="center"))

    def _changed(self, _change: dict[str, Any]) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(self.predictions)
        except Exception as exc:  # a full disk or a refused path: say so, keep the choice in the grid
            self.output.value = note(f"Your choice could not be kept outside the notebook: {exc}", RED, bold=True)

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
        """Observe, compare every cell the trainee predicted, mark the cells, and show the score.

        With no prediction at all nothing is observed: the grid asks for predictions instead of
        giving the answers away.
        """
        predictions = self.predictions
        if all(v is None for v in predictions.values()):
            self.output.value = note("Predict first: choose an outcome in at least one cell (better: in every "
                                     "cell), then press Check.", AMBER, bold=True)
            return []
        self.check_button.disabled = True
        try:
            try:
                observed_raw = dict(self._observe())
            except Exception as exc:  # the Lab's probes; shown, not raised into the trainee's face
                self.output.value = note(f"Could not observe: {exc}", RED, bold=True)
                return []
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
                text += f"; {missing} cell{'s' if missing != 1 else ''} not predicted (not counted)"
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
        return f'<span style="color:{GREY}">not predicted; was {esc(result.observed.value)}</span>'
    if result.right:
        return f'<span style="color:{GREEN}">✔ right</span>'
    return f'<span style="color:{RED}" title="{esc(result.reason)}">✘ was {esc(result.observed.value)}</span>'


def _label(full: str, shown: str, *, head: bool = False) -> widgets.HTML:
    """A row or column label that wraps anywhere, with the full text on hover."""
    weight = "font-weight:600;" if head else ""
    breakable = "".join(f"{esc(ch)}<wbr>" if ch in "/:." else esc(ch) for ch in shown)  # wrap at / : . first
    return widgets.HTML(f'<div title="{esc(full or shown)}" style="{weight}font-size:12px;line-height:1.25;'
                        f'overflow-wrap:anywhere;text-align:left">{breakable}</div>',
                        layout=widgets.Layout(min_width="0"))


def _short_labels(labels: Sequence[str]) -> dict[str, str]:
    """Labels without the one namespace they name (`segregation/client-a` -> `client-a`), else unchanged."""
    spaces = {_namespace(label) for label in labels} - {None}
    if len(spaces) != 1:
        return {label: label for label in labels}
    (namespace,) = spaces
    return {label: label.replace(f"{namespace}/", "", 1) for label in labels}


def _namespace(label: str) -> str | None:
    """The namespace a probe label names (`ns/pod...`, `svc:ns/name...`), None for world, dns, fqdn and ip."""
    text = label.split(" ", 1)[0]
    if text.startswith("svc:"):
        text = text[4:]
    elif ":" in text.split("/", 1)[0]:
        return None
    head, sep, _rest = text.partition("/")
    return head if sep and head else None
