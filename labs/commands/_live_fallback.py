"""A bounded, streaming subprocess runner for the live backend's command lines.

Stands in for `labs.commands.live_runner.run_live` (same signature). The kubeconfig goes in the
KUBECONFIG environment variable, never on the command line; output is read on two threads and handed
to `on_output` as it arrives; past `timeout` the process is killed and the result says so (exit 124,
as `timeout(1)` reports).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from typing import IO, Callable

from labs.commands.result import CommandResult

__all__ = ["run_live"]


def run_live(tool: str, argv: list[str], *, kubeconfig: str | None, stdin: str | None, timeout: float,
             on_output: Callable[[str, str], None] | None = None) -> CommandResult:
    program = shutil.which(tool)
    if program is None:
        return CommandResult(stderr=f"error: {tool} is not installed on this machine (not found on PATH)\n",
                             exit_code=127)
    env = dict(os.environ)
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    process = subprocess.Popen([program, *argv], stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, bufsize=1)
    chunks: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def pump(name: str, pipe: IO[str]) -> None:
        for text in iter(pipe.readline, ""):
            chunks[name].append(text)
            if on_output:
                on_output(name, text)
        pipe.close()

    readers = [threading.Thread(target=pump, args=(name, pipe), daemon=True)
               for name, pipe in (("stdout", process.stdout), ("stderr", process.stderr))]
    for reader in readers:
        reader.start()
    if stdin is not None and process.stdin is not None:
        try:
            process.stdin.write(stdin)
            process.stdin.close()
        except BrokenPipeError:
            pass
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        for reader in readers:
            reader.join(timeout=2)
        note = f"error: {tool} did not finish within {timeout:g} s and was stopped (set --timeout to wait longer)\n"
        if on_output:
            on_output("stderr", note)
        return CommandResult("".join(chunks["stdout"]), "".join(chunks["stderr"]) + note, 124)
    for reader in readers:
        reader.join(timeout=2)
    return CommandResult("".join(chunks["stdout"]), "".join(chunks["stderr"]), code)
