"""scripts/start-course never puts the JupyterLab token on a command line (/proc/PID/cmdline is world-readable).

The script is run for real against a prepared virtual environment whose `jupyter` is a stand-in that
records its arguments, its environment and its own /proc/self/cmdline, then exits.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

RECORDER = """#!/bin/sh
{ printf 'ARGS %s\\n' "$*"; printf 'ENV %s\\n' "${JUPYTER_TOKEN:-}"
  printf 'CMDLINE '; tr '\\0' ' ' < /proc/$$/cmdline; echo; } > "$RECORD"
"""


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A venv that ensure_venv takes as installed: python (the test's own), a stamp, a recording jupyter."""
    root = tmp_path / "venv"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python").symlink_to(sys.executable)
    (root / "bin" / "jupyter").write_text(RECORDER)
    (root / "bin" / "jupyter").chmod(0o755)
    (root / ".installed-requirements.txt").touch()
    return root


def start_course(venv: Path, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, str]:
    record = tmp_path / "record.txt"
    env = {**os.environ, "LABS_VENV": str(venv), "RECORD": str(record), "LABS_BACKEND": "sim",
           "PYTHONPATH": str(REPO)}
    env.pop("JUPYTER_TOKEN", None)
    result = subprocess.run([str(REPO / "scripts" / "start-course"), *args], env=env, capture_output=True, text=True,
                            timeout=120)
    return result, record.read_text() if record.exists() else ""


def test_the_token_reaches_jupyter_through_the_environment_only(venv, tmp_path):
    result, record = start_course(venv, tmp_path, "--port", "8899")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in record.splitlines())
    token = lines["ENV"]
    assert len(token) >= 24
    assert token not in lines["ARGS"] and token not in lines["CMDLINE"]
    assert "--port 8899" in lines["ARGS"] and "--ip 127.0.0.1" in lines["ARGS"]
    assert f"token={token}" in result.stdout  # shown to the trainee on their own terminal


@pytest.mark.parametrize("port", ["0", "65536", "http", "", "99999999999"])
def test_a_port_outside_1_65535_is_refused(venv, tmp_path, port):
    result, record = start_course(venv, tmp_path, "--port", port)
    assert result.returncode == 2 and "--port needs a number from 1 to 65535" in result.stderr
    assert record == ""
