"""`kubectl exec ... ds/cilium -- cilium-dbg|hubble ...` on the simulated cluster.

The Cilium agent image ships `cilium-dbg` and `hubble`, and trainees reach them the documented way,
`kubectl exec -n kube-system ds/cilium -- cilium-dbg endpoint list`. `route` recognises such a line
(any order of `-n/--namespace`, `-c/--container`, `-i/-t/-it`, a `ds/cilium`, `daemonset/cilium` or
`cilium-<suffix>` target) and answers it with the agent's tools; any other line is not its business
(None), so kubectl's own exec handles it.
"""

from __future__ import annotations

from typing import Any

from labs.commands.result import CommandResult, unsupported

__all__ = ["route", "agent_target"]

_AGENT_TARGETS = ("ds/cilium", "daemonset/cilium", "daemonsets/cilium", "daemonset.apps/cilium")
_VALUE_FLAGS = {"-n", "--namespace", "-c", "--container", "--pod-running-timeout", "--context", "--kubeconfig"}
_BOOL_FLAGS = {"-i", "-t", "-it", "-ti", "--stdin", "--tty", "-q", "--quiet"}


def agent_target(target: str) -> bool:
    """`ds/cilium` and friends, or an agent pod name (`cilium-x7k2p`, not the operator or Envoy)."""
    if target in _AGENT_TARGETS:
        return True
    name = target.split("/", 1)[1] if target.startswith(("pod/", "pods/")) else target
    return name.startswith("cilium-") and not name.startswith(("cilium-operator", "cilium-envoy", "cilium-node-init"))


def route(argv: list[str], cluster: Any, stdin: str | None = None) -> CommandResult | None:
    """Answer `[kubectl] exec ... <agent> -- cilium-dbg|hubble ...`, or None when the line is not one."""
    words = list(argv)
    if words and words[0] == "kubectl":
        words = words[1:]
    if "--" not in words:
        return None
    split = words.index("--")
    before, command = words[:split], words[split + 1:]
    namespace, target, seen_exec = "default", None, False
    i = 0
    while i < len(before):
        word = before[i]
        flag, eq, value = word.partition("=")
        if flag in _VALUE_FLAGS:
            if not eq:
                i += 1
                value = before[i] if i < len(before) else ""
            if flag in ("-n", "--namespace"):
                namespace = value
        elif word == "exec" and not seen_exec:
            seen_exec = True
        elif word in _BOOL_FLAGS:
            pass
        elif word.startswith("-"):
            return None
        elif target is None:
            target = word
        else:
            return None
        i += 1
    if not seen_exec or target is None or namespace != "kube-system" or not agent_target(target) or not command:
        return None
    tool, rest = command[0], command[1:]
    if tool == "hubble":
        from labs.commands.hubble import run

        return run(rest, cluster, stdin)
    if tool == "cilium-dbg":
        from labs.commands.cilium import run_dbg

        return run_dbg(rest, cluster, stdin)
    if tool == "cilium":
        return unsupported("kubectl", "exec into the agent with `cilium`: the agent's debug CLI is `cilium-dbg` "
                           "(the `cilium` CLI is the one on your machine, %cilium)")
    return None
