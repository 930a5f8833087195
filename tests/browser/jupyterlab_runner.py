"""Run a hermetic JupyterLab on 127.0.0.1 for one test, and make sure it and its kernels are gone afterwards.

Everything Jupyter, IPython, matplotlib and Chromium write goes under the test's own folder
(config, data, runtime, workspaces, settings, HOME); the page config is the course's own
(`scripts/jupyter-config`: the news question turned off).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = float(os.environ.get("LABS_BROWSER_START_TIMEOUT", "60"))
STOP_TIMEOUT = 10.0


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    env: dict[str, str]
    log: Path

    def page_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hermetic_env(base: Path) -> dict[str, str]:
    env = dict(os.environ)
    dirs = {
        "JUPYTER_CONFIG_DIR": "jupyter/config", "JUPYTER_DATA_DIR": "jupyter/data",
        "JUPYTER_RUNTIME_DIR": "jupyter/runtime", "JUPYTERLAB_WORKSPACES_DIR": "jupyter/workspaces",
        "JUPYTERLAB_SETTINGS_DIR": "jupyter/user-settings", "IPYTHONDIR": "ipython", "MPLCONFIGDIR": "mpl",
        "HOME": "home", "XDG_CONFIG_HOME": "home/.config", "XDG_CACHE_HOME": "home/.cache", "LABS_HOME": "labs-home",
    }
    for name, sub in dirs.items():
        path = base / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("JUPYTER_PATH", None)
    return env


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (kernels run in their own session, so a group kill misses them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


@contextmanager
def running_lab(base: Path, files: list[Path]) -> Iterator[Lab]:
    """Start `jupyter lab` serving a copy of `files`; on exit stop it and kill any kernel left behind."""
    root = base / "root"
    root.mkdir(parents=True)
    for file in files:
        shutil.copy(file, root / file.name)
    settings = base / "jupyter" / "app-settings"
    settings.mkdir(parents=True)
    (settings / "overrides.json").write_text(json.dumps(
        {"@jupyterlab/apputils-extension:notification": {"checkForUpdates": False}}))
    env = hermetic_env(base)
    # the course's own page config (the news question turned off), as scripts/start-course uses it
    env["JUPYTER_CONFIG_PATH"] = str(REPO / "scripts" / "jupyter-config")
    port, token = free_port(), secrets.token_hex(16)
    env["JUPYTER_TOKEN"] = token  # through the environment, never on the command line
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--ServerApp.root_dir={root}",
               f"--LabApp.app_settings_dir={settings}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly", "--ServerApp.port_retries=0",
               # language servers and terminals are not needed here and cost seconds at start-up
               "--ServerApp.jpserver_extensions={'jupyter_lsp': False, 'jupyter_server_terminals': False}",
               "--ServerApp.terminals_enabled=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "jupyterlab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    kernels: set[int] = set()
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {server.returncode} before it was ready; see {log}:\n"
                                   + log.read_text(errors="replace")[-2000:])
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterLab did not answer on {url} within {START_TIMEOUT:g} s "
                                   f"(LABS_BROWSER_START_TIMEOUT); see {log}")
            time.sleep(0.2)
        lab = Lab(url, token, root, env, log)
        try:
            yield lab
        finally:
            kernels.update(_children(server.pid))
    finally:
        kernels.update(_children(server.pid))
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
            try:
                server.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(STOP_TIMEOUT)
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(_alive(pid) for pid in kernels) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in kernels:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
