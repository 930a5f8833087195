"""Expected against observed: the result of `lab.check("step")`, shown in a notebook or a terminal.

A `CheckResult` is a plain value (otter-grader's idea): the value a cell returns is the display,
as text (`__repr__`) or escaped HTML (`_repr_html_`), plus a small JSON bundle that the notebook
runner reads to know how every check ended. Each line reads like
"expected dropped, observed allowed (reason)" and the result names the lab.yaml file and step.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from labs.course.probe_spec import ProbeSpec
from labs.outcomes import FAIL_COLOR, PASS_COLOR, WARN_COLOR, Outcome
from labs.probes import ProbeResult
from labs.richtext import left_aligned, rich

__all__ = ["ProbeCheck", "CheckResult", "compare", "CHECK_MIMETYPE", "PASS", "NOT_YET", "ERROR"]

CHECK_MIMETYPE = "application/vnd.ciliumlab.check+json"
"""Extra output of every check; front ends ignore it, the notebook runner collects it."""

PASS, NOT_YET, ERROR = "pass", "not-yet", "error"
_HEAD = {PASS: "PASS", NOT_YET: "NOT YET", ERROR: "ERROR"}
_MARK = {True: "ok", False: "!!"}


@dataclass(frozen=True)
class ProbeCheck:
    """One probe of a step: what was expected, what was observed, and why."""

    spec: ProbeSpec
    result: ProbeResult

    @property
    def observed(self) -> Outcome:
        return self.result.outcome

    @property
    def ok(self) -> bool:
        return self.spec.accepts(self.result.outcome)

    @property
    def misses_intent(self) -> bool:
        """Pitfall probes: the wrong policy does not do what its author meant."""
        return self.spec.intended is not None and self.spec.intended is not self.observed

    def line(self) -> str:
        """`ns/a -> ns/b:80/TCP: expected dropped, observed allowed (reason)`."""
        reason = f" ({self.result.reason})" if self.result.reason else ""
        if self.spec.intended is not None:
            verb = "meant" if self.misses_intent else "meant and got"
            return f"{self.spec.label}: {verb} {self.spec.intended}, observed {self.observed}{reason}"
        return f"{self.spec.label}: expected {self.spec.expect_text}, observed {self.observed}{reason}"


@dataclass(frozen=True)
class CheckResult:
    """How one step of a lab checked out."""

    lab: str
    step: str
    kind: str
    title: str
    status: str
    """pass, not-yet or error (the words of the progress store)."""
    summary: str
    """One sentence under the heading: what passed, or what to do next."""
    where: str
    """The lab.yaml file, line and step the expectations come from."""
    probes: tuple[ProbeCheck, ...] = ()
    notes: tuple[str, ...] = ()
    """Validation problems, lint findings, the pitfall's explanation."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def failures(self) -> tuple[ProbeCheck, ...]:
        return tuple(p for p in self.probes if not p.ok)

    @property
    def heading(self) -> str:
        """PASS / NOT YET / ERROR, and PITFALL SHOWN for a pitfall that failed as described."""
        return "PITFALL SHOWN" if self.kind == "pitfall" and self.status == PASS else _HEAD[self.status]

    def text(self) -> str:
        lines = [f"{self.heading}  {self.lab} / {self.step}: {self.title}", f"  {self.summary}"]
        if self.kind == "pitfall":
            shown = [p for p in self.probes if p.misses_intent] or list(self.probes)
            lines += [f"  [{_MARK[not p.misses_intent]}] {p.line()}" for p in shown]
        else:
            bad, good = self.failures, [p for p in self.probes if p.ok]
            lines += [f"  [!!] {p.line()}" for p in bad]
            if good:
                lines.append(f"  [ok] {len(good)} of {len(self.probes)} probes as expected")
        lines += [f"  {n}" for n in self.notes]
        lines.append(f"  (expectations: {self.where})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour = {PASS: PASS_COLOR, NOT_YET: WARN_COLOR, ERROR: FAIL_COLOR}[self.status]
        esc = html.escape
        rows = []
        for p in self.probes:
            mark = "&#10003;" if (p.ok if self.kind != "pitfall" else not p.misses_intent) else "&#10007;"
            wanted = p.spec.intended.value if p.spec.intended is not None else p.spec.expect_text
            rows.append(f"<tr><td>{mark}</td><td><code>{esc(p.spec.label)}</code></td><td>{esc(wanted)}</td>"
                        f"<td><b>{esc(p.observed.value)}</b></td><td>{esc(p.result.reason)}</td></tr>")
        head = "meant" if self.kind == "pitfall" else "expected"
        table = left_aligned("<table><tr><th></th><th>probe</th><th>" + head + "</th><th>observed</th><th>why</th></tr>"
                             + "".join(rows) + "</table>") if rows else ""
        notes = "".join(f'<p style="white-space:pre-wrap">{rich(n)}</p>' for n in self.notes)
        return (f'<div class="ciliumlab-check" style="border-left:4px solid {colour};padding-left:8px">'
                f'<p><b style="color:{colour}">{esc(self.heading)}</b> {esc(self.lab)} / <b>{esc(self.step)}</b>: '
                f"{rich(self.title)}</p><p>{rich(self.summary)}</p>{table}{notes}"
                f"<p><small>expectations: {esc(self.where)}</small></p></div>")

    def to_json(self) -> dict[str, Any]:
        return {"lab": self.lab, "step": self.step, "kind": self.kind, "status": self.status,
                "summary": self.summary, "where": self.where,
                "probes": [{"probe": p.spec.label, "expect": [o.value for o in p.spec.expect],
                            "intended": p.spec.intended.value if p.spec.intended else None,
                            "observed": p.observed.value, "ok": p.ok, "reason": p.result.reason}
                           for p in self.probes],
                "notes": list(self.notes)}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self._repr_html_(), CHECK_MIMETYPE: self.to_json()}


def compare(specs: tuple[ProbeSpec, ...], results: list[ProbeResult]) -> tuple[ProbeCheck, ...]:
    """Pair each expectation with its result (the backend returns results in probe order)."""
    if len(specs) != len(results):
        raise ValueError(f"{len(specs)} probes were asked for but {len(results)} results came back")
    return tuple(ProbeCheck(s, r) for s, r in zip(specs, results))
