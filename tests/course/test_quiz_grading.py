"""Does a quiz grade right and wrong answers, say why a wrong choice is wrong, and check itself on click?"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from labs.course.extras import LabExtras
from labs.course.quiz import QuizText, grade_quiz, quiz_text
from labs.course.quiz_spec import parse_quiz
from labs.widgets import QuizWidget

FILES = Path(__file__).parent / "quizzes"


@pytest.fixture
def quiz():
    return parse_quiz((FILES / "good.yaml").read_text(), lab="lab-x", source="quizzes/good.yaml")


def test_the_answer_key_scores_full_marks(quiz):
    result = grade_quiz(quiz, quiz.answer_key)
    assert result.score == (3, 3) and result.wrong == ()
    assert repr(result).splitlines()[0] == "Quiz of lab-x: 3 of 3 right"


def test_a_wrong_answer_is_graded_wrong_and_names_the_misconception(quiz):
    result = grade_quiz(quiz, {"default-deny": 1, "identity": "b", "direction": "A"})
    assert result.score == (1, 3)
    assert result.wrong == ("default-deny", "direction")
    assert repr(result) == (
        "Quiz of lab-x: 1 of 3 right\n"
        "- default-deny: b) wrong: A namespace is not a trust boundary for Cilium; only rules allow.\n"
        "- identity: b) right: Pods with the same relevant labels share one identity.\n"
        "- direction: a) wrong: Replies of allowed connections pass through connection tracking, but api's "
        "ingress is its own.")
    assert "&#10008; wrong" in result._repr_html_()


def test_unanswered_questions_count_as_not_right(quiz):
    result = grade_quiz(quiz, {"identity": 1})
    assert result.summary() == "1 of 3 right, 2 not answered"


@pytest.mark.parametrize(("answers", "message"), [
    ({"nope": 0}, "the quiz of lab-x has no question 'nope'; its questions are: default-deny, identity, direction"),
    ({"identity": 3}, "answer 3 to question 'identity': it has 3 choices, index 0 to 2 (letters a to c)"),
    ({"identity": "z"}, "answer 'z' to question 'identity': it has 3 choices"),
    ({"identity": True}, "answer True to question 'identity': give the choice's index (0 to 2) or its letter"),
])
def test_bad_answers_are_refused_with_the_valid_ones(quiz, answers, message):
    with pytest.raises(ValueError) as caught:
        grade_quiz(quiz, answers)
    assert str(caught.value).startswith(message)


def test_the_text_form_lists_every_question_with_lettered_choices(quiz):
    text = quiz_text(quiz)
    assert text.splitlines()[0].startswith("Quiz of lab-x (3 questions). Answer in a cell with "
                                           "lab.quiz(answers={'default-deny': 'a', ...})")
    assert "2. [identity] What is a Cilium security identity derived from?\n   a) The pod's IP address" in text
    assert repr(QuizText(quiz)) == text


def test_a_click_checks_the_choice_and_the_score_counts_first_tries(quiz):
    widget = QuizWidget(quiz, quiz_text(quiz))
    widget.buttons["default-deny"][2].click()  # wrong first
    feedback = widget.feedback["default-deny"].value
    assert "Not quite (c)." in feedback and "That is the state before any policy selects the endpoint." in feedback
    assert widget.buttons["default-deny"][2].button_style == "danger"
    widget.buttons["default-deny"][0].click()  # then right: shown right, but not counted
    assert "Right (a)." in widget.feedback["default-deny"].value
    assert [b.button_style for b in widget.buttons["default-deny"]] == ["success", "", ""]
    assert widget.choose("identity", 1) is True
    assert widget.score == (1, 3)
    assert "1 of 3 right at the first try (2 of 3 answered)." in widget.score_line.value


def test_the_widget_shows_the_questions_as_text_where_it_cannot_be_drawn(quiz):
    widget = QuizWidget(quiz, quiz_text(quiz))
    bundle = widget._repr_mimebundle_()
    assert bundle["text/plain"] == quiz_text(quiz)
    assert "application/vnd.jupyter.widget-view+json" in bundle
    with pytest.raises(KeyError, match="has no question 'nope'"):
        widget.choose("nope", 0)


def _lab_with_quiz(tmp_path, monkeypatch):
    folder = tmp_path / "manifests" / "03-x"
    folder.mkdir(parents=True)
    shutil.copy(FILES / "good.yaml", folder / "quiz.yaml")
    monkeypatch.setenv("LABS_REPO", str(tmp_path))
    return SimpleNamespace(spec=SimpleNamespace(id="03-x"))


def test_lab_quiz_grades_answers_and_answers_itself_in_solve_mode(tmp_path, monkeypatch):
    lab = _lab_with_quiz(tmp_path, monkeypatch)
    assert LabExtras.quiz(lab, answers={"identity": 0}).score == (0, 3)  # type: ignore[arg-type]
    assert isinstance(LabExtras.quiz(lab), QuizWidget)  # type: ignore[arg-type]
    monkeypatch.setenv("LABS_SOLVE", "1")
    assert LabExtras.quiz(lab).score == (3, 3)  # type: ignore[arg-type]


def test_lab_quiz_refuses_a_broken_quiz_naming_the_file(tmp_path, monkeypatch):
    lab = _lab_with_quiz(tmp_path, monkeypatch)
    shutil.copy(FILES / "two-correct.yaml", tmp_path / "manifests" / "03-x" / "quiz.yaml")
    with pytest.raises(ValueError, match=r"manifests/03-x/quiz.yaml:4: questions\[0\].choices: exactly one"):
        LabExtras.quiz(lab)  # type: ignore[arg-type]
