"""The nearest wrong answers a trainee writes for every exercise fail, with a hint naming the mistake.

Each file `wrong_answers/<lab>/<step>/<mistake>.yaml` holds `mistake` (what the trainee got wrong),
`hint` (text the check must show) and the answer: `answer` (the full YAML) or `replace` (edits of the
lab's solution, `[{old, new}]`, each `old` found exactly once). Every exercise has at least two, and
its solution passes (so a failing wrong answer fails for its mistake, not for the environment).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from labs.course import open_lab
from labs.course.spec import FIX_SUFFIX, load_lab
from labs.paths import repo_root

HERE = Path(__file__).parent / "wrong_answers"
CASES = sorted(HERE.glob("*/*/*.yaml"))


@cache
def _lab(lab_id: str):
    lab = open_lab(lab_id, backend="sim")
    assert lab.deploy().ok
    return lab


def _exercises() -> list[tuple[str, str]]:
    found = []
    for lab_dir in sorted((repo_root() / "manifests").iterdir()):
        if (lab_dir / "lab.yaml").exists():
            spec = load_lab(lab_dir.name)
            found += [(spec.id, s.id) for s in spec.steps if s.kind == "exercise"]
    return found


def _answer(case: Path, lab, step_id: str) -> str:
    data = yaml.safe_load(case.read_text(encoding="utf-8"))
    if "answer" in data:
        return data["answer"]
    text = lab.spec.path(lab.step(step_id).solution).read_text(encoding="utf-8")
    for edit in data["replace"]:
        assert text.count(edit["old"]) == 1, f"{case}: {edit['old']!r} is not found exactly once in the solution"
        text = text.replace(edit["old"], edit["new"])
    return text


@pytest.mark.parametrize(("lab_id", "step_id"), _exercises())
def test_every_exercise_has_wrong_answers_and_its_solution_passes(lab_id, step_id, tmp_path):
    lab = _lab(lab_id)
    if step_id.endswith(FIX_SUFFIX):  # fixing a pitfall: its nearest wrong answer is the pitfall's own policy
        start = tmp_path / "pitfall.yaml"
        start.write_text(lab.spec.path(lab.step(step_id).exercise).read_text(encoding="utf-8"))
        assert not lab.check(step_id, answer=start).passed
    else:
        cases = list((HERE / lab_id / step_id).glob("*.yaml"))
        assert len(cases) >= 2, f"add the nearest wrong answers of {lab_id}/{step_id} to {HERE / lab_id / step_id}"
    answer = tmp_path / "solution.yaml"
    answer.write_text(lab.spec.path(lab.step(step_id).solution).read_text(encoding="utf-8"))
    result = lab.check(step_id, answer=answer)
    assert result.passed, result.text()


@pytest.mark.parametrize("case", CASES, ids=[str(c.relative_to(HERE).with_suffix("")) for c in CASES])
def test_a_wrong_answer_fails_with_a_hint_naming_the_mistake(case, tmp_path):
    lab_id, step_id = case.parent.parent.name, case.parent.name
    data = yaml.safe_load(case.read_text(encoding="utf-8"))
    assert set(data) <= {"mistake", "hint", "answer", "replace"} and data.get("mistake") and data.get("hint"), case
    lab = _lab(lab_id)
    answer = tmp_path / "answer.yaml"
    answer.write_text(_answer(case, lab, step_id))
    result = lab.check(step_id, answer=answer)
    assert not result.passed, f"{case.name} ({data['mistake']}) passes:\n{result.text()}"
    assert data["hint"] in result.text(), f"{case.name}: the hint is missing from:\n{result.text()}"
