"""Lab 03 in a real JupyterLab: the trainee types an answer in the editor and runs the cells under it.

Found while taking the course in the browser: the notebook says "write your answer in the editor, then
press Check, or run the next cell", but only the editor's buttons wrote the trainee's file, so the next
cells (`%kubectl apply -f {lab.exercise_path(...)}` and `lab.check(...)`) met the empty template:
"error: no objects passed to apply" and "your file holds no policy yet". Here the answer is typed and
no button is pressed; the apply cell creates the policy, the check cell passes, the page is reloaded and
the editor cell run again shows the typed text. Then the lab is reset and a matrix asked for: one line
saying to run lab.deploy(), no traceback. Screenshots: test-output/browser/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lab_browser import OUTPUT, lab_page, open_notebook  # tests/browser/lab_browser.py

REPO = Path(__file__).resolve().parents[2]
LAB = "03-identity-default-deny"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _code_cell(page, source: str):
    """The code cell whose whole text is `source` (the notebook's cells are all in the page)."""
    editor = page.locator(".jp-InputArea-editor", has_text=re.compile("^" + re.escape(source) + "$"))
    return page.locator(".jp-CodeCell").filter(has=editor)


def _run(page, cell) -> None:
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")


def test_an_answer_typed_in_the_editor_is_what_the_cells_below_apply_and_check(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_BACKEND", "sim")
    # every cell in the page (no windowing), so a cell far down can be found by its text
    settings = tmp_path / "jupyter" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    answer = (REPO / f"manifests/{LAB}/solutions/allow-busybox.yaml").read_text(encoding="utf-8")
    with lab_page(tmp_path, [REPO / f"notebooks/{LAB}.ipynb"]) as (lab, page):
        open_notebook(page, lab.page_url(f"{LAB}.ipynb"))
        # the cells a trainee runs to get here: open the lab, deploy it, the editor
        opening = page.locator(".jp-CodeCell").first
        _run(page, opening)
        opening.get_by_text("Backend: sim").wait_for()
        deploy = _code_cell(page, "lab.deploy()")
        _run(page, deploy)
        deploy.get_by_text("03-identity-default-deny deployed").wait_for()
        _run(page, _code_cell(page, 'lab.editor("allow-busybox")'))

        # type the answer; press no button
        editor = _code_cell(page, 'lab.editor("allow-busybox")').locator(".labs-policy-editor")
        editor.scroll_into_view_if_needed()
        editor.locator("textarea").fill(answer)
        saved = tmp_path / "labs-home" / LAB / "allow-busybox.yaml"
        apply_cell = _code_cell(page, '%kubectl apply -f {lab.exercise_path("allow-busybox")}')
        _run(page, apply_cell)
        apply_cell.get_by_text("ciliumnetworkpolicy.cilium.io/allow-busybox created").wait_for()
        assert saved.read_text(encoding="utf-8") == answer
        check_cell = _code_cell(page, 'lab.check("allow-busybox")')
        _run(page, check_cell)
        check_cell.get_by_text("Well done: all 3 probes behave as required.").wait_for()
        check_cell.screenshot(path=str(OUTPUT / "trainee-typed-then-checked.png"))

        # a reload: the editor cell run again shows what was typed
        page.reload()
        page.wait_for_selector("text=/\\| Idle/")
        editor_cell = _code_cell(page, 'lab.editor("allow-busybox")')
        _run(page, editor_cell)
        text_area = editor_cell.locator(".labs-policy-editor textarea")
        text_area.wait_for()
        assert text_area.input_value() == answer

        # reset, then a matrix: what to do, in one line, without a traceback
        reset_cell = _code_cell(page, "# lab.reset(confirm=True)")
        reset_cell.scroll_into_view_if_needed()
        reset_cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text('lab.reset(confirm=True); lab.matrix("identities")')
        page.keyboard.press("Control+Enter")
        reset_cell = _code_cell(page, 'lab.reset(confirm=True); lab.matrix("identities")')
        reset_cell.get_by_text("ClusterError: Lab 03-identity-default-deny is not deployed").wait_for()
        shown = reset_cell.locator(".jp-OutputArea").inner_text()
        assert "run lab.deploy()" in shown and "Traceback" not in shown and "session.py" not in shown
        reset_cell.screenshot(path=str(OUTPUT / "trainee-matrix-after-reset.png"))
