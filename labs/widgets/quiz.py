"""The end-of-lab quiz: one button per choice; a click says right or wrong and why, straight away.

A wrong choice is not a dead end: its `why` names the misconception, and the trainee may try another
choice. The score counts first tries only, so clicking through every button does not raise it. The
quiz comes from `labs.course.quiz_spec` (the lab's quiz.yaml); this module only draws it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from labs.richtext import rich
from labs.widgets._common import AMBER, GREEN, GREY, RED, WidgetWrapper, esc

if TYPE_CHECKING:  # the model lives in the course layer; widgets only draw it (no import at run time)
    from labs.course.quiz_spec import Question, Quiz

__all__ = ["QuizWidget"]


def letter(index: int) -> str:
    return "abcdefghij"[index]


class QuizWidget(WidgetWrapper):
    """`QuizWidget(quiz, text)`: every question with its lettered choices; `choose(question_id, index)` from code.

    `text` is what shows where no widget can be drawn (the questions, as `labs.course.quiz.quiz_text` prints them).
    """

    def __init__(self, quiz: Quiz, text: str = ""):
        self.quiz = quiz
        self.text = text or f"Quiz of {quiz.lab}: {len(quiz.questions)} questions"
        self.buttons: dict[str, list[widgets.Button]] = {}
        self.feedback: dict[str, widgets.HTML] = {}
        self.first_try: dict[str, bool] = {}
        """Question id -> whether the first choice clicked was right."""
        self.score_line = widgets.HTML(self._score_html())
        self.score_line.add_class("labs-quiz-score")
        blocks: list[widgets.Widget] = [widgets.HTML(f"<b>Quiz: {esc(quiz.lab)}</b> <span style='color:{GREY}'>"
                                                     "(click a choice; a wrong one says why, then try again)</span>")]
        for n, question in enumerate(quiz.questions, 1):
            blocks.append(self._question(n, question))
        blocks.append(self.score_line)
        self.widget = widgets.VBox(blocks, layout=widgets.Layout(width="100%", max_width="900px"))
        self.widget.add_class("labs-quiz")

    def _question(self, number: int, question: Question) -> widgets.VBox:
        rows: list[widgets.Widget] = [widgets.HTML(f'<div style="margin-top:8px"><b>{number}.</b> '
                                                   f"{rich(question.question)}</div>")]
        buttons = []
        for index, choice in enumerate(question.choices):
            button = widgets.Button(description=letter(index), tooltip=f"choose {letter(index)}",
                                    layout=widgets.Layout(width="3em", min_width="3em"))
            button.add_class("labs-quiz-choice")
            button.on_click(lambda _b, q=question.id, i=index: self.choose(q, i))
            buttons.append(button)
            text = widgets.HTML(f'<div style="line-height:1.3;overflow-wrap:anywhere">{rich(choice.text)}</div>',
                                layout=widgets.Layout(min_width="0", flex="1 1 auto"))
            rows.append(widgets.HBox([button, text], layout=widgets.Layout(align_items="center", width="100%")))
        feedback = widgets.HTML("")
        feedback.add_class("labs-quiz-feedback")
        rows.append(feedback)
        self.buttons[question.id] = buttons
        self.feedback[question.id] = feedback
        box = widgets.VBox(rows, layout=widgets.Layout(width="100%"))
        box.add_class(f"labs-quiz-question-{question.id}")
        return box

    def choose(self, question_id: str, index: int) -> bool:
        """Pick a choice (what a click does): mark it, show its why, update the score; True when right."""
        question = self.quiz.question(question_id)
        if not 0 <= index < len(question.choices):
            raise IndexError(f"question {question_id!r} has choices 0 to {len(question.choices) - 1}, not {index}")
        choice = question.choices[index]
        self.first_try.setdefault(question_id, choice.correct)
        for i, button in enumerate(self.buttons[question_id]):
            button.button_style = ("success" if choice.correct else "danger") if i == index else ""
        colour, mark = (GREEN, "&#10004; Right") if choice.correct else (RED, "&#10008; Not quite")
        self.feedback[question_id].value = (f'<div style="color:{colour};margin:2px 0 6px 3.5em">'
                                            f"<b>{mark} ({letter(index)}).</b> {rich(choice.why)}</div>")
        self.score_line.value = self._score_html()
        return choice.correct

    @property
    def score(self) -> tuple[int, int]:
        """(right at the first try, questions)."""
        return sum(1 for right in self.first_try.values() if right), len(self.quiz.questions)

    def _score_html(self) -> str:
        right, total = self.score
        answered = len(self.first_try)
        if not answered:
            return f'<div style="color:{GREY};margin-top:8px">No answer yet.</div>'
        colour = GREEN if right == total else AMBER
        return (f'<div style="color:{colour};font-weight:600;margin-top:8px">{right} of {total} right at the first '
                f"try ({answered} of {total} answered).</div>")

    def __repr__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget where it can be drawn; the questions as plain text everywhere else."""
        data = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = self.text
        return data
