"""Missing tools skip a test on a developer machine but fail it in CI (LABS_REQUIRE_TOOLS=1)."""

from __future__ import annotations

import pytest
from vm_test_support import require_tool


@pytest.mark.parametrize(
    ("require", "outcome"),
    [("1", pytest.fail.Exception), ("", pytest.skip.Exception)],
    ids=["ci-fails", "developer-skips"],
)
def test_missing_tool_is_named(monkeypatch: pytest.MonkeyPatch, require: str, outcome: type[BaseException]) -> None:
    monkeypatch.setenv("LABS_REQUIRE_TOOLS", require)
    with pytest.raises(outcome) as info:
        require_tool("no-such-tool-ciliumlab")
    assert str(info.value) == (
        "the tool 'no-such-tool-ciliumlab' is not installed; install it (scripts/run-tests does) to run this test."
    )


def test_the_virtual_environments_tool_comes_before_the_systems(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Debian's shellcheck 0.9.0 on PATH must not shadow the pinned one installed in the venv."""
    import sys
    from pathlib import Path

    venv_bin = tmp_path / "venv" / "bin"
    system_bin = tmp_path / "usr" / "bin"
    for folder in (venv_bin, system_bin):
        folder.mkdir(parents=True)
        tool = folder / "ciliumlab-tool"
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(venv_bin / "python"))
    monkeypatch.setenv("PATH", str(system_bin))
    assert Path(require_tool("ciliumlab-tool")) == venv_bin / "ciliumlab-tool"
