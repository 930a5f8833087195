"""Doctor results: one Check per line (pass / warn / fail / skip) with the exact fix, as text, HTML or JSON."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from typing import Literal

from labs.outcomes import FAIL_COLOR, PASS_COLOR, WARN_COLOR
from labs.richtext import left_aligned

__all__ = ["Check", "DoctorReport", "Status", "STATUSES"]

Status = Literal["pass", "warn", "fail", "skip"]
STATUSES: tuple[str, ...] = ("pass", "warn", "fail", "skip")
_COLOURS = {"pass": PASS_COLOR, "warn": WARN_COLOR, "fail": FAIL_COLOR, "skip": "#57606a"}


@dataclass(frozen=True)
class Check:
    """One thing checked: what was found and, unless it passed, exactly what to do."""

    name: str
    status: Status
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.upper():<4}  {self.name:<18} {self.message}"
        if self.fix and self.status != "pass":
            text += f" Fix: {self.fix}"
        return text


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when nothing failed (warnings allowed)."""
        return not any(c.status == "fail" for c in self.checks)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.checks if c.status == s) for s in STATUSES}

    def summary(self) -> str:
        counts = self.counts()
        return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]) or "nothing checked"

    def __str__(self) -> str:
        return "\n".join([c.line() for c in self.checks] + [f"labs doctor: {self.summary()}"])

    def to_json(self) -> str:
        return json.dumps({"ok": self.ok, "summary": self.counts(), "checks": [asdict(c) for c in self.checks]},
                          indent=2)

    def _repr_html_(self) -> str:
        rows = []
        for c in self.checks:
            fix = html.escape(c.fix) if c.fix and c.status != "pass" else ""
            rows.append(f'<tr><td style="color:{_COLOURS[c.status]};font-weight:bold">{c.status}</td>'
                        f"<td>{html.escape(c.name)}</td><td>{html.escape(c.message)}</td><td>{fix}</td></tr>")
        table = left_aligned('<table class="labs-doctor"><thead><tr><th>status</th><th>check</th><th>found</th>'
                             f"<th>fix</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
        return f"{table}<p>{html.escape(self.summary())}</p>"
