"""`cilium` (cilium-cli) and `cilium-dbg` (the agent's debug CLI) on the simulated cluster.

`run` answers `cilium ...` and `run_dbg` answers `cilium-dbg ...` (each also accepts its own name as
the first word); `run` hands a line starting with `cilium-dbg` to `run_dbg`.
"""

from __future__ import annotations

from typing import Any

from labs.commands.cilium import cli, dbg
from labs.commands.result import CommandResult

__all__ = ["run", "run_dbg"]


def run(argv: list[str], cluster: Any, stdin: str | None = None) -> CommandResult:
    if argv and argv[0] == "cilium-dbg":
        return dbg.run(argv, cluster, stdin)
    return cli.run(argv, cluster, stdin)


def run_dbg(argv: list[str], cluster: Any, stdin: str | None = None) -> CommandResult:
    return dbg.run(argv, cluster, stdin)
