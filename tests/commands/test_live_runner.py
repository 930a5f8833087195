"""Does the live runner run the real binary verbatim, with the lab's kubeconfig, streaming, and bounded?

A fake `kubectl` (a shell script first on PATH) records its arguments and environment.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from labs.commands.live_runner import NOT_FOUND_EXIT, TIMEOUT_EXIT, run_live

FAKE = """#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_DIR/args"
printf '%s' "$KUBECONFIG" > "$FAKE_DIR/kubeconfig"
case "$1" in
  stream) echo one; echo err >&2; echo two ;;
  stdin) cat ;;
  fail) echo 'Error from server (NotFound): pods "x" not found' >&2; exit 1 ;;
  hang) sleep 30 & echo $! > "$FAKE_DIR/child.pid"; sleep 30 ;;
esac
"""


@pytest.fixture
def fake(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(FAKE)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DIR", str(tmp_path))
    return tmp_path


def test_arguments_pass_verbatim_and_kubeconfig_is_set(fake):
    argv = ["stream", "-n", "segregation", "--", "curl", "-w", "%{http_code}", "a b", "$HOME", "'q'"]
    result = run_live("kubectl", argv, kubeconfig="/tmp/lab.kubeconfig", stdin=None, timeout=10)
    assert (fake / "args").read_text().splitlines() == argv
    assert (fake / "kubeconfig").read_text() == "/tmp/lab.kubeconfig"
    assert (result.stdout, result.stderr, result.exit_code) == ("one\ntwo\n", "err\n", 0)


def test_output_is_streamed_line_by_line(fake):
    seen: list[tuple[str, str]] = []
    run_live("kubectl", ["stream"], kubeconfig=None, stdin=None, timeout=10,
             on_output=lambda stream, line: seen.append((stream, line)))
    assert sorted(seen) == sorted([("stdout", "one\n"), ("stderr", "err\n"), ("stdout", "two\n")])
    assert [line for stream, line in seen if stream == "stdout"] == ["one\n", "two\n"]


def test_stdin_and_exit_code(fake):
    assert run_live("kubectl", ["stdin"], kubeconfig=None, stdin="kind: Pod\n", timeout=10).stdout == "kind: Pod\n"
    failed = run_live("kubectl", ["fail"], kubeconfig=None, stdin=None, timeout=10)
    assert (failed.exit_code, failed.stderr) == (1, 'Error from server (NotFound): pods "x" not found\n')


def test_timeout_kills_the_process_group(fake):
    started = time.monotonic()
    result = run_live("kubectl", ["hang"], kubeconfig=None, stdin=None, timeout=1)
    assert time.monotonic() - started < 10
    assert result.exit_code == TIMEOUT_EXIT
    assert "stopped after 1 s" in result.stderr
    child = int((fake / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the child in the process group was killed too"


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_missing_binary_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_live("hubble", ["observe"], kubeconfig=None, stdin=None, timeout=5)
    assert result.exit_code == NOT_FOUND_EXIT
    assert result.stderr.startswith("hubble: command not found.")
    assert not Path(tmp_path / "hubble").exists()
