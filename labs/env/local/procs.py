"""Start components in their own process groups and stop exactly those again, by pid file.

A pid file holds the pid and the process start time (field 22 of /proc/<pid>/stat), so a stale file whose
pid the kernel has since given to another program is recognised and that program left alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Started", "start", "read_pidfile", "alive", "stop"]


@dataclass(frozen=True)
class Started:
    name: str
    pid: int
    start_time: str


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; fields after the closing parenthesis are fixed.
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return fields[19]


def start(name: str, argv: list[str], run_dir: Path, log_dir: Path, env: dict[str, str] | None = None) -> Started:
    """Launch `argv` in a new session (its own process group), output to <log_dir>/<name>.log."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, env=env)
    started = Started(name, proc.pid, _start_time(proc.pid) or "")
    (run_dir / f"{name}.pid").write_text(f"{started.pid} {started.start_time}\n")
    return started


def read_pidfile(run_dir: Path, name: str) -> Started | None:
    try:
        pid, start_time = (run_dir / f"{name}.pid").read_text().split()
    except (OSError, ValueError):
        return None
    return Started(name, int(pid), start_time)


def alive(started: Started) -> bool:
    """The process of the pid file still runs (same pid, same start time, not a zombie)."""
    return _start_time(started.pid) == started.start_time


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(run_dir: Path, name: str, timeout: float = 15.0) -> str:
    """SIGTERM the component's process group, SIGKILL after `timeout`; returns what happened."""
    started = read_pidfile(run_dir, name)
    if started is None:
        return "not started"
    pidfile = run_dir / f"{name}.pid"
    if not alive(started):
        pidfile.unlink(missing_ok=True)
        return "was not running"
    pgid = os.getpgid(started.pid)
    # Only a group this tool created (pid == group leader) is signalled as a group.
    target = -pgid if pgid == started.pid else started.pid
    os.kill(target, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(started.pid)
        if not alive(started) and not _group_alive(pgid if target < 0 else None):
            pidfile.unlink(missing_ok=True)
            return "stopped"
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(target, signal.SIGKILL)
    for _ in range(50):
        _reap(started.pid)
        if not alive(started):
            break
        time.sleep(0.1)
    pidfile.unlink(missing_ok=True)
    return f"killed after {timeout:g} s"


def _group_alive(pgid: int | None) -> bool:
    if pgid is None:
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies still count for killpg; a group whose members are all zombies is finished.
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False
