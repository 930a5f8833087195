"""Does every notebook run headless on the simulated backend, as a trainee and as an instructor?

As a trainee (exercises unanswered) no cell may raise, exercises must say "not yet" and every other
check must pass; as an instructor (LABS_SOLVE=1) every check must pass. Each run uses private
Jupyter, IPython, matplotlib and LABS_HOME directories and the kernel of this interpreter.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.course.notebooks import course_notebooks, run_notebooks

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_notebook_runs_as_trainee_and_as_instructor():
    reports = run_notebooks(course_notebooks(ROOT / "notebooks"), modes=(False, True), parallel=2, timeout=120)
    failed = [f"{r.notebook} ({'instructor' if r.solve else 'trainee'}): {'; '.join(r.problems)}"
              for r in reports if not r.passed]
    assert not failed, "\n".join(failed)
    assert len(reports) == 20  # ten labs, as trainee and as instructor
