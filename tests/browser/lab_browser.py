"""A headless Chromium on a hermetic JupyterLab: the start-up every browser test shares.

`lab_page` starts the lab (`jupyterlab_runner.running_lab`) and Debian's Chromium, lets the page reach
the lab only (any other request is aborted) and yields the lab and a page; the browser is closed
afterwards whatever happened. Screenshots go to OUTPUT (test-output/browser/, git-ignored).
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from jupyterlab_runner import Lab, running_lab  # tests/browser/jupyterlab_runner.py

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output" / "browser"
CHROMIUM = os.environ.get("LABS_CHROMIUM", "/usr/bin/chromium")
WAIT_MS = int(float(os.environ.get("LABS_BROWSER_TIMEOUT", "120")) * 1000)
"""Bound of every browser wait. In CI the other worker runs the Cilium node (its agent compiles BPF with clang on
the same two cores), and a kernel once took over 45 s to report Idle there."""
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]


def require_chromium() -> str:
    """Chromium's path; the test is skipped without it (failed when LABS_REQUIRE_TOOLS=1, as in CI)."""
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path:
        return path
    message = (f"chromium is not installed (looked for {CHROMIUM} and on PATH); install it with "
               "`apt-get install -y --no-install-recommends chromium`")
    if os.environ.get("LABS_REQUIRE_TOOLS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def lab_page(base: Path, files: list[Path], *,
             route: Callable[[Any], Any] | None = None) -> Iterator[tuple[Lab, Any]]:
    """(the running lab, a page of its browser); `route` decides each request (default: the lab's only)."""
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with running_lab(base, files) as lab, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS, env=lab.env, timeout=WAIT_MS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.route("**/*", route or (lambda r: r.continue_() if r.request.url.startswith(
                (lab.url, "data:", "blob:", "about:")) else r.abort()))
            yield lab, new_page(context)
        finally:
            browser.close()


def new_page(context: Any) -> Any:
    """Another page in the same browser context (same routes), with the tests' wait limit."""
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    return page


def open_notebook(page: Any, url: str) -> None:
    """Go to a notebook and wait until its cells are shown and its kernel is idle."""
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.wait_for_selector("text=/\\| Idle/")


def run_all(page: Any, url: str) -> None:
    """Open a notebook and run every cell from JupyterLab's Run menu, as a trainee would."""
    open_notebook(page, url)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
