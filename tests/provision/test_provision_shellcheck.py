"""shellcheck is clean on every script of the VM environment (provisioning and host commands)."""

from __future__ import annotations

import subprocess

import pytest
from vm_test_support import REPO, require_tool

SCRIPTS = sorted(
    [*(REPO / "scripts" / "provision").glob("*.sh"), *(p for p in (REPO / "scripts" / "host").glob("*") if p.is_file())]
)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shellcheck_clean(script) -> None:
    shellcheck = require_tool("shellcheck")
    result = subprocess.run([shellcheck, "-x", "-S", "style", str(script.relative_to(REPO))], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_scripts_stop_on_errors(script) -> None:
    text = script.read_text()
    if text.startswith("#!"):
        assert "set -euo pipefail" in text
    else:
        assert text.startswith("# shellcheck shell=bash"), "a sourced library says it is bash"
