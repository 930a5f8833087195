"""Run a real command-line tool (kubectl, hubble, cilium) for the live backend: verbatim arguments, the lab's
kubeconfig, output streamed as it comes, a bounded wait.

The tool name is looked up on PATH; the arguments are passed as a list (no shell), so what the trainee
typed reaches the binary unchanged. `KUBECONFIG` is set to the given file (and nothing else of the
environment changes). The process runs in its own process group so that, when the timeout passes, the
whole group (a `kubectl exec` and its helpers) is terminated, then killed if it does not stop. A missing
binary is a clear message with exit code 127, as a shell reports it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO

from labs.commands.result import CommandResult

__all__ = ["run_live", "TIMEOUT_EXIT", "NOT_FOUND_EXIT"]

TIMEOUT_EXIT = 124
"""What `timeout(1)` returns when it had to stop the command."""
NOT_FOUND_EXIT = 127
_KILL_GRACE_S = 2.0


def _pump(stream: IO[str], sink: list[str], name: str, on_output: Callable[[str, str], None] | None) -> None:
    for line in iter(stream.readline, ""):
        sink.append(line)
        if on_output is not None:
            on_output(name, line)
    stream.close()


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM to the process group, SIGKILL after a grace period."""
    for sig, wait in ((signal.SIGTERM, _KILL_GRACE_S), (signal.SIGKILL, _KILL_GRACE_S)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_live(tool: str, argv: list[str], *, kubeconfig: str | None, stdin: str | None, timeout: float,
             on_output: Callable[[str, str], None] | None = None) -> CommandResult:
    """Run `tool argv...`; `on_output(stream, line)` gets each line of "stdout"/"stderr" as it arrives.

    Returns the collected output and exit code; 124 plus a message on stderr when `timeout` seconds
    passed, 127 when the tool is not installed.
    """
    binary = shutil.which(tool)
    if binary is None:
        message = (f"{tool}: command not found. The live backend runs the real `{tool}`; install it on this "
                   f"machine (or put it on PATH) and run the command again.\n")
        if on_output is not None:
            on_output("stderr", message)
        return CommandResult(stderr=message, exit_code=NOT_FOUND_EXIT)
    env = dict(os.environ)
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    proc = subprocess.Popen([binary, *argv], stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, bufsize=1)
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=_pump, args=(proc.stdout, out, "stdout", on_output), daemon=True),
               threading.Thread(target=_pump, args=(proc.stderr, err, "stderr", on_output), daemon=True)]
    for reader in readers:
        reader.start()
    if stdin is not None and proc.stdin is not None:
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        proc.wait(timeout=max(timeout, 0.0))
    except subprocess.TimeoutExpired:
        timed_out = True
        _stop(proc)
    for reader in readers:
        reader.join(timeout=max(0.5, deadline - time.monotonic() + _KILL_GRACE_S))
    if timed_out:
        message = f"{tool}: stopped after {timeout:g} s (the time limit); nothing more was waited for.\n"
        err.append(message)
        if on_output is not None:
            on_output("stderr", message)
        return CommandResult("".join(out), "".join(err), TIMEOUT_EXIT)
    return CommandResult("".join(out), "".join(err), proc.returncode)
