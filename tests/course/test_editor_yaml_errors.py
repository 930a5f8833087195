"""The policy editor's Validate on text that is not YAML: the course's words, the editor's line and column."""

from __future__ import annotations

import pytest

from tests.manifests.test_yaml_errors import POLICY


def test_the_editor_shows_the_explanation_with_line_column_and_a_caret(open_sim):
    pytest.importorskip("ipywidgets")
    lab = open_sim("03-identity-default-deny")
    editor = lab.editor("allow-busybox")
    editor.text_area.value = POLICY.replace('port: "80"', 'port: "80')
    problems = editor.validate()
    assert editor.status == "invalid" and len(problems) == 1
    shown = editor.output.value
    assert "line 15, column 15" in shown
    assert "never closed" in shown and "while scanning" not in shown
    assert "\n    │ " + " " * 14 + "^" in shown  # the caret under the opening quote
