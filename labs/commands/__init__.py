"""The command layer: `kubectl`, `hubble` and `cilium`/`cilium-dbg` command lines, as a trainee types them.

On the live backend a command line runs the real binary; on the simulated backend the tool's module in
this package answers it from the simulated cluster, printing what the real tool prints. Every tool
module exposes `run(argv, cluster, stdin=None) -> CommandResult`. `%load_ext labs.commands` (or
`open_lab`) adds the `%kubectl`, `%hubble`, `%cilium` and `%cilium-dbg` magics (`labs.commands.magics`).
"""

from __future__ import annotations

from typing import Any

from labs.commands.result import CommandResult, unsupported

__all__ = ["CommandResult", "unsupported", "TIMEOUT", "CLUSTER", "LAST", "load_ipython_extension"]

TIMEOUT: float = 60.0
"""Seconds a magic's command may run before it is stopped (`--timeout N` as the first word overrides it)."""

CLUSTER: Any = None
"""The cluster the magics act on: the open lab's (set by `open_lab`), else chosen on first use."""

LAST: CommandResult | None = None
"""The result of the last magic, for the helpers that check what a command did."""


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext labs.commands`."""
    from labs.commands.magics import load_ipython_extension as load

    load(ipython)
