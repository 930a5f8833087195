"""Shared helpers for the VM tests: finding tools (skip, or fail under LABS_REQUIRE_TOOLS=1) and the
stubbed-command sandbox that runs the provisioning scripts without a VM."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stub_sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]


def require_tool(name: str) -> str:
    """Path of tool `name`; skips the test when missing, or fails when LABS_REQUIRE_TOOLS=1 (CI)."""
    venv_bin = Path(sys.executable).parent
    found = shutil.which(name) or shutil.which(name, path=str(venv_bin))
    if found:
        return found
    message = f"the tool {name!r} is not installed; install it (scripts/run-tests does) to run this test."
    if os.environ.get("LABS_REQUIRE_TOOLS") == "1":
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    require_tool("bash")
    return Sandbox(tmp_path, REPO)
