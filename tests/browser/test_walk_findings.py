"""What a trainee sees in JupyterLab for the problems found walking the course (simulated backend).

One notebook, run cell by cell in headless Chromium, checks each display that only the browser shows:
- `%cilium-dbg endpoint list` keeps every line whole (no wrapping) and scrolls sideways;
- an empty `%hubble observe` shows a course note, and no stdout at all;
- the policy editor names the line and column of a YAML syntax error in the course's words;
- `hubble_json` shows one line per flow and keeps the JSON collapsed;
- the diagrams of labs 00, 05 and 08 are drawn near their natural size at the notebook's width;
- after the notebook is saved, the kernel restarted and the page reloaded, each widget's place says to
  run the cell again (not "model not found"), and the grid run again shows the prediction chosen before.
Screenshots: test-output/browser/walk-*.png.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from jupyterlab_runner import running_lab  # tests/browser/jupyterlab_runner.py
from lab_browser import ARGS, OUTPUT, WAIT_MS, require_chromium

REPO = Path(__file__).resolve().parents[2]
LAB = "03-identity-default-deny"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELLS = [
    f'from labs.course import open_lab\nlab = open_lab("{LAB}")\nlab',
    "lab.deploy()",
    "%cilium-dbg endpoint list",
    "%hubble observe --verdict DROPPED --from-pod nowhere/nothing --last 5",
    'lab.predict("identities")',
    'lab.editor("allow-busybox")',
    'lab.matrix("identities")',
    'from labs.commands.json_flows import hubble_json\nhubble_json("observe --last 4 -o json")',
    'from labs.course.diagrams import diagram_view\ndiagram_view("00-environment")',
    'diagram_view("05-l7-http")',
    'diagram_view("08-capstone")',
]
BROKEN = "  ingress:\n"  # an answer with one key indented one space too far
STDOUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]'


def _notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _run(page, cell) -> None:
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")


def _restart_kernel(lab) -> None:
    with urllib.request.urlopen(f"{lab.url}/api/sessions?token={lab.token}", timeout=10) as reply:
        kernel = json.load(reply)[0]["kernel"]["id"]
    request = urllib.request.Request(f"{lab.url}/api/kernels/{kernel}/restart?token={lab.token}", method="POST",
                                     data=b"")
    urllib.request.urlopen(request, timeout=60).close()


def test_the_walk_findings_look_right_in_jupyterlab(tmp_path, monkeypatch):
    chromium = require_chromium()
    pytest.importorskip("nbformat")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("LABS_BACKEND", "sim")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    settings = tmp_path / "jupyter" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    source = tmp_path / "walk.ipynb"
    _notebook(source)
    answer = (REPO / f"manifests/{LAB}/solutions/allow-busybox.yaml").read_text(encoding="utf-8")
    assert BROKEN in answer
    broken = answer.replace(BROKEN, " " + BROKEN, 1)
    broken_line = broken.splitlines().index(" " + BROKEN.rstrip("\n")) + 1
    with running_lab(tmp_path, [source]) as lab, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS, env=lab.env, timeout=WAIT_MS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                (lab.url, "data:", "blob:", "about:")) else route.abort())
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(lab.page_url("walk.ipynb"))
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            page.wait_for_selector("text=/\\| Idle/")
            cells = page.locator(".jp-CodeCell")
            _run(page, cells.nth(0))
            cells.nth(0).get_by_text("Backend: sim").wait_for()
            _run(page, cells.nth(1))
            cells.nth(1).get_by_text(f"{LAB} deployed").wait_for()

            # 1. a wide table: whole lines, sideways scroll, stdout untouched
            _run(page, cells.nth(2))
            table = cells.nth(2).locator(f"{STDOUT} pre")
            table.wait_for()
            style = table.evaluate("e => [getComputedStyle(e).whiteSpace, getComputedStyle(e).overflowX, "
                                   "e.scrollWidth, e.clientWidth, e.clientHeight, "
                                   "parseFloat(getComputedStyle(e).lineHeight), e.textContent]")
            white_space, overflow, scroll_width, width, height, line_height, text = style
            assert white_space == "pre" and overflow == "auto"
            assert scroll_width > width  # wider than the notebook: it scrolls instead of wrapping
            lines = text.rstrip("\n").split("\n")
            assert lines[0].startswith("ENDPOINT")
            assert round(height / line_height) <= len(lines) + 1, "every line is one row on screen"
            cells.nth(2).screenshot(path=str(OUTPUT / "walk-endpoint-list.png"))

            # 5. an empty observe: no stdout, a course note beside it
            _run(page, cells.nth(3))
            note = cells.nth(3).locator(".labs-course-note")
            note.wait_for()
            assert "No flow matched" in note.inner_text()
            assert cells.nth(3).locator(STDOUT).count() == 0
            cells.nth(3).screenshot(path=str(OUTPUT / "walk-empty-observe.png"))

            # 4 (first half). a prediction chosen in the grid
            _run(page, cells.nth(4))
            choice = cells.nth(4).locator(".labs-predict-grid select").first
            choice.wait_for()
            choice.select_option("dropped")

            # 3. the editor's Validate on an answer that is not YAML
            _run(page, cells.nth(5))
            cells.nth(5).locator(".labs-policy-editor textarea").fill(broken)
            cells.nth(5).get_by_role("button", name="Validate").click()
            result = cells.nth(5).locator(".labs-policy-result")
            result.get_by_text("problem found").wait_for()
            shown = result.inner_text()
            assert f"line {broken_line}, column 4" in shown and "indented differently" in shown
            assert "while parsing" not in shown and "<block" not in shown
            assert "^" in shown
            cells.nth(5).screenshot(path=str(OUTPUT / "walk-editor-yaml-error.png"))

            # 6. hubble's JSON read into flows: one line each, the JSON folded away
            _run(page, cells.nth(6))
            cells.nth(6).locator(".jp-OutputArea-output").first.wait_for()
            _run(page, cells.nth(7))
            folded = cells.nth(7).locator("details")
            folded.wait_for()
            assert not folded.evaluate("e => e.open")
            visible = cells.nth(7).locator(".jp-OutputArea").inner_text()
            assert "4 flows from `hubble observe --last 4 -o json`" in visible and '"flow"' not in visible
            cells.nth(7).screenshot(path=str(OUTPUT / "walk-hubble-json.png"))

            # 7. the diagrams fit the notebook at (nearly) their natural size
            for index, name in ((8, "00-environment"), (9, "05-l7-http"), (10, "08-capstone")):
                _run(page, cells.nth(index))
                image = cells.nth(index).locator(".labs-diagram img")
                image.wait_for()
                page.wait_for_function("e => e.complete && e.naturalWidth > 0", arg=image.element_handle())
                natural, shown_width = image.evaluate("e => [e.naturalWidth, e.clientWidth]")
                assert shown_width / natural >= 0.8, (name, natural, shown_width)  # a left-to-right 00 was 0.4
                cells.nth(index).screenshot(path=str(OUTPUT / f"walk-diagram-{name}.png"))

            # 4. save, restart the kernel, reload: the widgets' places say what to do
            cells.nth(0).locator(".jp-InputArea-editor").click()
            page.keyboard.press("Control+s")
            page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-dirty')")
            _restart_kernel(lab)
            page.reload()
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            cells = page.locator(".jp-CodeCell")
            for index in (4, 5):
                lost = cells.nth(index).locator(".labs-widget-lost")
                lost.wait_for(state="visible")
                text = cells.nth(index).locator(".jp-OutputArea").inner_text()
                assert "Run this cell again" in text and "model not found" not in text
            assert "the predictions you chose are kept" in cells.nth(4).inner_text()
            cells.nth(4).screenshot(path=str(OUTPUT / "walk-predict-after-reload.png"))
            _run(page, cells.nth(0))
            cells.nth(0).get_by_text("Backend: sim").wait_for()
            _run(page, cells.nth(4))
            again = cells.nth(4).locator(".labs-predict-grid select").first
            again.wait_for()
            assert again.input_value() == "dropped"
            assert not cells.nth(4).locator(".labs-widget-lost").is_visible()
            cells.nth(4).screenshot(path=str(OUTPUT / "walk-predict-run-again.png"))
        finally:
            browser.close()
