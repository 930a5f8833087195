"""`kubectl` on the simulated cluster: the same command lines as on a real cluster, the same output.

`run(argv, cluster, stdin)` takes the words after `kubectl` and answers from a `SimCluster`. One module per
verb family: `get`, `apply` (apply/create/delete -f), `label`, `describe`, `exec` (with the in-pod tools in
`tools`). Formats are sourced in each printer's docstring; anything outside the modelled subset answers
with `labs.commands.unsupported`, never a guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from labs.commands.result import CommandResult, unsupported

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["run", "VERBS"]

_KNOWN_UNMODELLED = {
    "logs", "port-forward", "rollout", "scale", "edit", "patch", "replace", "run", "expose", "annotate",
    "top", "cp", "attach", "debug", "drain", "cordon", "uncordon", "taint", "set", "wait", "diff", "kustomize",
    "auth", "certificate", "cluster-info", "config", "api-resources", "api-versions", "explain", "proxy",
    "autoscale", "events", "plugin", "completion", "alpha",
}


def _get(argv: list[str], cluster: SimCluster, stdin: str | None) -> CommandResult:
    from labs.commands.kubectl.get import run_get

    return run_get(argv, cluster)


def _apply(verb: str) -> Callable[[list[str], SimCluster, str | None], CommandResult]:
    def handler(argv: list[str], cluster: SimCluster, stdin: str | None) -> CommandResult:
        from labs.commands.kubectl.apply import run_manifest_verb

        return run_manifest_verb(verb, argv, cluster, stdin)

    return handler


def _label(argv: list[str], cluster: SimCluster, stdin: str | None) -> CommandResult:
    from labs.commands.kubectl.label import run_label

    return run_label(argv, cluster)


def _describe(argv: list[str], cluster: SimCluster, stdin: str | None) -> CommandResult:
    from labs.commands.kubectl.describe import run_describe

    return run_describe(argv, cluster)


def _exec(argv: list[str], cluster: SimCluster, stdin: str | None) -> CommandResult:
    from labs.commands.kubectl.exec import run_exec

    return run_exec(argv, cluster)


def _version(argv: list[str], cluster: SimCluster, stdin: str | None) -> CommandResult:
    return unsupported("kubectl", "kubectl version is not available on the simulated cluster")


VERBS: dict[str, Callable[[list[str], SimCluster, str | None], CommandResult]] = {
    "get": _get, "apply": _apply("apply"), "create": _apply("create"), "delete": _apply("delete"),
    "label": _label, "describe": _describe, "exec": _exec, "version": _version,
}


def run(argv: list[str], cluster: SimCluster, stdin: str | None = None) -> CommandResult:
    """Run one kubectl command line (without the word `kubectl`) on the simulated cluster."""
    words = list(argv)
    # Global flags may come before the verb (`kubectl -n x get pods`): move them after it.
    leading: list[str] = []
    while words and words[0].startswith("-"):
        flag = words.pop(0)
        leading.append(flag)
        if flag in ("-n", "--namespace", "--context", "--kubeconfig") and words:
            leading.append(words.pop(0))
    if not words:
        return CommandResult(stderr="error: no command given; try `kubectl get pods`.\n"
                                    "Run 'kubectl --help' for usage.\n", exit_code=1)
    verb, rest = words[0], words[1:]
    handler = VERBS.get(verb)
    if handler is None:
        if verb in _KNOWN_UNMODELLED:
            return unsupported("kubectl", f"kubectl {verb} is not available on the simulated cluster")
        return CommandResult(stderr=f'error: unknown command "{verb}" for "kubectl"\n'
                                    "Run 'kubectl --help' for usage.\n", exit_code=1)
    return handler(leading + rest, cluster, stdin)
