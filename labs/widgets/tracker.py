"""The progress tracker: every lab's steps with their status, read from the progress store."""

from __future__ import annotations

from typing import Mapping, Sequence

import ipywidgets as widgets

from labs.progress import ProgressError, ProgressStore
from labs.widgets._common import AMBER, GREEN, GREY, RED, WidgetWrapper, esc, note

__all__ = ["ProgressTracker"]

_BADGES = {"pass": ("✔ pass", GREEN), "not-yet": ("○ not yet", AMBER), "error": ("✘ error", RED),
           None: ("· not started", GREY)}


class ProgressTracker(WidgetWrapper):
    """`ProgressTracker(store)`; `labs={"01-basics": ["step-1", ...]}` also lists steps not tried yet."""

    def __init__(self, store: ProgressStore, labs: Mapping[str, Sequence[str]] | None = None):
        self.store = store
        self.known = {lab: list(steps) for lab, steps in (labs or {}).items()}
        self.table = widgets.HTML("")
        self.table.add_class("labs-progress-table")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.widget = widgets.VBox([self.table, self.refresh_button])
        self.widget.add_class("labs-progress")
        self.refresh()

    def refresh(self) -> None:
        """Re-read the file and redraw."""
        try:
            data = self.store.load()
        except ProgressError as exc:
            self.table.value = note(str(exc), RED, bold=True)
            return
        labs = {lab: dict(body["steps"]) for lab, body in data["labs"].items()}
        for lab, known_steps in self.known.items():
            for step in known_steps:
                labs.setdefault(lab, {}).setdefault(step, {})
        if not labs:
            self.table.value = note("No progress recorded yet: checks you run in the labs will appear here.", GREY)
            return
        order = list(self.known) + sorted(set(labs) - set(self.known))
        passed = sum(1 for steps in labs.values() for s in steps.values() if s.get("status") == "pass")
        total = sum(len(steps) for steps in labs.values())
        who = f" — {esc(data['trainee'])}" if data.get("trainee") else ""
        rows = []
        for lab in order:
            steps = labs[lab]
            done = sum(1 for s in steps.values() if s.get("status") == "pass")
            rows.append(f'<tr style="background:#f5f5f5"><td colspan="4"><b>{esc(lab)}</b> '
                        f'<span style="color:{GREY}">{done}/{len(steps)} passed</span></td></tr>')
            step_order = [s for s in self.known.get(lab, []) if s in steps] + sorted(
                set(steps) - set(self.known.get(lab, [])))
            for step in step_order:
                entry = steps[step]
                text, color = _BADGES.get(entry.get("status"), _BADGES[None])
                rows.append(
                    f'<tr><td style="padding:1px 12px 1px 16px">{esc(step)}</td>'
                    f'<td style="color:{color};padding:1px 12px;white-space:nowrap">{text}</td>'
                    f'<td style="color:{GREY};padding:1px 12px">{entry.get("attempts", 0) or ""}</td>'
                    f'<td style="color:{GREY};padding:1px 12px">{esc(entry.get("message", ""))}</td></tr>')
        self.table.value = (f'<div style="font-weight:600;margin-bottom:4px">Progress: {passed} of {total} steps '
                            f"passed{who}</div>"
                            '<table style="border-collapse:collapse;font-size:13px"><thead><tr>'
                            '<th style="text-align:left;padding:1px 12px 1px 0">step</th>'
                            '<th style="text-align:left;padding:1px 12px">status</th>'
                            '<th style="text-align:left;padding:1px 12px">attempts</th>'
                            '<th style="text-align:left;padding:1px 12px">last message</th></tr></thead>'
                            f"<tbody>{''.join(rows)}</tbody></table>")
