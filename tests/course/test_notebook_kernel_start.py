"""A kernel that dies before its first reply is started again once; any other failure is reported as is."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from labs.course import notebook_run


class _Client:
    """Stands in for nbclient's NotebookClient: fails as told, in order, then succeeds."""

    failures: list[Exception] = []
    starts = 0

    def __init__(self, nb, **_kwargs):
        self.nb = nb

    def execute(self, **_kwargs):
        type(self).starts += 1
        if self.failures:
            raise self.failures.pop(0)


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    path = tmp_path / "lab.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("print(1)"))
    nbformat.write(nb, str(path))
    return path


def _run(monkeypatch, notebook: Path, failures: list[Exception]) -> dict:
    import nbclient

    _Client.failures, _Client.starts = list(failures), 0
    monkeypatch.setattr(nbclient, "NotebookClient", _Client)
    return notebook_run.run_notebook(notebook, solve=False, timeout=5)


def test_a_kernel_that_died_at_start_is_started_again(monkeypatch, notebook):
    report = _run(monkeypatch, notebook, [RuntimeError("Kernel died before replying to kernel_info")])
    assert report["ok"] and _Client.starts == 2 and report["kernel_restarts"] == 1


def test_it_is_started_again_only_once(monkeypatch, notebook):
    died = RuntimeError("Kernel died before replying to kernel_info")
    report = _run(monkeypatch, notebook, [died, RuntimeError("Kernel died before replying to kernel_info")])
    assert not report["ok"] and _Client.starts == 2 and "kernel_info" in report["error"]


def test_other_failures_are_not_retried(monkeypatch, notebook):
    report = _run(monkeypatch, notebook, [TimeoutError("cell timed out")])
    assert not report["ok"] and _Client.starts == 1 and "TimeoutError" in report["error"]
