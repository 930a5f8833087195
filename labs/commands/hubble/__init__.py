"""`hubble` on the simulated cluster: `observe` (flows as hubble prints them) and `status`.

`run(argv, cluster)` takes the words after `hubble` (a leading `hubble` is accepted too). Anything
else hubble can do answers with hubble's error style and a note that the simulation does not model it.
"""

from __future__ import annotations

from typing import Any

from labs.commands.hubble.observe import observe
from labs.commands.hubble.printer import FlowPrinter
from labs.commands.result import CommandResult, unsupported
from labs.commands.tabwriter import tabwrite

__all__ = ["run", "observe", "status", "list_nodes", "FlowPrinter"]

MAX_FLOWS_PER_NODE = 4095
"""The agent's default flow ring buffer (`hubble-event-buffer-capacity`), which `hubble status` reports."""

_USAGE = """Hubble is a utility to observe and inspect recent Cilium routed traffic in a cluster.

Usage:
  hubble [command]

Available Commands (on the simulated cluster):
  observe     Observe flows of a Hubble server
  status      Display status of Hubble server
  list        List Hubble objects (nodes)
"""


def status(argv: list[str], cluster: Any) -> CommandResult:
    """`hubble status` as the relay answers it (cilium `hubble/cmd/status/status.go` `runStatus`, and
    `printer.WriteServerStatusResponse` compact output)."""
    if argv and argv not in (["-o", "compact"], ["--output", "compact"], ["--output=compact"]):
        return unsupported("hubble", f"hubble status {' '.join(argv)}: only the compact output is modelled")
    nodes = len(cluster.info().nodes) or 1
    seen = len(cluster.flows())
    maximum = MAX_FLOWS_PER_NODE * nodes
    current = min(seen, maximum)
    text = ("Healthcheck (via localhost:4245): Ok\n"
            f"Current/Max Flows: {current:,}/{maximum:,} ({current / maximum * 100:.2f}%)\n"
            "Flows/s: N/A\n"
            f"Connected Nodes: {nodes}/{nodes}\n")
    return CommandResult(stdout=text)


def list_nodes(argv: list[str], cluster: Any) -> CommandResult:
    """`hubble list nodes` (cilium `hubble/cmd/list/node.go` `nodeTableOutput`: tabwriter 2,0,3, nodes by name).

    The simulated agents have no uptime, so AGE and FLOWS/S are N/A, as hubble prints them without one.
    """
    if argv and argv not in (["-o", "table"], ["--output", "table"], ["--output=table"]):
        return unsupported("hubble", f"hubble list nodes {' '.join(argv)}: only the table output is modelled")
    counts: dict[str | None, int] = {}
    for response in cluster.flows():
        name = response.get("node_name") or (response.get("flow") or {}).get("node_name")
        counts[name] = counts.get(name, 0) + 1
    text = "NAME\tSTATUS\tAGE\tFLOWS/S\tCURRENT/MAX-FLOWS\n"
    for node in sorted(n.name for n in cluster.info().nodes):
        current = min(counts.get(node, 0), MAX_FLOWS_PER_NODE)
        ratio = f"{current}/{MAX_FLOWS_PER_NODE} ({current / MAX_FLOWS_PER_NODE * 100:6.2f}%)"
        text += f"{node}\tConnected\tN/A\tN/A\t{ratio}\n"
    return CommandResult(stdout=tabwrite(text, minwidth=2, padding=3))


def run(argv: list[str], cluster: Any, stdin: str | None = None) -> CommandResult:
    """One `hubble ...` command line on the simulated cluster."""
    words = list(argv)
    if words and words[0] == "hubble":
        words = words[1:]
    if not words or words[0] in ("-h", "--help", "help"):
        return CommandResult(stdout=_USAGE)
    command, rest = words[0], words[1:]
    if command == "observe":
        if rest and rest[0] in ("flows",):
            rest = rest[1:]
        return observe(rest, cluster)
    if command == "status":
        return status(rest, cluster)
    if command == "list" and rest[:1] in (["nodes"], ["node"]):
        return list_nodes(rest[1:], cluster)
    if command in ("list", "config", "version", "completion", "watch", "record", "reflect"):
        return unsupported("hubble", f"hubble {' '.join(words)}: not available on the simulated cluster")
    return CommandResult(stderr=f'Error: unknown command "{command}" for "hubble"\n'
                                "Run 'hubble --help' for usage.\n", exit_code=1)
