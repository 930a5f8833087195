"""The policy editor's text is the trainee's file as they type, before any button is pressed.

The notebooks say "write your answer in the editor, then press Check, or run the next cell"; the next
cells are `%kubectl apply -f {lab.exercise_path(...)}` and `lab.check(...)`, which read the file. Found
in the browser: a trainee typed the right answer and ran those cells, and got "no objects passed to
apply" and "your file holds no policy yet", because only the buttons wrote the file.
"""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")


def test_typing_in_the_editor_writes_the_file_the_next_cells_read(open_sim):
    lab = open_sim("03-identity-default-deny")
    path = lab.exercise_path("allow-busybox")
    template = path.read_text(encoding="utf-8")
    solution = lab.spec.path(lab.step("allow-busybox").solution).read_text(encoding="utf-8")
    editor = lab.editor("allow-busybox")

    editor.text_area.value = solution  # what the browser sends as the trainee types; no button pressed
    assert path.read_text(encoding="utf-8") == solution
    assert path.with_name(path.name + ".bak").read_text(encoding="utf-8") == template
    assert lab.check("allow-busybox").passed  # the `lab.check` cell under the editor

    wrong = solution.replace("app: busybox", "app: other")
    editor.text_area.value = wrong
    assert path.read_text(encoding="utf-8") == wrong
    # the backup is the text before this editor opened, not the text of one keystroke ago
    assert path.with_name(path.name + ".bak").read_text(encoding="utf-8") == template
    assert not lab.check("allow-busybox").passed

    # a new editor (the cell run again, or the page reloaded with a new kernel) shows the typed text
    assert lab.editor("allow-busybox").text == wrong


def test_a_failed_save_is_shown_and_the_text_stays(open_sim, tmp_path):
    from labs.widgets import PolicyEditor

    def refuse(_text: str) -> None:
        raise OSError("No space left on device")

    editor = PolicyEditor(lambda _t: [], lambda _t: "applied", initial_text="a: 1\n", save=refuse)
    editor.text_area.value = "a: 2\n"
    assert editor.status == "failed"
    assert "Saving your text failed: No space left on device" in editor.output.value
    assert editor.text == "a: 2\n"
