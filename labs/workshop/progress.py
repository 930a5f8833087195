"""Read trainees' progress files for the instructor view.

Each trainee's `labs.progress.ProgressStore` writes one JSON file:
`{"version": 1, "trainee": ..., "labs": {lab: {"steps": {step: {"status", "attempts", "last_change",
"message"}}}}}`. The instructor collects them in one folder as `<trainee>.json` (the default layout,
`$LABS_HOME/workshop/progress/<trainee>.json`), or points at where they already are with a template
such as `/home/jupyter-{trainee}/ciliumlab/.labs/progress.json`. One unreadable file never hides the
room: it becomes a problem line for that trainee.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from labs.paths import labs_home

__all__ = ["STATUSES", "StepProgress", "PredictedCell", "TraineeProgress", "default_progress_template",
           "progress_path", "read_progress"]

STATUSES = ("pass", "not-yet", "error")


@dataclass(frozen=True)
class StepProgress:
    status: str
    attempts: int = 0
    last_change: str = ""
    message: str = ""


@dataclass(frozen=True)
class PredictedCell:
    """One cell of a trainee's last checked prediction: the probe, their guess, what the cluster did."""

    probe: str
    predicted: str
    observed: str

    @property
    def wrong(self) -> bool:
        return self.predicted != self.observed


@dataclass
class TraineeProgress:
    trainee: str
    path: Path
    labs: Mapping[str, Mapping[str, StepProgress]] = field(default_factory=dict)
    predictions: Mapping[str, Mapping[str, tuple[PredictedCell, ...]]] = field(default_factory=dict)
    """lab -> step -> the cells of the trainee's last checked prediction (files without any: empty)."""
    problem: str | None = None
    """Why the file could not be used (missing, not JSON, wrong format), else None."""


def default_progress_template() -> str:
    return str(labs_home() / "workshop" / "progress" / "{trainee}.json")


def progress_path(template: str, trainee: str) -> Path:
    """The file for `trainee`: the template with `{trainee}` replaced (a folder means `<folder>/<trainee>.json`)."""
    if "{trainee}" in template:
        return Path(template.replace("{trainee}", trainee))
    return Path(template) / f"{trainee}.json"


def read_progress(path: Path, trainee: str) -> TraineeProgress:
    """Parse one progress file; problems are recorded on the result, never raised."""
    result = TraineeProgress(trainee, path)
    if not path.is_file():
        result.problem = f"no progress file at {path} yet"
        return result
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        result.problem = f"{path} is not readable JSON ({exc})"
        return result
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("labs"), dict):
        result.problem = f"{path} is not a version 1 progress file (expected {{\"version\": 1, \"labs\": {{...}}}})"
        return result
    if data.get("trainee") not in (None, trainee):
        result.problem = f"{path} belongs to trainee {data.get('trainee')!r}, not {trainee!r}"
        return result
    labs: dict[str, dict[str, StepProgress]] = {}
    predictions: dict[str, dict[str, tuple[PredictedCell, ...]]] = {}
    for lab_id, lab in data["labs"].items():
        steps = lab.get("steps") if isinstance(lab, dict) else None
        if not isinstance(steps, dict):
            result.problem = f"{path}: labs.{lab_id}.steps is missing or not a mapping"
            continue
        labs[str(lab_id)] = {str(k): _step(v) for k, v in steps.items()}
        guesses = _predictions(lab.get("predictions"))
        if guesses:
            predictions[str(lab_id)] = guesses
    result.labs = labs
    result.predictions = predictions
    return result


def _predictions(raw: Any) -> dict[str, tuple[PredictedCell, ...]]:
    """Predicted cells per step; entries that are not as labs.progress writes them are skipped."""
    out: dict[str, tuple[PredictedCell, ...]] = {}
    for step, entry in (raw.items() if isinstance(raw, dict) else ()):
        cells = entry.get("cells") if isinstance(entry, dict) else None
        keys = ("probe", "predicted", "observed")
        good = tuple(PredictedCell(c["probe"], c["predicted"], c["observed"]) for c in cells or ()
                     if isinstance(c, dict) and all(isinstance(c.get(k), str) for k in keys))
        if good:
            out[str(step)] = good
    return out


def _step(raw: Any) -> StepProgress:
    if not isinstance(raw, dict):
        return StepProgress("error", message=f"unreadable entry {raw!r}")
    status = raw.get("status")
    attempts = raw.get("attempts")
    return StepProgress(
        status=status if status in STATUSES else "error",
        attempts=attempts if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 0 else 0,
        last_change=str(raw.get("last_change") or ""),
        message=str(raw.get("message") or ("" if status in STATUSES else f"unknown status {status!r}")),
    )
