"""IPython magics for the real command lines: `%kubectl`, `%%kubectl`, `%hubble`, `%cilium`, `%cilium-dbg`.

A notebook cell is what a trainee would type in a terminal, with `%` in front:

    %kubectl apply -f policy.yaml
    %hubble observe --verdict DROPPED --from-pod frontend/web
    %cilium-dbg endpoint list          (also %cilium_dbg)

    %%kubectl apply -f -
    apiVersion: cilium.io/v2
    ...                                (the cell body is the command's stdin)

On the simulated backend each tool's module answers from the lab's simulated cluster; on the live
backend the real binary runs with the lab's kubeconfig (hubble and cilium from the host when they are
installed, otherwise inside the Cilium agent through `kubectl exec -n kube-system ds/cilium --`),
its output streamed into the cell. `{name}` and `$name` are expanded from the notebook's variables as
in `!` lines. Every command is bounded: `--timeout SECONDS` as the first word, else
`labs.commands.TIMEOUT`. stdout goes to the cell's stdout, stderr to its stderr, and a non-zero exit
code is shown as one short line (`[exit code 28]`); the last result is kept in `labs.commands.LAST`.
What a cell shows beside the output (tables kept unwrapped, a note when `hubble observe` matched no
flow) is `labs.commands.cell_display`'s.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from typing import Any, Callable

import labs.commands as commands
from labs.commands import cell_display
from labs.commands.result import CommandResult

__all__ = ["TOOLS", "attach", "load_ipython_extension", "run_command", "split_timeout"]

TOOLS = ("kubectl", "hubble", "cilium", "cilium-dbg")
_AGENT_EXEC = ("kubectl", "exec", "-n", "kube-system", "ds/cilium", "-c", "cilium-agent", "--")
"""How a tool runs inside the Cilium agent when the host does not have it (the agent image ships
hubble and cilium-dbg)."""
_CLI_ONLY = {"status", "config", "connectivity", "install", "uninstall", "upgrade", "hubble", "clustermesh",
             "sysdump", "encryption", "bgp", "features"}
"""cilium-cli commands, which the agent image does not have (its `cilium-dbg` is a different program)."""


def split_timeout(words: list[str]) -> tuple[float | None, list[str]]:
    """`--timeout 30 get pods` / `--timeout=30 ...` -> (30.0, [get, pods]); other lines are left alone."""
    if not words or not words[0].startswith("--timeout"):
        return None, words
    if words[0] == "--timeout":
        if len(words) < 2:
            raise ValueError("--timeout needs a number of seconds, e.g. %kubectl --timeout 30 get pods")
        value, rest = words[1], words[2:]
    elif words[0].startswith("--timeout="):
        value, rest = words[0].split("=", 1)[1], words[1:]
    else:
        return None, words
    try:
        seconds = float(value.rstrip("s"))
    except ValueError:
        raise ValueError(f"--timeout {value!r} is not a number of seconds") from None
    if seconds <= 0:
        raise ValueError("--timeout must be more than 0 seconds")
    return seconds, rest


def _sim_runner(tool: str) -> Callable[..., CommandResult]:
    if tool == "hubble":
        from labs.commands.hubble import run
        return run
    if tool == "cilium":
        from labs.commands.cilium import run
        return run
    if tool == "cilium-dbg":
        from labs.commands.cilium import run_dbg
        return run_dbg
    from labs.commands.kubectl import run as kubectl_run
    return kubectl_run


def _live_argv(tool: str, argv: list[str]) -> tuple[str, list[str]]:
    """The program and arguments that run `tool argv` on the live cluster."""
    if tool == "kubectl" or shutil.which(tool):
        return tool, argv
    if tool == "cilium" and argv and argv[0] in _CLI_ONLY:
        raise LookupError(f"the cilium CLI is not installed on this machine, and `cilium {argv[0]}` is a command of "
                          "the cilium CLI that the agent image does not have. Install it (`python -m labs env` "
                          "prints how), or use %cilium-dbg status / %kubectl -n kube-system get cm cilium-config "
                          "-o yaml.")
    inside = "hubble" if tool == "hubble" else "cilium-dbg"
    return "kubectl", [*_AGENT_EXEC[1:], inside, *argv]


def _kubeconfig(cluster: Any) -> str | None:
    connection = getattr(cluster, "connection", None)
    choice = getattr(connection, "choice", None)
    return getattr(choice, "path_text", None)


def _run_live(tool: str, argv: list[str], *, kubeconfig: str | None, stdin: str | None, timeout: float,
              on_output: Callable[[str, str], None] | None = None) -> CommandResult:
    from labs.commands.live_runner import run_live

    return run_live(tool, argv, kubeconfig=kubeconfig, stdin=stdin, timeout=timeout, on_output=on_output)


def _echo(stream: str, text: str) -> None:
    target = sys.stderr if stream == "stderr" else sys.stdout
    target.write(text)
    target.flush()


def run_command(tool: str, line: str, cluster: Any, *, stdin: str | None = None,
                on_output: Callable[[str, str], None] | None = _echo) -> CommandResult:
    """Run one command line of `tool` on `cluster` (sim or live) and return what it produced.

    With `on_output` (the default writes to the cell), output is written as it comes (live) or at once
    (simulated); the result still holds all of it.
    """
    if tool not in TOOLS:
        raise ValueError(f"unknown tool {tool!r}; one of {', '.join(TOOLS)}")
    try:
        words = shlex.split(line, posix=True)
        timeout, argv = split_timeout(words)
    except ValueError as exc:
        result = CommandResult(stderr=f"error: {exc}\n", exit_code=2)
        if on_output:
            on_output("stderr", result.stderr)
        return result
    if argv and argv[0] == tool:
        argv = argv[1:]
    timeout = timeout or float(commands.TIMEOUT)
    if getattr(cluster, "backend", "sim") == "live":
        try:
            program, args = _live_argv(tool, argv)
        except LookupError as exc:
            result = CommandResult(stderr=f"error: {exc}\n", exit_code=1)
            if on_output:
                on_output("stderr", result.stderr)
            return result
        result = _run_live(program, args, kubeconfig=_kubeconfig(cluster), stdin=stdin, timeout=timeout,
                           on_output=on_output)
    else:
        result = _sim_runner(tool)(argv, cluster, stdin)
        if on_output:
            if result.stdout:
                on_output("stdout", result.stdout)
            if result.stderr:
                on_output("stderr", result.stderr)
    commands.LAST = result
    return result


def _cluster() -> Any:
    if commands.CLUSTER is None:
        from labs.course.backend import choose_cluster

        commands.CLUSTER = choose_cluster()
    return commands.CLUSTER


def _words(line: str) -> list[str]:
    """The tool's arguments as run_command reads them (a line it cannot split gives no words)."""
    try:
        words = split_timeout(shlex.split(line, posix=True))[1]
    except ValueError:
        return []
    return words[1:] if words and words[0] in TOOLS else words


