"""`python -m labs run-notebooks [--solve] [--json]`: execute every lab notebook headless and report.

Without `--solve` the notebooks run as a trainee would (exercises unanswered: their checks must say
"not yet"); with `--solve` (LABS_SOLVE=1) every exercise loads its solution and every check must pass.
`--both` runs both. Exit 0 when every run passes, 1 otherwise, 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from labs.course.notebooks import course_notebooks, run_notebooks

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: every lab notebook)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--solve", action="store_true", help="load every exercise's solution; every check must pass")
    mode.add_argument("--both", action="store_true", help="run as a trainee and with --solve")
    parser.add_argument("--json", action="store_true", help="print one JSON report")
    parser.add_argument("--parallel", type=int, default=3, help="notebooks run at the same time (default 3)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per cell (default 120)")


def run(args: argparse.Namespace) -> int:
    paths = list(args.notebooks) or course_notebooks()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"labs run-notebooks: no such notebook: {', '.join(missing)}")
        return 2
    modes = (False, True) if args.both else ((True,) if args.solve else (False,))
    started = time.monotonic()
    reports = run_notebooks(paths, modes=modes, parallel=args.parallel, timeout=args.timeout)
    total = round(time.monotonic() - started, 2)
    failed = [r for r in reports if not r.passed]
    if args.json:
        print(json.dumps({"notebooks": [r.to_json() for r in reports], "passed": len(reports) - len(failed),
                          "failed": len(failed), "seconds": total}, indent=2))
    else:
        for r in reports:
            mode = "instructor" if r.solve else "trainee"
            print(f"{'pass' if r.passed else 'FAIL'}  {r.notebook:<32} {mode:<10} {r.seconds:6.1f} s")
            for problem in r.problems:
                print(f"      {problem}")
        print(f"{len(reports) - len(failed)} passed, {len(failed)} failed in {total:.1f} s")
    return 1 if failed else 0
