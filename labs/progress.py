"""The trainee's progress through all labs, kept in one JSON file that a lab reset never deletes.

The file (`$LABS_HOME/progress.json`) is also read by the workshop view, so its format is fixed:

    {"version": 1, "trainee": <str|null>,
     "labs": {"<lab-id>": {"steps": {"<step-id>": {"status": "pass" | "not-yet" | "error",
                                                   "attempts": <int>, "last_change": "<ISO-8601 UTC>",
                                                   "message": "<str>"}},
                           "predictions": {"<step-id>": {"last_change": "<ISO-8601 UTC>",
                                                         "cells": [{"probe": "<probe label>",
                                                                    "predicted": "<outcome>",
                                                                    "observed": "<outcome>"}]}}}}}

`predictions` is optional (files written before it existed have none): the trainee's last checked
prediction per step, one entry per cell they predicted, with what the cluster did; the instructor
view counts the wrong ones across the room (labs.workshop.predictions).

Writes go to a temporary file in the same folder and are renamed over the old one, so a crash
or a full disk never leaves half a file; a lock file keeps two kernels from losing each other's
updates. A damaged file is never overwritten: the error names it and says how to recover.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from labs.paths import labs_home
from labs.richtext import left_aligned

try:  # POSIX; on Windows the lock is skipped (one trainee, one kernel at a time)
    import fcntl
except ImportError:  # pragma: no cover - not reached on Linux or macOS
    fcntl = None  # type: ignore[assignment]

__all__ = ["ProgressStore", "ProgressError", "ProgressSummary", "LabSummary", "STATUSES", "FORMAT_VERSION",
           "PREDICTION_KEYS"]

FORMAT_VERSION = 1
STATUSES = ("pass", "not-yet", "error")
PREDICTION_KEYS = ("probe", "predicted", "observed")


class ProgressError(ValueError):
    """The progress file or a value given to it is not valid; nothing was written."""


@dataclass(frozen=True)
class LabSummary:
    lab: str
    passed: int
    total: int
    attempts: int
    last_change: str | None

    @property
    def done(self) -> bool:
        return self.total > 0 and self.passed == self.total


@dataclass(frozen=True)
class ProgressSummary:
    """Per-lab counts; prints as text and shows as a table in a notebook."""

    trainee: str | None
    labs: tuple[LabSummary, ...]

    @property
    def passed(self) -> int:
        return sum(lab.passed for lab in self.labs)

    @property
    def total(self) -> int:
        return sum(lab.total for lab in self.labs)

    def __str__(self) -> str:
        who = f" for {self.trainee}" if self.trainee else ""
        if not self.labs:
            return f"No progress recorded yet{who}."
        lines = [f"Progress{who}: {self.passed} of {self.total} steps passed"]
        lines += [f"  {lab.lab}: {lab.passed}/{lab.total} steps passed, {lab.attempts} attempts"
                  + (" (done)" if lab.done else "") for lab in self.labs]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if not self.labs:
            return f"<p>{html.escape(str(self))}</p>"
        rows = "".join(
            f"<tr><td>{html.escape(lab.lab)}</td><td>{lab.passed} / {lab.total}</td><td>{lab.attempts}</td>"
            f"<td>{'✔ done' if lab.done else ''}</td></tr>" for lab in self.labs)
        return left_aligned(f"<table><thead><tr><th>lab</th><th>steps passed</th><th>attempts</th><th></th></tr>"
                            f"</thead><tbody>{rows}</tbody></table>")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _empty() -> dict[str, Any]:
    return {"version": FORMAT_VERSION, "trainee": None, "labs": {}}


class ProgressStore:
    """Read and update the progress file; every call re-reads it, so several notebooks can share it."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else labs_home() / "progress.json"

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.path)!r})"

    # reading ---------------------------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        """The whole document (an empty one if the file does not exist yet)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _empty()
        except OSError as exc:
            raise ProgressError(f"cannot read the progress file {str(self.path)!r}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ProgressError(
                f"the progress file {str(self.path)!r} is not valid JSON (line {getattr(exc, 'lineno', '?')}): "
                f"{exc}. Nothing was changed; fix the file or move it aside to start a new one.") from None
        self._check(data)
        return data

    def _check(self, data: Any) -> None:
        where = str(self.path)

        def bad(field: str, value: Any, expected: str) -> ProgressError:
            return ProgressError(f"the progress file {where!r} has {field} = {value!r}, expected {expected}. "
                                 "Nothing was changed; fix the file or move it aside to start a new one.")

        if not isinstance(data, dict):
            raise bad("the top level", type(data).__name__, "an object")
        if data.get("version") != FORMAT_VERSION:
            raise bad("version", data.get("version"), f"{FORMAT_VERSION}")
        if data.get("trainee") is not None and not isinstance(data["trainee"], str):
            raise bad("trainee", data["trainee"], "a string or null")
        labs = data.get("labs")
        if not isinstance(labs, dict):
            raise bad("labs", labs, "an object")
        for lab, body in labs.items():
            steps = body.get("steps") if isinstance(body, dict) else None
            if not isinstance(steps, dict):
                raise bad(f"labs.{lab}.steps", steps, "an object")
            for step, entry in steps.items():
                at = f"labs.{lab}.steps.{step}"
                if not isinstance(entry, dict):
                    raise bad(at, entry, "an object")
                if entry.get("status") not in STATUSES:
                    raise bad(f"{at}.status", entry.get("status"), " or ".join(STATUSES))
                if not isinstance(entry.get("attempts"), int) or entry["attempts"] < 0:
                    raise bad(f"{at}.attempts", entry.get("attempts"), "a whole number")
            predictions = body.get("predictions", {})
            if not isinstance(predictions, dict):
                raise bad(f"labs.{lab}.predictions", predictions, "an object")
            for step, entry in predictions.items():
                cells = entry.get("cells") if isinstance(entry, dict) else None
                if not isinstance(cells, list) or not all(
                        isinstance(c, dict) and all(isinstance(c.get(k), str) for k in PREDICTION_KEYS) for c in cells):
                    raise bad(f"labs.{lab}.predictions.{step}.cells", cells,
                              "a list of {probe, predicted, observed} strings")

    # writing ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            yield
            return
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, data: dict[str, Any]) -> None:
        handle, temp = tempfile.mkstemp(prefix=".progress-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2, sort_keys=True)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def record(self, lab: str, step: str, status: str, message: str = "") -> dict[str, Any]:
        """Count an attempt at a step and store its status; returns the step's entry."""
        for name, value in (("lab", lab), ("step", step)):
            if not isinstance(value, str) or not value.strip():
                raise ProgressError(f"{name} {value!r} must be a non-empty name such as '04-l7-http'")
        if status not in STATUSES:
            raise ProgressError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        with self._locked():
            data = self.load()
            steps = data["labs"].setdefault(lab, {"steps": {}})["steps"]
            entry = steps.get(step) or {"attempts": 0}
            entry = {"status": status, "attempts": int(entry["attempts"]) + 1, "last_change": _now(),
                     "message": str(message)}
            steps[step] = entry
            self._write(data)
        return entry

    def record_predictions(self, lab: str, step: str, cells: list[dict[str, str]]) -> dict[str, Any]:
        """Keep the trainee's last checked prediction of a step: `{probe, predicted, observed}` per cell.

        Replaces the step's previous prediction (the room view asks what trainees believe now); an
        empty list records nothing, since a grid checked with no cell filled in reveals nothing.
        """
        for name, value in (("lab", lab), ("step", step)):
            if not isinstance(value, str) or not value.strip():
                raise ProgressError(f"{name} {value!r} must be a non-empty name such as '04-l7-http'")
        clean = []
        for cell in cells:
            if not isinstance(cell, dict) or not all(isinstance(cell.get(k), str) and cell[k] for k in PREDICTION_KEYS):
                raise ProgressError(f"prediction cell {cell!r} needs the strings {', '.join(PREDICTION_KEYS)}")
            clean.append({k: cell[k] for k in PREDICTION_KEYS})
        entry = {"last_change": _now(), "cells": clean}
        if not clean:
            return entry
        with self._locked():
            data = self.load()
            lab_entry = data["labs"].setdefault(lab, {"steps": {}})
            lab_entry.setdefault("predictions", {})[step] = entry
            self._write(data)
        return entry

    def set_trainee(self, name: str | None) -> None:
        """Put a name on the file (shown in the workshop view); None removes it."""
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ProgressError(f"trainee name {name!r} must be a non-empty string or None")
        with self._locked():
            data = self.load()
            data["trainee"] = name.strip() if name else None
            self._write(data)

    # views -----------------------------------------------------------------------------------

    def summary(self) -> ProgressSummary:
        data = self.load()
        labs = []
        for lab in sorted(data["labs"]):
            steps = data["labs"][lab]["steps"].values()
            changes = [s.get("last_change") for s in steps if s.get("last_change")]
            labs.append(LabSummary(lab, sum(1 for s in steps if s["status"] == "pass"), len(steps),
                                   sum(int(s["attempts"]) for s in steps), max(changes) if changes else None))
        return ProgressSummary(data.get("trainee"), tuple(labs))
