"""Lab 03's prediction grids after a reload: the choices are kept, and a lost grid says to run the cell again.

Found in the browser: after the page was reloaded, JupyterLab showed "Error displaying widget: model
not found" where each grid had been, and the cells the trainee had chosen were gone with the kernel.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("ipywidgets")

LAB = "03-identity-default-deny"


def test_a_grid_made_again_starts_from_the_choices_already_made(open_sim):
    lab = open_sim(LAB)
    grid = lab.predict("identities")
    (first, *_rest) = list(grid.dropdowns)
    grid.dropdowns[first].value = "dropped"  # what the browser sends when the trainee picks a cell
    again = lab.predict("identities")  # the cell run again, in this kernel or a new one
    assert again.predictions[first] is not None and again.predictions[first].value == "dropped"
    assert sum(v is not None for v in again.predictions.values()) == 1
    other = lab.predict("allow-busybox")  # another step's grid is not affected
    assert all(v is None for v in other.predictions.values())


def test_an_unreadable_draft_gives_an_empty_grid_not_an_error(open_sim):
    from labs.course.prediction_drafts import draft_path

    lab = open_sim(LAB)
    path = draft_path(LAB, "identities")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    assert all(v is None for v in lab.predict("identities").predictions.values())
    path.write_text(json.dumps([{"from": "x", "to": "y", "predicted": "allowed"}, "junk"]), encoding="utf-8")
    assert all(v is None for v in lab.predict("identities").predictions.values())


def test_each_course_widget_is_shown_with_a_hidden_run_again_note(open_sim):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from labs.widgets.lost import LOST_CLASS

    InteractiveShell.instance()
    lab = open_sim(LAB)
    for widget, words in ((lab.predict("identities"), "the predictions you chose are kept"),
                          (lab.editor("allow-busybox"), "your text is kept in your file")):
        with capture_output() as shown:
            from IPython.display import display

            display(widget)
        kinds = [list(o.data) for o in shown.outputs]
        assert "application/vnd.jupyter.widget-view+json" in kinds[0]
        note = shown.outputs[1].data["text/html"]
        assert LOST_CLASS in note and 'style="display:none' in note and words in note
        assert "Run this cell again" in note
