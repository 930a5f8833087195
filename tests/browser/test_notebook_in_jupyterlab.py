"""The flow graph, the matrix and the widgets, rendered by JupyterLab 4 in a real (headless) Chromium.

Runs `flows_widgets.ipynb` with Run All, then checks what a trainee would see: the graph's
canvas inside its iframe, the matplotlib images, the widgets, and that clicking a widget button
reaches the kernel and comes back. Screenshots go to test-output/browser/ (git-ignored).
The browser may reach 127.0.0.1 only; any other request is blocked and fails the test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from jupyterlab_runner import running_lab  # tests/browser/jupyterlab_runner.py

HERE = Path(__file__).parent
REPO = HERE.parents[1]
OUTPUT = REPO / "test-output" / "browser"
CHROMIUM = os.environ.get("LABS_CHROMIUM", "/usr/bin/chromium")
WAIT_MS = int(float(os.environ.get("LABS_BROWSER_TIMEOUT", "45")) * 1000)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _require_chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path:
        return path
    message = (f"chromium is not installed (looked for {CHROMIUM} and on PATH); install it with "
               "`apt-get install -y --no-install-recommends chromium`")
    if os.environ.get("LABS_REQUIRE_TOOLS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def test_graph_matrix_and_widgets_render_and_respond(tmp_path):
    chromium = _require_chromium()
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []
    page_errors: list[str] = []

    def guard(route):
        url = route.request.url
        host = urlparse(url).hostname or ""
        if url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost"):
            return route.continue_()
        blocked.append(url)
        return route.abort()

    with running_lab(tmp_path, [HERE / "flows_widgets.ipynb", REPO / "tests/flows/data/sample.jsonl"]) as lab, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS, env=lab.env, timeout=WAIT_MS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.route("**/*", guard)
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.goto(lab.page_url("flows_widgets.ipynb"))
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            page.wait_for_selector("text=/\\| Idle/")
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

            # the graph: an iframe whose page drew a vis-network canvas with all 8 nodes
            page.wait_for_function("document.querySelectorAll('.labs-flow-graph iframe').length >= 1")
            graph = page.frame_locator(".labs-flow-graph iframe").first
            graph.locator("canvas").wait_for()
            frame = next(f for f in page.frames if f.parent_frame is not None and "vis" in (f.evaluate(
                "typeof vis === 'object' ? 'vis' : ''") or ""))
            frame.wait_for_function("typeof network === 'object' && network.body.data.nodes.length === 8")
            assert frame.evaluate("network.body.data.edges.length") == 11
            assert "dropped: default deny" in graph.locator(".labs-head").inner_text()

            # the matrix and the timeline: two PNG images
            page.wait_for_function("document.querySelectorAll('.jp-RenderedImage img').length >= 2")
            sizes = page.eval_on_selector_all(".jp-RenderedImage img", "els => els.map(e => e.naturalWidth)")
            assert all(width > 300 for width in sizes), sizes

            # the widgets, and a round trip through the kernel for each button
            editor = page.locator(".labs-policy-editor")
            editor.wait_for()
            editor.get_by_role("button", name="Validate").click()
            result = page.locator(".labs-policy-result")
            result.get_by_text("1 problem found").wait_for()
            assert "line 2" in result.inner_text()
            assert "did you mean 'toPorts'?" in result.inner_text()
            grid = page.locator(".labs-predict-grid")
            assert grid.locator("select").count() == 2
            grid.get_by_role("button", name="Check").click()
            page.locator(".labs-predict-result").get_by_text("1 of 2 predictions right.").wait_for()
            assert "was dropped" in grid.inner_text()
            tail = page.locator(".labs-flow-tail")
            tail.get_by_text("Stopped (time is up)").wait_for()
            assert "DROPPED" in tail.locator(".labs-flow-tail-log").inner_text()
            progress = page.locator(".labs-progress-table")
            assert "Progress: 1 of 3 steps passed" in progress.inner_text()

            page.locator(".labs-flow-graph").first.screenshot(path=str(OUTPUT / "flow-graph.png"))
            page.screenshot(path=str(OUTPUT / "notebook.png"), full_page=True)
            for index, name in enumerate(("matrix", "timeline")):
                page.locator(".jp-RenderedImage img").nth(index).screenshot(path=str(OUTPUT / f"{name}.png"))
            editor.screenshot(path=str(OUTPUT / "policy-editor.png"))
            grid.screenshot(path=str(OUTPUT / "predict-grid.png"))
        finally:
            browser.close()
    assert blocked == [], f"the page tried to reach outside 127.0.0.1: {blocked}"
    assert page_errors == [], page_errors
