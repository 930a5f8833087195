"""Execute notebooks headless and report how each went (run in processes of their own by `notebooks`).

`python -m labs.course.notebook_run NOTEBOOK [--solve]` executes every cell with nbclient on the
Python kernel of the running interpreter, in a scratch copy, with hermetic Jupyter, IPython,
matplotlib and LABS_HOME directories, and prints one JSON object: ok, seconds, the failing cell
and error if any, and the status of every `lab.check` the notebook made.

`--batch` reads a JSON list of jobs (`notebook`, `solve`, `scratch`) on stdin and runs them one after
the other, each in a fresh kernel with its own hermetic environment, printing one marked JSON line per
job: the runner's own start (nbclient and nbformat take over a second to import) is paid once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["run_notebook", "run_batch", "hermetic_env", "main", "REPORT_MARK"]

CHECK_MIMETYPE = "application/vnd.ciliumlab.check+json"
REPORT_MARK = "@@labs-notebook-report "
"""Starts each report line of a batch (kernels may print on the same stdout)."""


def hermetic_env(scratch: Path, *, solve: bool, backend: str = "sim") -> dict[str, str]:
    """The environment a notebook runs in: private Jupyter/IPython/matplotlib/LABS_HOME directories."""
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR",
                 "LABS_HOME"):
        path = scratch / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["LABS_BACKEND"] = backend
    env["LABS_SOLVE"] = "1" if solve else "0"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def run_notebook(path: Path, *, solve: bool, timeout: float = 120.0, env: dict[str, str] | None = None
                 ) -> dict[str, Any]:
    """Execute the notebook; its kernel gets `env` (default: this process's environment)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    started = time.monotonic()
    nb = nbformat.read(str(path), as_version=4)
    report: dict[str, Any] = {"notebook": path.name, "solve": solve, "ok": True, "error": None, "cell": None}
    for attempt in range(1 + KERNEL_START_RETRIES):
        with tempfile.TemporaryDirectory(prefix="labs-nb-") as work:
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                                    resources={"metadata": {"path": work}})
            try:
                client.execute(**({"env": env} if env is not None else {}))
            except CellExecutionError as exc:
                report.update(ok=False, error=_first_line(str(exc), "ename") or str(exc)[-2000:])
            except Exception as exc:  # a kernel that dies or times out is a failed run, reported, not raised
                if attempt < KERNEL_START_RETRIES and _kernel_never_started(exc, nb):
                    report["kernel_restarts"] = attempt + 1
                    continue
                report.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        break
    report["cell"] = _failing_cell(nb)
    report["checks"] = _checks(nb)
    report["seconds"] = round(time.monotonic() - started, 2)
    return report


KERNEL_START_RETRIES = 1
"""A kernel can die before its first reply when another process takes one of the ports it was given
(jupyter_client picks free ports, then the kernel binds them); seen once in CI with clusters starting
beside it. Nothing of the notebook ran then, so starting it again changes no result."""


def _kernel_never_started(exc: Exception, nb: Any) -> bool:
    """The kernel died before answering kernel_info, and no cell ran: a start failure, not a lab failure."""
    started = any(cell.get("execution_count") or cell.get("outputs") for cell in nb.cells
                  if cell.get("cell_type") == "code")
    return "before replying to kernel_info" in str(exc) and not started


def _first_line(text: str, _marker: str) -> str:
    """The last non-empty line of a cell error (`TypeError: ...`), without terminal colours."""
    import re

    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    lines = [line for line in plain.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _failing_cell(nb: Any) -> int | None:
    for index, cell in enumerate(nb.cells):
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return index
    return None


def _checks(nb: Any) -> list[dict[str, Any]]:
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if CHECK_MIMETYPE in data:
                item = data[CHECK_MIMETYPE]
                found.append({"cell": index, "step": item["step"], "kind": item["kind"], "status": item["status"],
                              "summary": item["summary"]})
    return found


def run_batch(jobs: list[dict[str, Any]], *, timeout: float = 120.0) -> bool:
    """Run each job in a fresh kernel with its own hermetic environment; print one marked report per job."""
    all_ok = True
    for job in jobs:
        env = hermetic_env(Path(job["scratch"]), solve=bool(job["solve"]))
        report = run_notebook(Path(job["notebook"]), solve=bool(job["solve"]), timeout=timeout, env=env)
        report["path"] = job["notebook"]
        all_ok = all_ok and report["ok"]
        print(REPORT_MARK + json.dumps(report), flush=True)
    return all_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs.course.notebook_run")
    parser.add_argument("notebook", type=Path, nargs="?")
    parser.add_argument("--solve", action="store_true")
    parser.add_argument("--batch", action="store_true", help="read a JSON list of jobs on stdin")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per cell (default 120)")
    args = parser.parse_args(argv)
    if args.batch:
        return 0 if run_batch(json.load(sys.stdin), timeout=args.timeout) else 1
    if args.notebook is None:
        parser.error("give a notebook, or --batch with jobs on stdin")
    report = run_notebook(args.notebook, solve=args.solve, timeout=args.timeout)
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
