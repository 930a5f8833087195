"""The JupyterLab terminal: the real tools on the live backend, a pointer to the magics on the simulated one.

`scripts/start-course` runs `python -m labs.commands.terminal --backend B` once, before JupyterLab
starts, and evaluates what it prints (`export` lines): terminals opened in JupyterLab inherit that
environment. On the live backend KUBECONFIG names the course's kubeconfig file (the file's path only:
credentials never appear on a command line or in the environment), kubectl is the one the course's
requirements install, and `hubble`, `cilium` and `cilium-dbg` are the host's when installed, otherwise
small wrappers that run them inside the Cilium agent (`kubectl exec -n kube-system ds/cilium -c
cilium-agent -- ...`). On the simulated backend there is no cluster outside the notebooks' kernels, so
the four commands are wrappers that say so and show the magic to type instead. Wrappers are written
under LABS_HOME (the trainee's git-ignored `.labs/`), nowhere else.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path

from labs.paths import labs_home

__all__ = ["TOOLS", "write_wrappers", "shell_exports", "main"]

TOOLS = ("kubectl", "hubble", "cilium", "cilium-dbg")
_AGENT = "kubectl exec -n kube-system ds/cilium -c cilium-agent --"
_CLI_ONLY = "status|config|connectivity|install|uninstall|upgrade|hubble|clustermesh|sysdump|encryption|bgp|features"
_EXAMPLES = {"kubectl": "get pods -A", "hubble": "observe --last 20", "cilium": "status", "cilium-dbg": "endpoint list"}


def _sim_script(tool: str) -> str:
    return (
        "#!/bin/sh\n"
        "# Written by labs.commands.terminal (simulated backend).\n"
        "cat >&2 <<'MESSAGE'\n"
        f"{tool}: this course session runs on the simulated cluster, which lives inside each notebook's Python\n"
        "kernel, so there is no cluster for a terminal to reach. Type the same command in a notebook cell with %\n"
        "in front, for example:\n"
        "\n"
        f"    %{tool} {_EXAMPLES[tool]}\n"
        "\n"
        f"To use {tool} here, start the course VM (python -m labs env up) and run scripts/start-course again.\n"
        "MESSAGE\n"
        "exit 1\n"
    )


def _find(tool: str, skip: Path) -> str | None:
    """The tool on PATH, ignoring the wrapper directory itself."""
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and Path(p).resolve() != skip.resolve())
    return shutil.which(tool, path=path)


def _live_script(tool: str, real: str | None) -> str | None:
    if real is not None:
        return None  # the real binary is on PATH already
    if tool == "kubectl":
        return ("#!/bin/sh\n# Written by labs.commands.terminal (live backend).\n"
                'echo "kubectl: not found; install the course\'s packages again (scripts/start-course does it)." >&2\n'
                "exit 127\n")
    inside = "hubble" if tool == "hubble" else "cilium-dbg"
    guard = ""
    if tool == "cilium":
        guard = (f'case "$1" in\n  {_CLI_ONLY})\n'
                 '    echo "cilium: the cilium CLI is not installed on this machine, and \'cilium $1\' is not a" >&2\n'
                 '    echo "command of the agent\'s cilium-dbg. Install the cilium CLI, or try:" >&2\n'
                 '    echo "  kubectl -n kube-system get configmap cilium-config -o yaml" >&2\n'
                 "    exit 1 ;;\nesac\n")
    return (f"#!/bin/sh\n# Written by labs.commands.terminal (live backend): {tool} is not installed here, "
            f"so it runs in the Cilium agent.\n{guard}exec {_AGENT} {inside} \"$@\"\n")


def write_wrappers(bin_dir: Path, backend: str) -> list[str]:
    """Write the wrappers `backend` needs into `bin_dir` (mode 0755); returns the tools written."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for tool in TOOLS:
        target = bin_dir / tool
        script = _sim_script(tool) if backend == "sim" else _live_script(tool, _find(tool, bin_dir))
        if script is None:
            if target.exists():
                target.unlink()
            continue
        target.write_text(script, encoding="utf-8")
        target.chmod(0o755)
        written.append(tool)
    return written


def shell_exports(backend: str, bin_dir: Path, kubeconfig: str | None) -> str:
    """The `export` lines start-course evaluates (values shell-quoted)."""
    lines = [f'export PATH={shlex.quote(str(bin_dir))}:"$PATH"', f"export LABS_TERMINAL_BACKEND={shlex.quote(backend)}"]
    if backend == "live" and kubeconfig:
        lines.append(f"export KUBECONFIG={shlex.quote(kubeconfig)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs.commands.terminal",
                                     description="prepare JupyterLab terminals; prints export lines to evaluate")
    parser.add_argument("--backend", choices=("auto", "live", "sim"), default=None)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the API server")
    args = parser.parse_args(argv)
    from labs.cluster.base import ClusterError
    from labs.cluster.select import choose

    try:
        choice = choose(args.backend, timeout=args.timeout)
    except (ClusterError, ValueError) as exc:
        print(f"labs terminal: {exc}", file=sys.stderr)
        return 1
    kubeconfig = choice.connection.choice.path_text if choice.backend == "live" else None
    bin_dir = labs_home() / "bin"
    write_wrappers(bin_dir, choice.backend)
    sys.stdout.write(shell_exports(choice.backend, bin_dir, kubeconfig))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
