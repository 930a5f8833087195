"""How run-notebooks shares notebooks between runner processes, and what a dead runner reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.course.notebooks import _batches, run_notebooks


@pytest.mark.parametrize(("jobs", "count", "sizes"), [
    (6, 3, [2, 2, 2]),
    (2, 3, [1, 1]),
    (5, 1, [5]),
], ids=["even", "fewer-jobs-than-runners", "one-runner"])
def test_batches_share_the_jobs(jobs, count, sizes):
    paths = [(Path(f"/nonexistent/{i:02d}-x.ipynb"), False) for i in range(jobs)]
    batches = _batches(paths, count)
    assert sorted(len(b) for b in batches) == sorted(sizes)
    assert sorted(job for b in batches for job in b) == sorted(paths)


def test_a_runner_that_dies_reports_every_job_as_failed(tmp_path):
    broken = tmp_path / "01-broken.ipynb"
    broken.write_text("not json", encoding="utf-8")
    [report] = run_notebooks([broken], modes=(False,), parallel=2, timeout=30)
    assert not report.passed
    assert report.error.startswith("the runner printed no report: ")
    assert report.problems[0].startswith("cell None raised: the runner printed no report: ")
