"""Run every notebook of the course headless, several at a time, each in a process of its own.

Used by `python -m labs run-notebooks` and the course tests. Each run gets its own scratch
directories (see `notebook_run.hermetic_env`), so runs never share state and never write to the
user's home. A run is judged as the course requires: no cell raises, and in solve mode every check
passes, while as a trainee observe and pitfall checks pass and exercises say "not yet".
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labs.course.notebook_run import REPORT_MARK, hermetic_env
from labs.paths import notebooks_dir

__all__ = ["NotebookReport", "course_notebooks", "run_notebooks", "judge"]


@dataclass
class NotebookReport:
    notebook: str
    solve: bool
    ok: bool
    seconds: float
    error: str | None = None
    cell: int | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Why the run does not count as passed (a cell raised, a check ended wrongly)."""

    @property
    def passed(self) -> bool:
        return self.ok and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"notebook": self.notebook, "mode": "instructor" if self.solve else "trainee", "passed": self.passed,
                "seconds": self.seconds, "error": self.error, "cell": self.cell, "problems": self.problems,
                "checks": self.checks}


def course_notebooks(directory: Path | None = None) -> list[Path]:
    """The lab notebooks (NN-name.ipynb with NN below 90; 9x are instructor notebooks)."""
    base = directory or notebooks_dir()
    return sorted(p for p in base.glob("[0-8][0-9]-*.ipynb"))


def judge(report: NotebookReport) -> NotebookReport:
    """Fill in `problems`: what makes a finished run not count as passed."""
    if not report.ok:
        report.problems.append(f"cell {report.cell} raised: {report.error}")
    if not report.checks:
        report.problems.append("the notebook made no lab.check() call")
    for check in report.checks:
        wanted = "pass" if report.solve or check["kind"] != "exercise" else "not-yet"
        if check["status"] != wanted:
            report.problems.append(f"cell {check['cell']}: check {check['step']!r} ended {check['status']!r}, "
                                   f"expected {wanted!r}: {check['summary']}")
    return report


def _weight(path: Path) -> int:
    """How long a notebook runs, roughly: its number of code cells plus a kernel start."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return 1
    return 5 + sum(1 for c in cells if c.get("cell_type") == "code")


def _batches(jobs: list[tuple[Path, bool]], count: int) -> list[list[tuple[Path, bool]]]:
    """Split jobs into `count` batches of about equal work (longest first, onto the lightest batch)."""
    batches: list[list[tuple[Path, bool]]] = [[] for _ in range(count)]
    loads = [0] * count
    for job in sorted(jobs, key=lambda j: -_weight(j[0])):
        lightest = loads.index(min(loads))
        batches[lightest].append(job)
        loads[lightest] += _weight(job[0])
    return [b for b in batches if b]


def _run_batch(batch: list[tuple[Path, bool]], timeout: float) -> dict[tuple[Path, bool], NotebookReport]:
    """Run a batch in one runner process; a job without a report (the runner died) is a failed run."""
    found: dict[tuple[str, bool], dict[str, Any]] = {}
    limit = timeout * 4 * len(batch)
    failure = ""
    with tempfile.TemporaryDirectory(prefix="labs-run-") as scratch:
        jobs = [{"notebook": str(path), "solve": solve, "scratch": str(Path(scratch) / f"job-{i}")}
                for i, (path, solve) in enumerate(batch)]
        cmd = [sys.executable, "-m", "labs.course.notebook_run", "--batch", "--timeout", str(timeout)]
        try:
            proc = subprocess.run(cmd, env=hermetic_env(Path(scratch) / "runner", solve=False), input=json.dumps(jobs),
                                  capture_output=True, text=True, timeout=limit)
            out, err = proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            err, failure = "", f"no result after {limit:.0f} s (the batch's time limit)"
    for line in out.splitlines():
        if line.startswith(REPORT_MARK):
            data = json.loads(line[len(REPORT_MARK):])
            found[(data["path"], data["solve"])] = data
    if not failure:
        tail = (err or out).strip().splitlines()[-5:]
        failure = "the runner printed no report: " + " | ".join(tail)
    reports = {}
    for path, solve in batch:
        data = found.get((str(path), solve))
        if data is None:
            reports[(path, solve)] = judge(NotebookReport(path.name, solve, False, 0.0, failure))
        else:
            reports[(path, solve)] = judge(NotebookReport(path.name, solve, data["ok"], data["seconds"],
                                                          data["error"], data["cell"], data["checks"]))
    return reports


def run_notebooks(paths: list[Path], *, modes: tuple[bool, ...] = (False, True), parallel: int = 3,
                  timeout: float = 120.0) -> list[NotebookReport]:
    """Run each notebook in each mode (False = trainee, True = instructor); reports in input order.

    `parallel` runner processes share the jobs; each runs its share one after the other, every
    notebook in a fresh kernel with its own scratch directories.
    """
    jobs = [(p, solve) for p in paths for solve in modes]
    if not jobs:
        return []
    batches = _batches(jobs, max(1, min(parallel, len(jobs))))
    reports: dict[tuple[Path, bool], NotebookReport] = {}
    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        for done in pool.map(lambda batch: _run_batch(batch, timeout), batches):
            reports.update(done)
    return [reports[job] for job in jobs]
