"""A live flow tail: polls Hubble every few seconds, shows new matching flows, and stops by itself.

It never runs forever: after `duration` seconds (or Stop) the thread ends and the widget says
how many flows it showed. Records are de-duplicated (by Hubble's uuid, else their content), so
`fetch` may return the whole recent window each time.
"""

from __future__ import annotations

import argparse
import json
import shlex
import threading
import time
from typing import Any, Callable, Mapping

import ipywidgets as widgets

from labs.flows.classify import FlowOutcome, classify
from labs.flows.filters import Everything, FlowFilter
from labs.flows.model import Flow
from labs.flows.options import FilterOptionError, add_filter_arguments, build_filter, filter_from_args
from labs.flows.parse import FlowParseError, parse_flow
from labs.flows.render import flow_line
from labs.viz.palette import FLOW_OUTCOME_COLORS
from labs.widgets._common import GREY, RED, WidgetWrapper, esc, note

__all__ = ["FlowTail", "parse_filter_text"]


def parse_filter_text(text: str) -> FlowFilter:
    """`--verdict DROPPED --namespace backend` (as typed into the tail's box) -> a filter; errors raise ValueError."""
    parser = argparse.ArgumentParser(prog="filters", add_help=False, exit_on_error=False)
    add_filter_arguments(parser)
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"filter text {text!r} cannot be split into options: {exc}") from None
    try:
        args, rest = parser.parse_known_args(words)
    except (argparse.ArgumentError, SystemExit) as exc:
        raise ValueError(f"filter text {text!r} is not understood: {exc}") from None
    if rest:
        raise ValueError(f"unknown filter option(s) {' '.join(rest)!r}; use hubble observe options such as "
                         "--namespace backend --verdict DROPPED")
    try:
        return filter_from_args(args)
    except FilterOptionError as exc:
        raise ValueError(str(exc)) from None


def _record_key(record: Mapping[str, Any]) -> str:
    flow = record.get("flow", record)
    uuid = flow.get("uuid") if isinstance(flow, Mapping) else None
    return uuid if isinstance(uuid, str) and uuid else json.dumps(record, sort_keys=True, default=str)


class FlowTail(WidgetWrapper):
    """`FlowTail(fetch, filters=None, duration=60, interval=2)`: fetch() -> list of GetFlowsResponse dicts."""

    def __init__(self, fetch: Callable[[], list[dict[str, Any]]],
                 filters: FlowFilter | Mapping[str, Any] | str | None = None, duration: float = 60,
                 interval: float = 2, *, max_lines: int = 200, autostart: bool = True):
        if duration <= 0 or interval <= 0:
            raise ValueError(f"duration ({duration!r}) and interval ({interval!r}) must be positive seconds")
        self._fetch = fetch
        self.duration, self.interval, self.max_lines = float(duration), float(interval), max_lines
        self.filter: FlowFilter = Everything()
        self.flows: list[Flow] = []
        self.unreadable = 0
        self.polls = 0
        self.last_error: str | None = None
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at = 0.0
        self.filter_box = widgets.Text(value="", placeholder="--verdict DROPPED --namespace backend",
                                       description="filters", layout=widgets.Layout(width="60%"))
        self.start_button = widgets.Button(description="Start", icon="play", button_style="primary")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.status = widgets.HTML(note("Not started.", GREY))
        self.log = widgets.HTML("")
        self.log.add_class("labs-flow-tail-log")
        self.start_button.on_click(lambda _b: self.start())
        self.stop_button.on_click(lambda _b: self.stop())
        self.widget = widgets.VBox([widgets.HBox([self.filter_box, self.start_button, self.stop_button]),
                                    self.status, self.log])
        self.widget.add_class("labs-flow-tail")
        self.set_filters(filters)
        if autostart:
            self.start()

    def set_filters(self, filters: FlowFilter | Mapping[str, Any] | str | None) -> None:
        """A filter object, a mapping of hubble observe options, or option text; shown in the box."""
        if filters is None:
            self.filter = Everything()
        elif isinstance(filters, str):
            self.filter = parse_filter_text(filters)
            self.filter_box.value = filters
        elif isinstance(filters, Mapping):
            self.filter = build_filter(filters)
            self.filter_box.value = " ".join(
                f"--{k.replace('_', '-')} {shlex.quote(str(v))}" for k, vs in filters.items() if vs is not None
                for v in (vs if isinstance(vs, (list, tuple)) else [vs]))
        else:
            self.filter = filters
            self.filter_box.value = ""
            self.filter_box.placeholder = filters.describe()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start (or restart) tailing for `duration` seconds; the filter box is read now."""
        if self.running:
            return
        if self.filter_box.value.strip():
            try:
                self.filter = parse_filter_text(self.filter_box.value)
            except ValueError as exc:
                self.status.value = note(str(exc), RED, bold=True)
                return
        self._stop.clear()
        self._started_at = time.monotonic()
        self.start_button.disabled, self.stop_button.disabled = True, False
        self.status.value = note(f"Tailing {self.filter.describe()} for {self.duration:g} s...", GREY)
        self._thread = threading.Thread(target=self._run, name="labs-flow-tail", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the tail to end (at most `timeout` seconds); True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _run(self) -> None:
        deadline = self._started_at + self.duration
        reason = "time is up"
        while True:
            self.poll()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if self._stop.wait(min(self.interval, remaining)):
                reason = "stopped"
                break
        self._finish(reason)

    def _finish(self, reason: str) -> None:
        elapsed = time.monotonic() - self._started_at
        dropped = sum(1 for f in self.flows if classify(f) is not FlowOutcome.FORWARDED)
        text = (f"Stopped ({reason}) after {elapsed:.0f} s: {len(self.flows)} flow{'s' if len(self.flows) != 1 else ''}"
                f" shown, {dropped} not forwarded.")
        if self.last_error:
            text += f" Last problem: {self.last_error}"
        self.status.value = note(text, GREY, bold=True)
        self.start_button.disabled, self.stop_button.disabled = False, True

    def poll(self) -> int:
        """Fetch once and add the new matching flows; returns how many were added."""
        self.polls += 1
        try:
            records = list(self._fetch())
        except Exception as exc:  # Hubble unreachable, port-forward gone: say so and keep trying
            self.last_error = f"Hubble is unreachable: {exc}"
            self.status.value = note(f"{self.last_error}. Retrying every {self.interval:g} s.", RED)
            return 0
        added = []
        with self._lock:
            for record in records:
                key = _record_key(record) if isinstance(record, Mapping) else repr(record)
                if key in self._seen:
                    continue
                self._seen.add(key)
                try:
                    flow = parse_flow(record)
                except FlowParseError:
                    self.unreadable += 1
                    continue
                if self.filter.match(flow):
                    added.append(flow)
            self.flows.extend(added)
        if added or self.polls == 1:
            self._render()
        return len(added)

    def _render(self) -> None:
        shown = self.flows[-self.max_lines :]
        if not shown:
            self.log.value = note(f"No flows matching {self.filter.describe()} yet.", GREY)
            return
        lines = []
        for flow in shown:
            color = FLOW_OUTCOME_COLORS[classify(flow)]
            lines.append(f'<span style="color:{color}">{esc(flow_line(flow))}</span>')
        extra = f" ({self.unreadable} unreadable record(s) skipped)" if self.unreadable else ""
        self.log.value = (f'<div style="font-size:12px;color:{GREY}">{len(self.flows)} flow(s){esc(extra)}</div>'
                          '<pre style="max-height:320px;overflow:auto;font-size:11.5px;line-height:1.35;'
                          f'margin:2px 0">{"<br>".join(lines)}</pre>')
