"""Does the quiz.yaml reader accept a good quiz and name file, line and field for every defect?"""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.course.quiz_spec import QuizSpecError, load_quiz, parse_quiz

FILES = Path(__file__).parent / "quizzes"


def _parse(name: str):
    return parse_quiz((FILES / name).read_text(), lab="lab-x", source=f"quizzes/{name}")


def test_a_good_quiz_reads_into_questions_with_their_answer_key():
    quiz = _parse("good.yaml")
    assert [q.id for q in quiz.questions] == ["default-deny", "identity", "direction"]
    assert quiz.answer_key == {"default-deny": 0, "identity": 1, "direction": 1}
    first = quiz.questions[0]
    assert first.line == 2 and len(first.choices) == 3
    assert first.choices[1].why == "A namespace is not a trust boundary for Cilium; only rules allow."
    assert quiz.question("identity").question == "What is a Cilium security identity derived from?"


@pytest.mark.parametrize(("name", "expected"), [
    ("two-correct.yaml", "quizzes/two-correct.yaml:4: questions[0].choices: exactly one choice has "
                         "`correct: true`, here 2 do"),
    ("no-correct.yaml", "quizzes/no-correct.yaml:4: questions[0].choices: exactly one choice has `correct: true`, "
                        "here 0 do"),
    ("missing-why.yaml", "quizzes/missing-why.yaml:6: questions[0].choices[1].why: expected a non-empty text, "
                         "got None"),
    ("unknown-key.yaml", "quizzes/unknown-key.yaml:9: questions[1].answer: unknown key 'answer'; known keys: "
                         "choices, id, question"),
    ("too-few-questions.yaml", "quizzes/too-few-questions.yaml:1: questions: a lab's quiz has at least 3 questions, "
                               "this one has 1"),
    ("too-many-choices.yaml", "quizzes/too-many-choices.yaml:10: questions[1].choices: expected 3 to 4 choices, "
                              "got 5"),
    ("duplicate-id.yaml", "quizzes/duplicate-id.yaml:14: questions[2].id: question id 'two' is used twice"),
    ("correct-not-boolean.yaml", "quizzes/correct-not-boolean.yaml:6: questions[0].choices[1].correct: expected "
                                 "true or false, got 'yes'"),
    ("not-yaml.yaml", "quizzes/not-yaml.yaml:12: This is not valid YAML"),
], ids=lambda v: v if v.endswith(".yaml") else "")
def test_each_defect_is_named_with_file_line_and_field(name, expected):
    with pytest.raises(QuizSpecError) as caught:
        _parse(name)
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems
    assert str(caught.value).startswith(f"{len(caught.value.problems)} problem")


def test_every_problem_is_listed_at_once():
    text = (FILES / "two-correct.yaml").read_text().replace('{text: "c", why: "w"}', '{text: "c"}', 1)
    with pytest.raises(QuizSpecError) as caught:
        parse_quiz(text, source="q.yaml")
    assert len(caught.value.problems) == 2, caught.value.problems


def test_a_lab_without_a_quiz_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_REPO", str(tmp_path))
    (tmp_path / "manifests" / "07-x").mkdir(parents=True)
    with pytest.raises(QuizSpecError, match=r"manifests/07-x/quiz.yaml: lab '07-x' has no quiz yet"):
        load_quiz("07-x")


def test_a_lab_id_is_never_a_path():
    with pytest.raises(OSError, match="is not a lab id"):
        load_quiz("../etc")
