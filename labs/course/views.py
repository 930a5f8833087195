"""What lab calls return to a notebook cell: small values that render as text and as escaped HTML.

Kept apart from the session so that rendering never touches a cluster (model first, render second).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from labs.course.checks import ProbeCheck
from labs.outcomes import FAIL_COLOR, PASS_COLOR
from labs.richtext import left_aligned, rich

__all__ = ["column_label", "Message", "MatrixResult", "HintView", "SolutionView", "LabOverview", "FlowTable",
           "IdentityTable", "PolicyFiles"]



@dataclass(frozen=True)
class Message:
    """A sentence or a few lines, e.g. what an apply changed or why it was refused."""

    text: str
    ok: bool = True
    title: str = ""

    def __repr__(self) -> str:
        return (f"{self.title}\n" if self.title else "") + self.text

    def _repr_html_(self) -> str:
        colour = PASS_COLOR if self.ok else FAIL_COLOR
        title = f"<b>{rich(self.title)}</b><br>" if self.title else ""
        return (f'<div style="border-left:4px solid {colour};padding-left:8px">{title}'
                f"<pre>{html.escape(self.text)}</pre></div>")


@dataclass(frozen=True)
class MatrixResult:
    """A connectivity matrix: sources by destination, each cell observed (and expected)."""

    title: str
    checks: tuple[ProbeCheck, ...]
    backend: str = ""
    with_plot: bool = False
    """Embed the matplotlib figure under the table (`lab.matrix(step, plot=True)`); the table alone is cheaper."""

    def cells(self) -> dict[tuple[str, str], ProbeCheck]:
        return {(c.spec.probe.source, _column(c)): c for c in self.checks}

    @property
    def rows(self) -> list[str]:
        return list(dict.fromkeys(c.spec.probe.source for c in self.checks))

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(_column(c) for c in self.checks))

    @property
    def mismatches(self) -> tuple[ProbeCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def __repr__(self) -> str:
        cells = self.cells()
        width = max([len(r) for r in self.rows] + [6])
        lines = [self.title]
        for i, col in enumerate(self.columns):
            lines.append(f"  [{i + 1}] {col}")
        lines.append(" " * width + "  " + " ".join(f"[{i + 1}]".ljust(11) for i in range(len(self.columns))))
        for row in self.rows:
            parts = []
            for col in self.columns:
                c = cells.get((row, col))
                parts.append((c.observed.value + ("" if c.ok else "*") if c else "").ljust(11))
            lines.append(row.ljust(width) + "  " + " ".join(parts))
        if self.mismatches:
            lines.append("* not as expected:")
            lines += [f"  {c.line()}" for c in self.mismatches]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        cells = self.cells()
        head = "".join(f"<th>{esc(c)}</th>" for c in self.columns)
        body = []
        for row in self.rows:
            tds = []
            for col in self.columns:
                c = cells.get((row, col))
                if c is None:
                    tds.append("<td></td>")
                    continue
                colour = c.observed.tint
                mark = "" if c.ok else f" &#10007; expected {esc(c.spec.expect_text)}"
                tds.append(f'<td style="background:{colour}" title="{esc(c.result.reason)}">'
                           f"{esc(c.observed.value)}{mark}</td>")
            body.append(f"<tr><th>{esc(row)}</th>{''.join(tds)}</tr>")
        plot = _plot_html(self) if self.with_plot else ""
        table = left_aligned(f"<table><tr><th>from \\ to</th>{head}</tr>{''.join(body)}</table>")
        return f"<div><b>{rich(self.title)}</b>{table}{plot}</div>"

    def plot(self) -> Any:
        """The matplotlib figure of `labs.viz.matrix_plot`: observed cells, mismatches framed."""
        from labs.viz import matrix_plot

        return matrix_plot(self.plot_rows(), title=self.title)

    def plot_rows(self) -> list[tuple[str, str, Any, Any, str]]:
        """(source, destination, expected, observed, reason) rows as labs.viz.matrix_plot takes them."""
        return [(c.spec.probe.source, _column(c), c.spec.expect[0] if c.ok is False or len(c.spec.expect) == 1
                 else c.observed, c.observed, c.result.reason) for c in self.checks]


def _column(check: ProbeCheck) -> str:
    return column_label(check.spec.probe)


def column_label(probe: Any) -> str:
    """A matrix column: `ns/pod:80`, `svc:ns/name:80 GET /path`, `fqdn:name:443`, `dns name`."""
    if probe.target is None:
        return f"dns {probe.dns}"
    text = str(probe.target)
    if probe.protocol == "ICMP":
        return text + " ICMP"
    text += f":{probe.port}" + ("" if probe.protocol == "TCP" else f"/{probe.protocol}")
    if probe.http:
        text += f" {probe.http}"
    return text


def _plot_html(matrix: MatrixResult) -> str:
    """The matrix plot as an inline PNG (an HTML output shows no separate image)."""
    import base64
    import io

    if not matrix.checks:
        return ""
    buffer = io.BytesIO()
    matrix.plot().savefig(buffer, format="png", bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<br><img alt="connectivity matrix of {html.escape(matrix.title)}" src="data:image/png;base64,{data}">'


@dataclass(frozen=True)
class HintView:
    step: str
    number: int
    total: int
    text: str

    def __repr__(self) -> str:
        if self.number > self.total:
            return (f"No more hints for {self.step!r} (there were {self.total}). "
                    f"lab.solution({self.step!r}) shows the solution.")
        return f"Hint {self.number} of {self.total} for {self.step!r}: {self.text}"

    def _repr_html_(self) -> str:
        return f"<p>&#128161; {rich(repr(self))}</p>"


@dataclass(frozen=True)
class SolutionView:
    step: str
    path: str
    text: str
    note: str = ""

    def __repr__(self) -> str:
        return f"Solution of {self.step!r} ({self.path}){' - ' + self.note if self.note else ''}:\n{self.text}"

    def _repr_html_(self) -> str:
        note = f"<br>{html.escape(self.note)}" if self.note else ""
        return (f"<details open><summary>Solution of <b>{html.escape(self.step)}</b> "
                f"(<code>{html.escape(self.path)}</code>){note}</summary><pre>{html.escape(self.text)}</pre></details>")


@dataclass(frozen=True)
class LabOverview:
    """The first cell of every lab: what it teaches, how long it takes, and which backend runs it."""

    lab: str
    title: str
    minutes: int
    objectives: tuple[str, ...]
    backend: str
    reason: str
    steps: tuple[tuple[str, str, str], ...]
    notes: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        lines = [f"Lab {self.lab}: {self.title} (about {self.minutes} minutes)",
                 f"Backend: {self.backend} - {self.reason}", "Objectives:"]
        lines += [f"  - {o}" for o in self.objectives]
        lines.append("Steps:")
        lines += [f"  {sid:<24} {kind:<9} {title}" for sid, kind, title in self.steps]
        lines += self.notes
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        objectives = "".join(f"<li>{rich(o)}</li>" for o in self.objectives)
        steps = "".join(f"<tr><td><code>{esc(s)}</code></td><td>{esc(k)}</td><td>{rich(t)}</td></tr>"
                        for s, k, t in self.steps)
        notes = "".join(f"<p>{rich(n)}</p>" for n in self.notes)
        table = left_aligned(f"<table><tr><th>step</th><th>kind</th><th>what</th></tr>{steps}</table>")
        return (f"<div><h3>Lab {esc(self.lab)}: {rich(self.title)}</h3><p>About {self.minutes} minutes. "
                f"Backend: <b>{esc(self.backend)}</b> ({esc(self.reason)})</p><ul>{objectives}</ul>"
                f"{table}{notes}</div>")


@dataclass(frozen=True)
class FlowTable:
    """Flows as `hubble observe` would print them, one line each."""

    lines: tuple[str, ...]
    empty_reason: str = ""

    def __repr__(self) -> str:
        return "\n".join(self.lines) if self.lines else self.empty_reason

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(repr(self))}</pre>"


@dataclass(frozen=True)
class IdentityTable:
    """Pods, their security identity and the labels it is derived from."""

    rows: tuple[tuple[str, str, tuple[str, ...]], ...]

    def __repr__(self) -> str:
        lines = []
        for pod, identity, labels in self.rows:
            lines.append(f"{pod:<28} identity {identity}")
            lines += [f"    {label}" for label in labels]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(f"<tr><td><code>{esc(p)}</code></td><td>{esc(i)}</td><td>{'<br>'.join(map(esc, ls))}</td></tr>"
                       for p, i, ls in self.rows)
        return left_aligned(f"<table><tr><th>pod</th><th>identity</th><th>labels</th></tr>{rows}</table>")


@dataclass(frozen=True)
class PolicyFiles:
    """The YAML a step puts in force, shown before it is applied (read it, predict, then apply)."""

    step: str
    files: tuple[tuple[str, str], ...]
    """(path as shown, YAML text) for each file."""
    note: str = ""

    def __repr__(self) -> str:
        if not self.files:
            return f"Step {self.step!r} puts no policy of its own in force." + (f" {self.note}" if self.note else "")
        parts = [f"# {path}\n{text.rstrip()}" for path, text in self.files]
        return "\n---\n".join(parts) + (f"\n# {self.note}" if self.note else "")

    def _repr_html_(self) -> str:
        if not self.files:
            return f"<p>{rich(repr(self))}</p>"
        blocks = "".join(f"<details open><summary><code>{html.escape(path)}</code></summary>"
                         f"<pre>{html.escape(text.rstrip())}</pre></details>" for path, text in self.files)
        note = f"<p>{rich(self.note)}</p>" if self.note else ""
        return f"<div><b>Policies of step <code>{html.escape(self.step)}</code></b>{blocks}{note}</div>"
