"""The command layer: `kubectl`, `hubble` and `cilium`/`cilium-dbg` command lines, as a trainee types them.

On the live backend a command line runs the real binary; on the simulated backend the tool's module in
this package answers it from the simulated cluster, printing what the real tool prints. Every tool
module exposes `run(argv, cluster, stdin=None) -> CommandResult`.
"""

from labs.commands.result import CommandResult, unsupported

__all__ = ["CommandResult", "unsupported"]
