"""Fixtures for the VM tests: the repository and the stubbed-command sandbox that runs the
provisioning scripts without a VM."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stub_sandbox import Sandbox
from vm_test_support import REPO, require_tool


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    require_tool("bash")
    return Sandbox(tmp_path, REPO)
