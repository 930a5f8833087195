"""The room at a glance: trainees by lab and step, from progress files and optional live checks.

`build_status` only combines data (no I/O), so the same object feeds the text table of
`python -m labs workshop status`, its `--json` output and the instructor notebook.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

from labs.workshop.checks import LiveResult
from labs.workshop.progress import TraineeProgress

__all__ = ["Cell", "FailedStep", "RoomStatus", "build_status", "most_failed_step", "SHORT"]

SHORT = {"pass": "pass", "not-yet": "no", "error": "ERR", None: "-"}


@dataclass(frozen=True)
class Cell:
    status: str | None = None
    """The trainee's own last check: pass, not-yet, error, or None when never tried."""
    attempts: int = 0
    last_change: str = ""
    message: str = ""
    live: str | None = None
    """The instructor's live check now: pass, not-yet, error, or None when not run."""
    live_message: str = ""

    def short(self) -> str:
        text = SHORT.get(self.status, "?") + (f" {self.attempts}" if self.attempts else "")
        if self.live is not None and self.live != self.status:
            text += f" (live {SHORT.get(self.live, '?')})"
        return text


@dataclass(frozen=True)
class FailedStep:
    lab_id: str
    step_id: str
    stuck: tuple[str, ...]
    """Trainees who tried and are not passing."""
    failed_attempts: int
    """Attempts that did not pass, over the room."""


@dataclass
class RoomStatus:
    trainees: list[str]
    columns: list[tuple[str, str]]
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    most_failed: FailedStep | None = None

    def cell(self, trainee: str, lab_id: str, step_id: str) -> Cell:
        return self.cells.get((trainee, lab_id, step_id), Cell())

    def to_json(self) -> dict[str, Any]:
        return {
            "trainees": {t: {f"{lab}/{step}": asdict(self.cell(t, lab, step)) for lab, step in self.columns}
                         for t in self.trainees},
            "columns": [f"{lab}/{step}" for lab, step in self.columns],
            "problems": dict(self.problems),
            "most_failed_step": {**asdict(self.most_failed), "stuck": list(self.most_failed.stuck)}
            if self.most_failed else None,
        }

    def _repr_html_(self) -> str:
        """The same tables as render_text, as escaped HTML (the notebook shows this)."""
        esc = html.escape
        parts = []
        for lab in dict.fromkeys(lab for lab, _ in self.columns):
            steps = [s for lab_id, s in self.columns if lab_id == lab]
            head = "".join(f"<th>{esc(s)}</th>" for s in steps)
            rows = []
            for t in self.trainees:
                cells = []
                for s in steps:
                    c = self.cell(t, lab, s)
                    tip = esc(" | ".join(x for x in (c.last_change, c.message, c.live_message) if x))
                    cells.append(f'<td title="{tip}">{esc(c.short())}</td>')
                rows.append(f"<tr><th>{esc(t)}</th>{''.join(cells)}</tr>")
            parts.append(f"<h4>{esc(lab)}</h4><table><tr><th>trainee</th>{head}</tr>{''.join(rows)}</table>")
        notes = [f"{esc(t)}: {esc(p)}" for t, p in sorted(self.problems.items())]
        if self.most_failed:
            f = self.most_failed
            notes.append(f"Most failed step: <b>{esc(f.lab_id)}/{esc(f.step_id)}</b> ({f.failed_attempts} failed "
                         f"attempts; stuck: {esc(', '.join(f.stuck) or 'nobody now')})")
        return "".join(parts) + "".join(f"<p>{n}</p>" for n in notes)

    def __repr__(self) -> str:
        return self.render_text()

    def render_text(self) -> str:
        """One table per lab (trainees by steps), then problems and the most failed step."""
        lines: list[str] = []
        labs = list(dict.fromkeys(lab for lab, _ in self.columns))
        name_width = max([7, *(len(t) for t in self.trainees)])
        for lab in labs:
            steps = [s for lab_id, s in self.columns if lab_id == lab]
            cells = {t: [self.cell(t, lab, s).short() for s in steps] for t in self.trainees}
            widths = [max(len(s), *(len(cells[t][i]) for t in self.trainees)) if self.trainees else len(s)
                      for i, s in enumerate(steps)]
            lines.append(f"{lab}")
            lines.append(_row("trainee", name_width, steps, widths))
            lines += [_row(t, name_width, cells[t], widths) for t in self.trainees]
            lines.append("")
        if not self.columns:
            lines.append("No progress recorded yet.")
        for trainee, problem in sorted(self.problems.items()):
            lines.append(f"{trainee}: {problem}")
        if self.most_failed:
            f = self.most_failed
            lines.append(f"Most failed step: {f.lab_id}/{f.step_id} ({f.failed_attempts} failed attempts; "
                         f"stuck: {', '.join(f.stuck) or 'nobody now'})")
        return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"


def _row(first: str, first_width: int, values: Sequence[str], widths: Sequence[int]) -> str:
    return "  " + first.ljust(first_width) + "  " + "  ".join(v.ljust(w) for v, w in zip(values, widths))


def build_status(trainees: Sequence[str], progress: Mapping[str, TraineeProgress],
                 live: Mapping[tuple[str, str, str], LiveResult] | None = None,
                 order: Sequence[tuple[str, str]] = ()) -> RoomStatus:
    """Combine progress and live results; columns follow `order` (the labs' step order), then any others."""
    cells: dict[tuple[str, str, str], dict[str, Any]] = {}
    seen: list[tuple[str, str]] = list(order)
    problems = {}
    for t in trainees:
        p = progress.get(t)
        if p is None:
            continue
        if p.problem:
            problems[t] = p.problem
        for lab_id, steps in p.labs.items():
            for step_id, sp in steps.items():
                cells[(t, lab_id, step_id)] = {"status": sp.status, "attempts": sp.attempts,
                                               "last_change": sp.last_change, "message": sp.message}
                if (lab_id, step_id) not in seen:
                    seen.append((lab_id, step_id))
    for (t, lab_id, step_id), result in (live or {}).items():
        if t not in trainees:
            continue
        cells.setdefault((t, lab_id, step_id), {}).update(live=result.status, live_message=result.message)
        if (lab_id, step_id) not in seen:
            seen.append((lab_id, step_id))
    room = RoomStatus(list(trainees), seen, {k: Cell(**v) for k, v in cells.items()}, problems)
    room.most_failed = most_failed_step(room)
    return room


def most_failed_step(room: RoomStatus) -> FailedStep | None:
    """The step with the most failed attempts over the room (ties: more trainees stuck, then course order)."""
    best: FailedStep | None = None
    for lab_id, step_id in room.columns:
        failed = 0
        stuck = []
        for t in room.trainees:
            c = room.cell(t, lab_id, step_id)
            if c.status is None:
                continue
            failed += max(0, c.attempts - (1 if c.status == "pass" else 0))
            if c.status != "pass":
                stuck.append(t)
        candidate = FailedStep(lab_id, step_id, tuple(stuck), failed)
        if failed and (best is None or (failed, len(stuck)) > (best.failed_attempts, len(best.stuck))):
            best = candidate
    return best
