"""What `lab.quiz()` returns: the quiz widget, the questions as text, or a graded set of answers.

The quiz closes a lab (after the takeaways). In JupyterLab it is the widget of `labs.widgets.quiz`,
which checks each choice on click; where no widget can be drawn (a terminal, a headless run) the
same object prints the questions. `lab.quiz(answers={"question-id": 1})` grades answers given by
choice index (0 is the first choice; a letter `"b"` works too) and returns a `QuizResult`, so tests
and solve-mode runs exercise the answer key the trainee meets.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Mapping

from labs.course.quiz_spec import Question, Quiz
from labs.outcomes import PASS_COLOR, WARN_COLOR
from labs.richtext import rich

__all__ = ["QuizAnswer", "QuizResult", "QuizText", "grade_quiz", "choice_index", "letter", "quiz_text"]


def letter(index: int) -> str:
    return "abcdefghij"[index]


def choice_index(question: Question, given: Any) -> int:
    """A given answer (an index, or a letter such as "b") as a choice index; ValueError names the question."""
    count = len(question.choices)
    if isinstance(given, str) and len(given.strip()) == 1 and given.strip().isalpha():
        index = "abcdefghij".find(given.strip().lower())
    elif isinstance(given, int) and not isinstance(given, bool):
        index = given
    else:
        raise ValueError(f"answer {given!r} to question {question.id!r}: give the choice's index (0 to "
                         f"{count - 1}) or its letter (a to {letter(count - 1)})")
    if not 0 <= index < count:
        raise ValueError(f"answer {given!r} to question {question.id!r}: it has {count} choices, index 0 to "
                         f"{count - 1} (letters a to {letter(count - 1)})")
    return index


@dataclass(frozen=True)
class QuizAnswer:
    """One question as answered: the choice picked (None if not answered) and whether it is right."""

    question: Question
    picked: int | None

    @property
    def right(self) -> bool | None:
        return None if self.picked is None else self.question.choices[self.picked].correct

    @property
    def why(self) -> str:
        return "" if self.picked is None else self.question.choices[self.picked].why

    def line(self) -> str:
        q = self.question
        if self.picked is None:
            return f"- {q.id}: not answered"
        choice = q.choices[self.picked]
        mark = "right" if choice.correct else "wrong"
        return f"- {q.id}: {letter(self.picked)}) {mark}: {choice.why}"


@dataclass(frozen=True)
class QuizResult:
    """Answers graded against the quiz; `score` is (right, questions)."""

    quiz: Quiz
    answers: tuple[QuizAnswer, ...]

    @property
    def score(self) -> tuple[int, int]:
        return sum(1 for a in self.answers if a.right), len(self.answers)

    @property
    def wrong(self) -> tuple[str, ...]:
        return tuple(a.question.id for a in self.answers if a.right is False)

    def summary(self) -> str:
        right, total = self.score
        unanswered = sum(1 for a in self.answers if a.picked is None)
        text = f"{right} of {total} right"
        return text + (f", {unanswered} not answered" if unanswered else "")

    def __repr__(self) -> str:
        return "\n".join([f"Quiz of {self.quiz.lab}: {self.summary()}", *(a.line() for a in self.answers)])

    def _repr_html_(self) -> str:
        right, total = self.score
        colour = PASS_COLOR if right == total else WARN_COLOR
        rows = []
        for a in self.answers:
            mark = {True: "&#10004; right", False: "&#10008; wrong", None: "not answered"}[a.right]
            picked = "" if a.picked is None else f"{letter(a.picked)}) {rich(a.question.choices[a.picked].text)}"
            rows.append(f'<tr><td style="text-align:left">{html.escape(a.question.id)}</td>'
                        f'<td style="text-align:left">{picked}</td><td style="text-align:left">{mark}</td>'
                        f'<td style="text-align:left">{rich(a.why)}</td></tr>')
        head = f"Quiz of {self.quiz.lab}: {self.summary()}"
        return (f'<div style="border-left:4px solid {colour};padding-left:8px"><b>{html.escape(head)}</b>'
                f'<table>{"".join(rows)}</table></div>')


def grade_quiz(quiz: Quiz, answers: Mapping[str, Any]) -> QuizResult:
    """Grade `answers` (question id -> choice index or letter); unknown ids and bad indexes raise ValueError."""
    known = {q.id for q in quiz.questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValueError(f"the quiz of {quiz.lab} has no question {', '.join(map(repr, unknown))}; its questions "
                         f"are: {', '.join(q.id for q in quiz.questions)}")
    graded = tuple(QuizAnswer(q, None if q.id not in answers else choice_index(q, answers[q.id]))
                   for q in quiz.questions)
    return QuizResult(quiz, graded)


def quiz_text(quiz: Quiz) -> str:
    """The questions and their lettered choices, as printed where no widget can be drawn."""
    lines = [f"Quiz of {quiz.lab} ({len(quiz.questions)} questions). Answer in a cell with "
             f"lab.quiz(answers={{{quiz.questions[0].id!r}: 'a', ...}}) (a letter, or the index from 0)."]
    for n, q in enumerate(quiz.questions, 1):
        lines.append("")
        lines.append(f"{n}. [{q.id}] {q.question}")
        lines += [f"   {letter(i)}) {c.text}" for i, c in enumerate(q.choices)]
    return "\n".join(lines)


@dataclass(frozen=True)
class QuizText:
    """The quiz as text (no widgets available): the questions and how to answer them."""

    quiz: Quiz

    def __repr__(self) -> str:
        return quiz_text(self.quiz)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(quiz_text(self.quiz))}</pre>"
