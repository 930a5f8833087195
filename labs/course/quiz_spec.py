"""`manifests/<lab>/quiz.yaml`: the self-checking questions that close a lab.

Read by `lab.quiz()` (`labs.course.quiz`) and the course tests. The reader is strict, like the
lab.yaml reader (`labs.course.spec`): every problem names the file, the line and the field, all
problems are listed at once, and a quiz with a problem is not shown at all. The format is
documented in docs/course.md ("quiz.yaml").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labs.course.located import CourseFileError, LocatedReader, one_mapping
from labs.manifests.yaml_lines import FieldPath
from labs.paths import check_lab_id, manifests_dir

__all__ = ["Choice", "Question", "Quiz", "QuizSpecError", "load_quiz", "parse_quiz", "quiz_path",
           "MIN_QUESTIONS", "MIN_CHOICES", "MAX_CHOICES"]

MIN_QUESTIONS = 3
MIN_CHOICES, MAX_CHOICES = 3, 4
"""A question offers the right answer and two or three of the nearest wrong ones."""
_QUIZ_KEYS = {"questions"}
_QUESTION_KEYS = {"id", "question", "choices"}
_CHOICE_KEYS = {"text", "correct", "why"}
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class QuizSpecError(CourseFileError):
    """A quiz.yaml is not valid; `problems` lists every `file:line: field: message`."""

    noun = "quiz"


@dataclass(frozen=True)
class Choice:
    """One answer a trainee can pick, and why it is right or wrong (the misconception it names)."""

    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    """One question: Markdown text, its choices in the order shown, exactly one of them correct."""

    id: str
    question: str
    choices: tuple[Choice, ...]
    line: int = 1

    @property
    def answer(self) -> int:
        """The index of the correct choice."""
        return next(i for i, c in enumerate(self.choices) if c.correct)


@dataclass(frozen=True)
class Quiz:
    """A lab's quiz; `source` is the file as shown to trainees (manifests/<lab>/quiz.yaml)."""

    lab: str
    questions: tuple[Question, ...]
    source: str = "quiz.yaml"

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"the quiz of {self.lab} has no question {question_id!r}; its questions are: "
                       f"{', '.join(q.id for q in self.questions)}")

    @property
    def answer_key(self) -> dict[str, int]:
        """Question id -> index of the correct choice (what `lab.quiz(answers=...)` takes)."""
        return {q.id: q.answer for q in self.questions}


def quiz_path(lab_id: str, *, root: Path | None = None) -> Path:
    return (root or manifests_dir()) / check_lab_id(lab_id) / "quiz.yaml"


def load_quiz(lab_id: str, *, root: Path | None = None) -> Quiz:
    """Read and check `manifests/<lab_id>/quiz.yaml`; QuizSpecError lists every problem."""
    path = quiz_path(lab_id, root=root)
    source = _display(path)
    if not path.is_file():
        raise QuizSpecError([f"{source}: lab {lab_id!r} has no quiz yet (the file does not exist)"])
    return parse_quiz(path.read_text(encoding="utf-8"), lab=lab_id, source=source)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(manifests_dir().parent))
    except ValueError:
        return str(path)


def parse_quiz(text: str, *, lab: str = "", source: str = "quiz.yaml") -> Quiz:
    """Parse quiz.yaml text (exposed for tests and tools)."""
    doc = one_mapping(text, source, QuizSpecError, "a quiz.yaml is one YAML mapping with a `questions` list")
    reader = _Reader(doc.lines, source)
    for path, key in doc.duplicate_keys:
        reader.problem(path, f"key {key!r} is written twice; keep one")
    questions = reader.quiz(doc.data)
    if reader.problems:
        raise QuizSpecError(reader.problems)
    return Quiz(lab=lab, questions=questions, source=source)


class _Reader(LocatedReader):
    """Walks the parsed mapping, collecting every problem instead of stopping at the first."""

    def unknown_keys(self, data: dict[str, Any], known: set[str], path: FieldPath) -> None:
        for key in sorted(set(data) - known, key=str):
            self.problem((*path, str(key)), f"unknown key {key!r}; known keys: {', '.join(sorted(known))}")

    def text(self, value: Any, path: FieldPath) -> str:
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"expected a non-empty text, got {value!r}")
            return ""
        return value.strip()

    def quiz(self, data: dict[str, Any]) -> tuple[Question, ...]:
        self.unknown_keys(data, _QUIZ_KEYS, ())
        raw = data.get("questions")
        if not isinstance(raw, list):
            self.problem(("questions",), f"expected a list of questions, got {raw!r}")
            return ()
        if len(raw) < MIN_QUESTIONS:
            self.problem(("questions",),
                         f"a lab's quiz has at least {MIN_QUESTIONS} questions, this one has {len(raw)}")
        questions: list[Question] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            path: FieldPath = ("questions", i)
            if not isinstance(item, dict):
                self.problem(path, f"expected a question (a mapping with id, question, choices), got {item!r}")
                continue
            question = self.question(item, path)
            if question.id and question.id in seen:
                self.problem((*path, "id"), f"question id {question.id!r} is used twice")
            seen.add(question.id)
            questions.append(question)
        return tuple(questions)

    def question(self, d: dict[str, Any], path: FieldPath) -> Question:
        self.unknown_keys(d, _QUESTION_KEYS, path)
        question_id = self.text(d.get("id"), (*path, "id"))
        if question_id and not _ID.fullmatch(question_id):
            self.problem((*path, "id"), f"id {question_id!r} is not a short id (lower-case letters, digits and '-')")
        text = self.text(d.get("question"), (*path, "question"))
        raw = d.get("choices")
        choices: list[Choice] = []
        if not isinstance(raw, list):
            self.problem((*path, "choices"), f"expected a list of {MIN_CHOICES} to {MAX_CHOICES} choices, got {raw!r}")
        else:
            if not MIN_CHOICES <= len(raw) <= MAX_CHOICES:
                self.problem((*path, "choices"), f"expected {MIN_CHOICES} to {MAX_CHOICES} choices, got {len(raw)}")
            choices = [c for i, item in enumerate(raw) if (c := self.choice(item, (*path, "choices", i)))]
            correct = sum(1 for c in choices if c.correct)
            if len(choices) == len(raw) and correct != 1:
                self.problem((*path, "choices"), f"exactly one choice has `correct: true`, here {correct} do")
        return Question(question_id, text, tuple(choices), self.lines.line(path))

    def choice(self, item: Any, path: FieldPath) -> Choice | None:
        if not isinstance(item, dict):
            self.problem(path, f"expected a choice (a mapping with text, why and, for one choice, correct: true), "
                               f"got {item!r}")
            return None
        self.unknown_keys(item, _CHOICE_KEYS, path)
        correct = item.get("correct", False)
        if not isinstance(correct, bool):
            self.problem((*path, "correct"), f"expected true or false, got {correct!r}")
            correct = False
        return Choice(self.text(item.get("text"), (*path, "text")), correct, self.text(item.get("why"), (*path, "why")))
