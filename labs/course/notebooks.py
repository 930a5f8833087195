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

from labs.course.notebook_run import hermetic_env
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


def _run_one(path: Path, solve: bool, timeout: float) -> NotebookReport:
    with tempfile.TemporaryDirectory(prefix="labs-run-") as scratch:
        env = hermetic_env(Path(scratch), solve=solve)
        cmd = [sys.executable, "-m", "labs.course.notebook_run", str(path), "--timeout", str(timeout)]
        if solve:
            cmd.append("--solve")
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout * 4)
        except subprocess.TimeoutExpired:
            return judge(NotebookReport(path.name, solve, False, timeout * 4, f"no result after {timeout * 4:.0f} s"))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return judge(NotebookReport(path.name, solve, False, 0.0, "the runner printed no report: " + " | ".join(tail)))
    data = json.loads(lines[-1])
    return judge(NotebookReport(path.name, solve, data["ok"], data["seconds"], data["error"], data["cell"],
                                data["checks"]))


def run_notebooks(paths: list[Path], *, modes: tuple[bool, ...] = (False, True), parallel: int = 3,
                  timeout: float = 120.0) -> list[NotebookReport]:
    """Run each notebook in each mode (False = trainee, True = instructor); reports in input order."""
    jobs = [(p, solve) for p in paths for solve in modes]
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(lambda job: _run_one(job[0], job[1], timeout), jobs))
