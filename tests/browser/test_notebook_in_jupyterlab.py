"""The flow graph, the matrix and the widgets, rendered by JupyterLab 4 in a real (headless) Chromium.

Runs `flows_widgets.ipynb` with Run All, then checks what a trainee would see: the graph's
canvas inside its iframe, the matplotlib images, the widgets, and that clicking a widget button
reaches the kernel and comes back. Screenshots go to test-output/browser/ (git-ignored).
The browser may reach 127.0.0.1 only; any other request is blocked and fails the test.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from lab_browser import OUTPUT, lab_page, run_all  # tests/browser/lab_browser.py

HERE = Path(__file__).parent
REPO = HERE.parents[1]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_graph_matrix_and_widgets_render_and_respond(tmp_path):
    blocked: list[str] = []
    page_errors: list[str] = []

    def guard(route):
        url = route.request.url
        host = urlparse(url).hostname or ""
        if url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost"):
            return route.continue_()
        blocked.append(url)
        return route.abort()

    files = [HERE / "flows_widgets.ipynb", REPO / "tests/flows/data/sample.jsonl"]
    with lab_page(tmp_path, files, route=guard) as (lab, page):
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        run_all(page, lab.page_url("flows_widgets.ipynb"))

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
    assert blocked == [], f"the page tried to reach outside 127.0.0.1: {blocked}"
    assert page_errors == [], page_errors
