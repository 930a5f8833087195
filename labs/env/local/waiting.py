"""Ports and bounded waits shared by the control plane (`cluster.py`) and the node (`node.py`)."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Callable

from labs.env.local import procs
from labs.env.local.components import Paths
from labs.env.local.layout import LocalClusterError

__all__ = ["free_ports", "log_tail", "wait_for"]


def free_ports(count: int) -> list[int]:
    """`count` distinct ports on 127.0.0.1 that are free now (all held open together, so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def log_tail(paths: Paths, name: str, lines: int = 25) -> str:
    """The end of a component's log, indented, for an error message."""
    try:
        text = (paths.logs / f"{name}.log").read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:])


def wait_for(what: str, check: Callable[[], bool], deadline: float, paths: Paths, name: str,
             *, interval: float = 0.25) -> None:
    """Poll `check` until it is true; fail, with the end of the log, when the process `name` exits or the
    deadline (time.monotonic) passes. A check that raises a connection or parse error counts as not yet."""
    while True:
        started = procs.read_pidfile(paths.run, name)
        if started is None or not procs.alive(started):
            raise LocalClusterError(f"{name} exited while waiting for {what}; end of "
                                    f"{paths.logs / (name + '.log')}:\n" + log_tail(paths, name))
        try:
            if check():
                return
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
        if time.monotonic() > deadline:
            raise LocalClusterError(f"{name}: no {what} in time (raise --timeout); end of its log:\n"
                                    + log_tail(paths, name))
        time.sleep(interval)
