"""Save a trainee's checked prediction of a step's matrix in their progress file.

Where it sits: the predict grid (`labs.course.widgets_glue.predict_grid`) calls `save_predictions` each
time the trainee presses Check, with what they predicted and the matrix the lab just observed. Only
cells the trainee filled in are kept, each with the probe's label and both outcomes, so the
instructor's room view (`labs.workshop.predictions`) can count, probe by probe, who guessed wrong.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from labs.progress import ProgressStore

__all__ = ["prediction_cells", "save_predictions"]


def _word(value: Any) -> str:
    return str(getattr(value, "value", value))


def prediction_cells(predictions: Mapping[tuple[str, str], Any], checks: Iterable[Any]) -> list[dict[str, str]]:
    """`{probe, predicted, observed}` for each predicted cell of a matrix (cells keyed `(source, column)`)."""
    from labs.course.views import column_label

    cells = []
    for check in checks:
        key = (check.spec.probe.source, column_label(check.spec.probe))
        predicted = predictions.get(key)
        if predicted is None:
            continue
        cells.append({"probe": check.spec.label, "predicted": _word(predicted), "observed": _word(check.observed)})
    return cells


def save_predictions(lab_id: str, step_id: str, predictions: Mapping[tuple[str, str], Any], checks: Iterable[Any],
                     *, store: ProgressStore | None = None) -> list[dict[str, str]]:
    """Record the predicted cells of one checked matrix; returns what was recorded."""
    cells = prediction_cells(predictions, checks)
    (store or ProgressStore()).record_predictions(lab_id, step_id, cells)
    return cells
