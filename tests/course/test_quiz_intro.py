"""Every lab's quiz says how to answer it, in words about the course.

Found while taking labs 05-09 in the browser: their quiz said "Run headless, the cell prints the
questions" (how the course is tested, not how a trainee answers), and lab 09's said nothing.
"""

from __future__ import annotations

import json

import pytest

from labs.paths import repo_root

NOTEBOOKS = sorted((repo_root() / "notebooks").glob("0*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_quiz_says_how_to_answer(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    quiz = ["".join(c["source"]) for c in cells
            if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## Quiz")]
    assert len(quiz) == 1, path.name
    text = quiz[0]
    assert "Click a choice" in text and "lab.quiz(answers=" in text, text
    assert "headless" not in text.lower()
