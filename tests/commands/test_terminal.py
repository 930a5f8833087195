"""JupyterLab terminals (labs/commands/terminal.py, run by scripts/start-course): real wrappers, run for real."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from labs.commands.terminal import TOOLS, shell_exports, write_wrappers

ROOT = Path(__file__).resolve().parents[2]

REPORTER = """#!{python}
import json, os, sys
print(json.dumps({{"tool": os.path.basename(sys.argv[0]), "args": sys.argv[1:],
                  "kubeconfig": os.environ.get("KUBECONFIG")}}))
"""


def _run(bin_dir: Path, tool: str, *args: str, extra_path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess:
    env = {"PATH": f"{bin_dir}{os.pathsep}{extra_path}", "KUBECONFIG": "/course/.kube/config"}
    return subprocess.run([str(bin_dir / tool), *args], capture_output=True, text=True, env=env, timeout=20)


def test_simulated_backend_points_to_the_magics(tmp_path):
    bin_dir = tmp_path / "bin"
    assert write_wrappers(bin_dir, "sim") == list(TOOLS)
    for tool in TOOLS:
        mode = (bin_dir / tool).stat().st_mode
        assert mode & stat.S_IXUSR and not mode & stat.S_IWOTH
        result = _run(bin_dir, tool, "anything")
        assert result.returncode == 1 and result.stdout == ""
        assert f"%{tool} " in result.stderr and "simulated cluster" in result.stderr


@pytest.fixture
def host_tools(tmp_path):
    """A directory with a reporting `kubectl`, standing for the one the course's requirements install."""
    host = tmp_path / "host"
    host.mkdir()
    script = host / "kubectl"
    script.write_text(REPORTER.format(python=sys.executable))
    script.chmod(0o755)
    return host


def test_live_backend_runs_missing_tools_inside_the_agent(tmp_path, host_tools, monkeypatch):
    import json

    monkeypatch.setenv("PATH", f"{host_tools}{os.pathsep}/usr/bin{os.pathsep}/bin")
    bin_dir = tmp_path / "bin"
    written = write_wrappers(bin_dir, "live")
    assert "kubectl" not in written  # the real one is on PATH
    out = json.loads(_run(bin_dir, "hubble", "observe", "--last", "3", extra_path=str(host_tools)).stdout)
    assert out == {"tool": "kubectl", "args": ["exec", "-n", "kube-system", "ds/cilium", "-c", "cilium-agent", "--",
                                               "hubble", "observe", "--last", "3"],
                   "kubeconfig": "/course/.kube/config"}
    out = json.loads(_run(bin_dir, "cilium", "endpoint", "list", extra_path=str(host_tools)).stdout)
    assert out["args"][-3:] == ["cilium-dbg", "endpoint", "list"]
    refused = _run(bin_dir, "cilium", "status", extra_path=str(host_tools))
    assert refused.returncode == 1 and "cilium CLI is not installed" in refused.stderr


def test_live_backend_leaves_host_binaries_alone(tmp_path, host_tools, monkeypatch):
    (host_tools / "hubble").write_text(REPORTER.format(python=sys.executable))
    (host_tools / "hubble").chmod(0o755)
    monkeypatch.setenv("PATH", f"{host_tools}{os.pathsep}/usr/bin{os.pathsep}/bin")
    bin_dir = tmp_path / "bin"
    write_wrappers(bin_dir, "sim")  # left over from a simulated session
    assert "hubble" not in write_wrappers(bin_dir, "live")
    assert not (bin_dir / "hubble").exists() and not (bin_dir / "kubectl").exists()


def test_exports_name_the_kubeconfig_file_only_on_live(tmp_path):
    text = shell_exports("live", tmp_path / "my bin", "/home/t/course/.kube/config")
    assert text.splitlines() == [f"export PATH='{tmp_path}/my bin':\"$PATH\"", "export LABS_TERMINAL_BACKEND=live",
                                 "export KUBECONFIG=/home/t/course/.kube/config"]
    assert "KUBECONFIG" not in shell_exports("sim", tmp_path, "/x")


def test_cli_on_the_simulated_backend_writes_under_labs_home(tmp_path):
    env = {**os.environ, "LABS_HOME": str(tmp_path / "home"), "LABS_BACKEND": "sim"}
    result = subprocess.run([sys.executable, "-m", "labs.commands.terminal"], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"export PATH={tmp_path}/home/bin:" in result.stdout
    assert sorted(p.name for p in (tmp_path / "home" / "bin").iterdir()) == sorted(TOOLS)


def test_start_course_sets_up_terminals_and_keeps_the_token_off_the_command_line():
    script = (ROOT / "scripts" / "start-course").read_text()
    assert "-m labs.commands.terminal" in script
    assert "IdentityProvider.token" not in script and "export JUPYTER_TOKEN" in script
