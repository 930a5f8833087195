"""`python -m labs verify FILE... [--backend sim|live] [--json]`: run scenario files.

Every file is reported on its own: the valid ones are run even when another file is invalid.
Exit 0 when every probe matches its `expect`, 1 when any does not, 2 when any input is invalid
(after running the valid ones).
"""

from __future__ import annotations

import argparse
import sys

from labs.manifests.errors import ManifestError
from labs.scenarios.indented_json import dumps_indented
from labs.scenarios.run import run_scenario
from labs.scenarios.spec import load_scenario

__all__ = ["add_arguments", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    parser.add_argument("--backend", choices=("sim", "live"), default="sim",
                        help="simulated cluster (default) or the live cluster from your kubeconfig")
    parser.add_argument("--json", action="store_true", help="print one JSON report")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per probe on a live cluster")


def run(args: argparse.Namespace) -> int:
    scenarios = []
    invalid = 0
    for file in args.files:
        try:
            scenarios.append(load_scenario(file))
        except ManifestError as exc:
            invalid += 1
            print(f"{file}: invalid, not run.\n{exc}", file=sys.stderr)
    cluster = None
    if args.backend == "live" and scenarios:
        from labs.cluster.select import get_cluster

        cluster = get_cluster("live")
    results = []
    for sc in scenarios:
        try:
            results.append(run_scenario(sc, None if cluster is None else cluster, timeout=args.timeout))
        except ManifestError as exc:
            invalid += 1
            print(f"{sc.file}: invalid, not run.\n{exc}", file=sys.stderr)
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    if args.json:
        print(dumps_indented({"scenarios": [r.to_json() for r in results], "passed": passed, "failed": failed,
                              "invalid": invalid}, indent=1))
    else:
        for r in results:
            print(r.report())
        print(f"{passed} passed, {failed} failed" + (f", {invalid} invalid file{'s' if invalid != 1 else ''}"
                                                    if invalid else ""))
    return 2 if invalid else 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs verify")
    add_arguments(parser)
    return run(parser.parse_args(argv))
