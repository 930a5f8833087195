"""Helpers for the VM tests (a module name of its own, so it never collides with another conftest):
where the repository is, and finding tools (skip, or fail under LABS_REQUIRE_TOOLS=1)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

__all__ = ["REPO", "require_tool"]

REPO = Path(__file__).resolve().parents[2]


def require_tool(name: str) -> str:
    """Path of tool `name`, the virtual environment's first (its pinned shellcheck, not an older system one);
    skips the test when missing, or fails when LABS_REQUIRE_TOOLS=1 (CI)."""
    venv_bin = Path(sys.executable).parent
    found = shutil.which(name, path=str(venv_bin)) or shutil.which(name)
    if found:
        return found
    message = f"the tool {name!r} is not installed; install it (scripts/run-tests does) to run this test."
    if os.environ.get("LABS_REQUIRE_TOOLS") == "1":
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")
