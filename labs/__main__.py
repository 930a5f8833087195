"""`python -m labs COMMAND ...`: the course's command line.

Each command lives in its own module exposing `add_arguments(parser)` and `run(args) -> int`;
modules are imported only when their command runs, so `labs validate` does not load the
Kubernetes client. Exit codes: 0 success, 1 a check or probe did not match, 2 invalid input or no
usable cluster (the reason in one sentence on stderr).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("labs.manifests.cli", "check manifests and policies without applying them"),
    "verify": ("labs.scenarios.cli", "run scenario files and compare every probe with its expectation"),
    "flows": ("labs.flows.cli", "print Hubble flows from a file, filtered"),
    "explain": ("labs.explain.cli", "say why traffic is allowed or denied, rule by rule"),
    "lint": ("labs.lint.cli", "find known mistakes in policies, Services and Helm values"),
    "check": ("labs.course.cli_check", "check a lab's steps on the current backend"),
    "reset": ("labs.course.cli_reset", "remove a lab's namespaces and policies (keeps your files)"),
    "run-notebooks": ("labs.course.cli_notebooks", "execute every notebook headless and report"),
    "doctor": ("labs.doctor.cli", "check this machine and the cluster, with the fix for each problem"),
    "backend": ("labs.cluster.select_cli", "say which backend the labs will use, and why"),
    "env": ("labs.env.cli", "manage the VM cluster: up, status, kubeconfig, hubble-ui, reset, destroy"),
    "workshop": ("labs.workshop.cli", "shared-cluster workshop: provision, status, verify, teardown"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m labs", description="ciliumlab: the course's command line.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        build_parser().print_help()
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        known = ", ".join(COMMANDS)
        print(f"labs: unknown command {name!r}; commands are: {known}", file=sys.stderr)
        return 2
    module_name, help_text = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"labs: the {name!r} command is not available in this version", file=sys.stderr)
            return 2
        raise
    parser = argparse.ArgumentParser(prog=f"python -m labs {name}", description=help_text)
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    from labs.cluster.base import ClusterError
    from labs.paths import LabsHomeError

    try:
        return int(module.run(args) or 0)
    except (ClusterError, LabsHomeError) as exc:  # one sentence, not a traceback
        print(f"labs {name}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
