"""A trainee's loop in a real JupyterLab (Debian Chromium, headless): Run All, predict, write, check, hint.

Lab 02 runs on the simulated backend. After Run All the lab is still deployed (reset is a commented-out
cell), the trainee fills the first prediction grid and presses its Check, types the north-south answer
into the editor and presses Check (graded on what the editor holds, not on the saved file), and runs
the hint cell again for the next hint, sees the lab's diagram drawn, and answers a quiz question
wrongly, then rightly. Lab 08's grid, the widest of the course, must fit 1,000 px with
every label and every cell readable. No news question may appear. Screenshots: test-output/browser/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lab_browser import OUTPUT, lab_page, new_page, run_all  # tests/browser/lab_browser.py

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every element of a grid: inside the grid's box, and showing its whole text (nothing cut off).
_READABLE = """grid => {
  const box = grid.getBoundingClientRect();
  const bad = [];
  for (const el of grid.querySelectorAll('select, .labs-predict-grid .widget-html-content > div')) {
    const r = el.getBoundingClientRect();
    if (r.right > box.right + 1 || r.left < box.left - 1) bad.push('outside: ' + el.textContent);
    if (el.scrollWidth > el.clientWidth + 1) bad.push('cut: ' + (el.value || el.textContent));
  }
  return {width: box.width, bad};
}"""


def test_a_trainee_predicts_writes_checks_and_asks_for_a_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_BACKEND", "sim")
    answer = (REPO / "manifests/02-segregation/solutions/north-south.yaml").read_text(encoding="utf-8")
    files = [REPO / "notebooks/02-segregation.ipynb", REPO / "notebooks/08-capstone.ipynb"]
    with lab_page(tmp_path, files) as (lab, page):
        run_all(page, lab.page_url("02-segregation.ipynb"))
        page.wait_for_function("document.querySelectorAll('.labs-policy-editor').length >= 2")
        page.wait_for_selector("text=# lab.reset(confirm=True)")
        assert page.get_by_text("official Jupyter news").count() == 0

        # predict: fill every cell of the first grid, then Check
        grid = page.locator(".labs-predict-grid").first
        grid.scroll_into_view_if_needed()
        selects = grid.locator("select")
        assert selects.count() == 4  # the four probes of step `before`, nothing else
        for index in range(selects.count()):
            selects.nth(index).select_option("dropped" if index == 1 else "allowed")
        grid.get_by_role("button", name="Check").click()
        grid.locator(".labs-predict-result").get_by_text("3 of 4 predictions right.").wait_for()
        assert "✘ was allowed" in grid.inner_text()
        grid.screenshot(path=str(OUTPUT / "trainee-predict-02-before.png"))
        readable = grid.evaluate(_READABLE)
        assert readable["bad"] == [] and readable["width"] <= 1000, readable

        # write: type the answer into the north-south editor and press Check (nothing saved by hand)
        editor = page.locator(".labs-policy-editor").nth(1)
        editor.scroll_into_view_if_needed()
        text_area = editor.locator("textarea")
        text_area.fill(answer.rstrip("\n"))
        text_area.press("End")
        text_area.press_sequentially("\n")
        editor.get_by_role("button", name="Check").click()
        result = editor.locator(".labs-policy-result")
        result.get_by_text("Well done: all 6 probes behave as required.").wait_for()
        assert "world -&gt; svc:segregation/entry-a:80/TCP" in result.inner_html()
        editor.screenshot(path=str(OUTPUT / "trainee-editor-checked.png"))
        saved = lab.root.parent / "labs-home" / "02-segregation" / "north-south.yaml"
        assert saved.read_text(encoding="utf-8") == answer
        assert saved.with_name("north-south.yaml.bak").exists()

        # a wrong answer typed next: Check says what is wrong, naming the mistake
        text_area.fill(answer.replace("        - world\n        - host\n        - remote-node\n",
                                      "        - cluster\n"))
        editor.get_by_role("button", name="Check").click()
        result.get_by_text("Nothing from outside the cluster reaches entry-a").wait_for()

        # ask for a hint: run the hint cell of north-south again
        hint_input = page.locator(".jp-InputArea-editor", has_text=re.compile(r'^lab\.hint\("north-south"\)$'))
        hint_cell = page.locator(".jp-CodeCell").filter(has=hint_input)
        hint_cell.get_by_text("Hint 1 of 3 for 'north-south'").wait_for()
        hint_cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")
        hint_cell.get_by_text("Hint 2 of 3 for 'north-south'").wait_for()
        assert "<code>fromEntities: [world, remote-node]</code>" in hint_cell.inner_html()

        # the diagram is drawn inline, and the quiz checks a click: wrong first (why), then right
        diagram = page.locator(".labs-diagram img").first
        diagram.scroll_into_view_if_needed()
        assert diagram.evaluate("el => el.getBoundingClientRect().width") > 300
        question = page.locator(".labs-quiz-question-host-allowed")
        question.scroll_into_view_if_needed()
        question.get_by_role("button", name="a", exact=True).click()
        feedback = question.locator(".labs-quiz-feedback")
        feedback.get_by_text("Not quite (a).").wait_for()
        assert "allow-localhost" in feedback.inner_text()
        question.get_by_role("button", name="b", exact=True).click()
        feedback.get_by_text("Right (b).").wait_for()
        page.locator(".labs-quiz-score").get_by_text("0 of 4 right at the first try (1 of 4 answered).").wait_for()
        page.locator(".labs-quiz").screenshot(path=str(OUTPUT / "trainee-quiz-02.png"))

        # the capstone's grid: the widest of the course, still within 1,000 px and readable
        page = new_page(page.context)
        run_all(page, lab.page_url("08-capstone.ipynb"))
        page.wait_for_function("document.querySelectorAll('.labs-predict-grid').length >= 2")
        for index, name in enumerate(("zero-trust-start", "capstone")):
            grid = page.locator(".labs-predict-grid").nth(index)
            grid.scroll_into_view_if_needed()
            grid.screenshot(path=str(OUTPUT / f"trainee-predict-08-{name}.png"))
            readable = grid.evaluate(_READABLE)
            assert readable["bad"] == [] and readable["width"] <= 1000, (name, readable)
        capstone = page.locator(".labs-predict-grid").nth(1)
        assert capstone.locator("select").count() == 21  # the probes of step capstone
        capstone.get_by_role("button", name="Check").click()
        capstone.get_by_text("Predict first").wait_for()  # an empty grid reveals nothing
        assert "was " not in capstone.inner_text()
        page.screenshot(path=str(OUTPUT / "trainee-capstone.png"), full_page=True)
