"""The room's wrong predictions: which probes most trainees predicted wrongly, lab by lab.

Where it sits: every time a trainee presses Check in a predict grid, `labs.course.predictions` stores
their guess and the observed outcome of each cell in their progress file; `labs.workshop.progress`
reads those files for the room, and this module counts, probe by probe, how many trainees predicted
it and how many were wrong, and what they guessed instead. That is the instructor's cue for the
debrief: a probe most of the room got wrong is a misconception, not one trainee's slip.

In workshop mode a trainee's probes name their own namespaces (`alice-frontend/web`); the trainee's
prefix is taken off so that the same probe of every trainee is counted once (`frontend/web`).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from labs.outcomes import FAIL_COLOR
from labs.richtext import left_aligned
from labs.workshop.progress import TraineeProgress

__all__ = ["ProbeGuesses", "WrongPredictions", "wrong_predictions", "MOST"]

MOST = 0.5
"""A probe is "predicted wrongly by most" when more than this share of those who predicted it were wrong."""


@dataclass
class ProbeGuesses:
    """Everyone's last checked guess for one probe of one step."""

    lab: str
    step: str
    probe: str
    observed: Counter[str] = field(default_factory=Counter)
    right: list[str] = field(default_factory=list)
    wrong: dict[str, str] = field(default_factory=dict)
    """trainee -> what they predicted instead."""

    @property
    def predicted_by(self) -> int:
        return len(self.right) + len(self.wrong)

    @property
    def share_wrong(self) -> float:
        return len(self.wrong) / self.predicted_by if self.predicted_by else 0.0

    @property
    def most_wrong(self) -> bool:
        return self.share_wrong > MOST

    @property
    def outcome(self) -> str:
        """What the cluster did (the most frequent observation, should trainees' clusters differ)."""
        return self.observed.most_common(1)[0][0] if self.observed else "?"

    @property
    def common_guess(self) -> str:
        """The wrong guess most trainees made ("" when nobody was wrong)."""
        counts = Counter(self.wrong.values())
        return counts.most_common(1)[0][0] if counts else ""

    def line(self) -> str:
        mark = "MOST WRONG" if self.most_wrong else "          "
        guess = f"; most said {self.common_guess}" if self.wrong else ""
        who = f" ({', '.join(sorted(self.wrong))})" if self.wrong else ""
        return (f"  {mark}  {len(self.wrong)} of {self.predicted_by} wrong  {self.step}: {self.probe} -> "
                f"{self.outcome}{guess}{who}")


@dataclass
class WrongPredictions:
    """Per lab, the probes trainees predicted, the most wrongly predicted first."""

    trainees: int
    labs: dict[str, list[ProbeGuesses]]
    without_predictions: list[str] = field(default_factory=list)
    """Trainees whose files hold no prediction yet (or could not be read)."""

    def most_wrong(self) -> list[ProbeGuesses]:
        return [g for rows in self.labs.values() for g in rows if g.most_wrong]

    def render_text(self) -> str:
        if not self.labs:
            return (f"No predictions recorded yet ({self.trainees} trainees). Predictions are saved when a "
                    "trainee presses Check in a lab's predict grid.")
        lines = [f"Wrong predictions in the room ({self.trainees} trainees; 'most wrong' = over "
                 f"{int(MOST * 100)}% of those who predicted the probe):"]
        for lab, rows in self.labs.items():
            worst = sum(1 for g in rows if g.most_wrong)
            lines.append(f"{lab}: {worst} of {len(rows)} predicted probes wrong for most")
            lines += [g.line() for g in rows]
        if self.without_predictions:
            lines.append(f"No prediction yet: {', '.join(self.without_predictions)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.render_text()

    def _repr_html_(self) -> str:
        esc = html.escape
        if not self.labs:
            return f"<p>{esc(self.render_text())}</p>"
        parts = [f"<p>Wrong predictions in the room ({self.trainees} trainees). Rows in red: most of those who "
                 f"predicted the probe were wrong.</p>"]
        for lab, rows in self.labs.items():
            body = "".join(
                f'<tr style="{f"color:{FAIL_COLOR};font-weight:bold" if g.most_wrong else ""}">'
                f"<td>{esc(g.step)}</td><td><code>{esc(g.probe)}</code></td><td>{esc(g.outcome)}</td>"
                f"<td>{len(g.wrong)} of {g.predicted_by}</td><td>{esc(g.common_guess)}</td>"
                f"<td>{esc(', '.join(sorted(g.wrong)))}</td></tr>" for g in rows)
            parts.append(f"<h4>{esc(lab)}</h4>" + left_aligned(
                "<table><tr><th>step</th><th>probe</th><th>observed</th><th>wrong</th><th>most said</th>"
                "<th>who</th></tr>" + body + "</table>"))
        if self.without_predictions:
            parts.append(f"<p>No prediction yet: {esc(', '.join(self.without_predictions))}</p>")
        return "".join(parts)


def _lab_probe(probe: str, trainee: str) -> str:
    """`alice-frontend/web -> svc:alice-backend/api:80/TCP` -> `frontend/web -> svc:backend/api:80/TCP`."""
    return re.sub(rf"(?<![\w.-]){re.escape(trainee)}-(?=[a-z0-9])", "", probe)


def wrong_predictions(progress: Mapping[str, TraineeProgress], *, labs: Sequence[str] = (),
                      step_order: Sequence[tuple[str, str]] = ()) -> WrongPredictions:
    """Count every trainee's last checked predictions, probe by probe; labs in course order.

    Within a lab the probes most often predicted wrongly come first (share, then count), ties in the
    order of the lab's steps (`step_order`, as `Room.step_order()` gives it), then by probe.
    """
    rows: dict[tuple[str, str, str], ProbeGuesses] = {}
    without = []
    for trainee, record in progress.items():
        if not record.predictions:
            without.append(trainee)
            continue
        for lab, steps in record.predictions.items():
            if labs and lab not in labs:
                continue
            for step, cells in steps.items():
                for cell in cells:
                    probe = _lab_probe(cell.probe, trainee)
                    guesses = rows.setdefault((lab, step, probe), ProbeGuesses(lab, step, probe))
                    guesses.observed[cell.observed] += 1
                    if cell.wrong:
                        guesses.wrong[trainee] = cell.predicted
                    else:
                        guesses.right.append(trainee)
    position = {key: i for i, key in enumerate(step_order)}
    by_lab: dict[str, list[ProbeGuesses]] = {}
    for lab in sorted({key[0] for key in rows}):
        found = [g for key, g in rows.items() if key[0] == lab]
        found.sort(key=lambda g: (-g.share_wrong, -len(g.wrong), position.get((g.lab, g.step), len(position)),
                                  g.probe))
        by_lab[lab] = found
    return WrongPredictions(trainees=len(progress), labs=by_lab, without_predictions=sorted(without))
