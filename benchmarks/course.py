"""How long the whole course takes to execute headless on the simulated backend (target: under 2 minutes).

Run: `python benchmarks/course.py [--parallel 3] [--modes both|trainee|instructor]`. Times
`python -m labs run-notebooks` the way CI runs it (every lab notebook, as a trainee and with
solutions), prints each notebook's seconds, the wall-clock total and the CPU seconds of the runner
processes and kernels, then the same run for a baseline measured here: as many one-cell notebooks
(`import labs`: a kernel start and the package import, nothing else) with the same parallelism.
The ratio says how much of the course's time is the labs themselves rather than starting kernels.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from labs.course.notebooks import course_notebooks, run_notebooks

TARGET_SECONDS = 120.0
MODES = {"both": (False, True), "trainee": (False,), "instructor": (True,)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(paths: list[Path], modes: tuple[bool, ...], parallel: int) -> tuple[float, float, list]:
    cpu, started = _children_cpu(), time.monotonic()
    reports = run_notebooks(paths, modes=modes, parallel=parallel)
    return time.monotonic() - started, _children_cpu() - cpu, reports


def _baseline_notebooks(folder: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_code_cell("import labs"))
        path = folder / f"{i:02d}-baseline.ipynb"
        nbformat.write(nb, str(path))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/course.py")
    parser.add_argument("--parallel", type=int, default=3, help="runner processes (default 3, as run-notebooks)")
    parser.add_argument("--modes", choices=sorted(MODES), default="both")
    args = parser.parse_args(argv)
    modes = MODES[args.modes]
    paths = course_notebooks()

    wall, cpu, reports = _timed(paths, modes, args.parallel)
    print(f"{'notebook':<34} {'mode':<10} {'seconds':>8}  result")
    for r in reports:
        print(f"{r.notebook:<34} {'instructor' if r.solve else 'trainee':<10} {r.seconds:8.2f}  "
              f"{'pass' if r.passed else 'FAIL: ' + '; '.join(r.problems)[:80]}")
    failed = sum(not r.passed for r in reports)
    print(f"course: {len(reports)} runs, {failed} failed, {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"(sum of per-notebook seconds {sum(r.seconds for r in reports):.1f})")

    with tempfile.TemporaryDirectory(prefix="labs-bench-") as folder:
        base_wall, base_cpu, base_reports = _timed(_baseline_notebooks(Path(folder), len(reports)), (False,),
                                                   args.parallel)
    per_kernel = sum(r.seconds for r in base_reports) / max(1, len(base_reports))
    print(f"baseline: {len(base_reports)} one-cell notebooks (kernel start + import labs), {base_wall:.1f} s wall, "
          f"{base_cpu:.1f} s CPU, {per_kernel:.2f} s each")
    print(f"ratio course/baseline: {wall / base_wall:.2f} wall, {cpu / max(base_cpu, 0.01):.2f} CPU")
    verdict = "met" if wall < TARGET_SECONDS and not failed else "NOT met"
    print(f"target: whole course under {TARGET_SECONDS:.0f} s on the simulated backend: {verdict} ({wall:.1f} s)")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
