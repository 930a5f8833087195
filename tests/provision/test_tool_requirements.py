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
