"""ipywidgets front ends: the policy editor, the predict-the-matrix grid, the live flow tail, progress, the quiz.

Each takes plain callables (validate, apply, observe, fetch...) that the Lab wires in, so the
widgets work the same on the simulated and the live backend, and can be tested without either.
"""

from __future__ import annotations

from labs.widgets.editor import PolicyEditor
from labs.widgets.files import FilesEditor
from labs.widgets.predict import CellResult, PredictGrid
from labs.widgets.quiz import QuizWidget
from labs.widgets.tail import FlowTail, parse_filter_text
from labs.widgets.tracker import ProgressTracker

__all__ = ["CellResult", "FilesEditor", "FlowTail", "PolicyEditor", "PredictGrid", "ProgressTracker", "QuizWidget",
           "parse_filter_text"]
