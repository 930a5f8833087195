"""Execute one notebook headless and report how it went (run in its own process by `notebooks`).

`python -m labs.course.notebook_run NOTEBOOK [--solve]` executes every cell with nbclient on the
Python kernel of the running interpreter, in a scratch copy, with hermetic Jupyter, IPython,
matplotlib and LABS_HOME directories, and prints one JSON object: ok, seconds, the failing cell
and error if any, and the status of every `lab.check` the notebook made.
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

__all__ = ["run_notebook", "hermetic_env", "main"]

CHECK_MIMETYPE = "application/vnd.ciliumlab.check+json"


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


def run_notebook(path: Path, *, solve: bool, timeout: float = 120.0, backend: str = "sim") -> dict[str, Any]:
    """Execute the notebook in this process's environment (call it in a process of its own)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    started = time.monotonic()
    nb = nbformat.read(str(path), as_version=4)
    report: dict[str, Any] = {"notebook": path.name, "solve": solve, "ok": True, "error": None, "cell": None}
    with tempfile.TemporaryDirectory(prefix="labs-nb-") as work:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                                resources={"metadata": {"path": work}})
        try:
            client.execute()
        except CellExecutionError as exc:
            report.update(ok=False, error=_first_line(str(exc), "ename") or str(exc)[-2000:])
        except Exception as exc:  # a kernel that dies or times out is a failed run, reported, not raised
            report.update(ok=False, error=f"{type(exc).__name__}: {exc}")
    report["cell"] = _failing_cell(nb)
    report["checks"] = _checks(nb)
    report["seconds"] = round(time.monotonic() - started, 2)
    return report


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs.course.notebook_run")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--solve", action="store_true")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per cell (default 120)")
    args = parser.parse_args(argv)
    report = run_notebook(args.notebook, solve=args.solve, timeout=args.timeout)
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