def _magic(tool: str) -> Callable[..., None]:
    def magic(line: str, cell: str | None = None) -> None:
        if tool in cell_display.UNWRAPPED_TOOLS:
            cell_display.show(cell_display.nowrap_marker())  # before the output, which may stream (live)
        result = run_command(tool, line, _cluster(), stdin=cell)
        if result.exit_code:
            print(f"[exit code {result.exit_code}]", file=sys.stderr)
        elif tool == "hubble" and not result.stdout and not result.stderr:
            note = cell_display.empty_observe_note(_words(line))
            if note:
                cell_display.show(note)

    magic.__name__ = tool.replace("-", "_")
    magic.__doc__ = f"`%{tool} ARGS` runs `{tool} ARGS` on the lab's cluster; `%%{tool} ARGS` passes the cell as stdin."
    return magic


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext labs.commands`: register %kubectl, %hubble, %cilium, %cilium-dbg (and %cilium_dbg)."""
    for tool in TOOLS:
        function = _magic(tool)
        ipython.register_magic_function(function, "line_cell", tool)
        if "-" in tool:
            ipython.register_magic_function(function, "line_cell", tool.replace("-", "_"))


def attach(lab: Any) -> Any:
    """Bind the magics to `lab`'s cluster and load them into the running IPython, if any; returns `lab`."""
    commands.CLUSTER = lab.cluster
    try:
        from IPython import get_ipython
    except ImportError:
        return lab
    shell = get_ipython()
    if shell is not None:
        load_ipython_extension(shell)
    return lab
