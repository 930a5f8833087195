"""`python -m labs verify FILE... [--backend sim|live] [--json] [--compare-sim]`: run scenario files.

Every file is reported on its own: the valid ones are run even when another file is invalid.
Exit 0 when every probe matches its `expect`, 1 when any does not, 2 when any input is invalid
(after running the valid ones).

On a live cluster, a scenario with a `cluster:` section runs as a real workload of its own
(`labs.scenarios.live_run`); probes the real cluster cannot answer are reported as skipped with the
reason. `--compare-sim` reports instead, probe by probe, whether the simulated backend and the real
cluster agree (`labs.scenarios.agreement`); it exits 1 when any probe disagrees.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from labs.manifests.errors import ManifestError
from labs.scenarios.indented_json import dumps_indented
from labs.scenarios.run import ScenarioResult, run_scenario
from labs.scenarios.spec import Scenario, load_scenario

__all__ = ["add_arguments", "main", "run"]

LIVE_ONLY = ("compare_sim", "keep", "l7", "parallel")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    parser.add_argument("--backend", choices=("sim", "live"), default="sim",
                        help="simulated cluster (default) or the live cluster from your kubeconfig")
    parser.add_argument("--json", action="store_true", help="print one JSON report")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per probe on a live cluster")
    parser.add_argument("--ready-timeout", type=float, default=180.0,
                        help="live: seconds to wait for a scenario's pods to be ready, and for its objects to be "
                             "deleted (default 180)")
    parser.add_argument("--compare-sim", action="store_true",
                        help="live: run every probe on the simulated backend too and report agreement probe by probe")
    parser.add_argument("--keep", action="store_true",
                        help="live: leave each scenario's namespaces, pods and policies in place (for a closer look)")
    parser.add_argument("--parallel", type=int, default=1, metavar="N",
                        help="live: run up to N scenarios at once (those with a cluster-wide policy run alone)")
    parser.add_argument("--l7", action="store_true",
                        help="live: the cluster runs Envoy, so scenarios with HTTP or Kafka rules run too")


def _load(files: list[str]) -> tuple[list[Scenario], int]:
    scenarios, invalid = [], 0
    for file in files:
        try:
            scenarios.append(load_scenario(file))
        except ManifestError as exc:
            invalid += 1
            print(f"{file}: invalid, not run.\n{exc}", file=sys.stderr)
    return scenarios, invalid


def _bad_flags(args: argparse.Namespace) -> str | None:
    used = [f"--{name.replace('_', '-')}" for name in LIVE_ONLY
            if getattr(args, name, False) and (name != "parallel" or args.parallel != 1)]
    if used and args.backend != "live":
        return f"{', '.join(used)} only work{'s' if len(used) == 1 else ''} with --backend live"
    if args.parallel < 1:
        return f"--parallel must be at least 1, not {args.parallel!r}"
    for name in ("timeout", "ready_timeout"):
        if getattr(args, name) <= 0:
            return f"--{name.replace('_', '-')} must be a positive number of seconds, not {getattr(args, name)!r}"
    return None


def run(args: argparse.Namespace) -> int:
    problem = _bad_flags(args)
    if problem:
        print(f"labs verify: {problem}", file=sys.stderr)
        return 2
    scenarios, invalid = _load(args.files)
    if args.backend == "live" and scenarios:
        return _run_live(args, scenarios, invalid)
    results: list[ScenarioResult] = []
    for sc in scenarios:
        try:
            results.append(run_scenario(sc, timeout=args.timeout))
        except ManifestError as exc:
            invalid += 1
            print(f"{sc.file}: invalid, not run.\n{exc}", file=sys.stderr)
    return _report(args, results, invalid)


def _report(args: argparse.Namespace, results: list[ScenarioResult], invalid: int) -> int:
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(len(r.skipped) for r in results)
    if args.json:
        report: dict[str, Any] = {"scenarios": [r.to_json() for r in results], "passed": passed, "failed": failed,
                                  "invalid": invalid}
        if skipped:
            report["skipped"] = skipped
        print(dumps_indented(report, indent=1))
    else:
        for r in results:
            print(r.report())
        print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")
              + (f", {invalid} invalid file{'s' if invalid != 1 else ''}" if invalid else ""))
    return 2 if invalid else 1 if failed else 0


def _cluster_wide(scenario: Scenario) -> bool:
    """Whether the scenario has a cluster-wide policy, which selects the pods of every other run as well."""
    try:
        from labs.scenarios.run import policy_documents

        return any(doc.get("kind") == "CiliumClusterwideNetworkPolicy" for doc in policy_documents(scenario))
    except ManifestError:
        return False  # reported when the scenario runs


def _run_live(args: argparse.Namespace, scenarios: list[Scenario], invalid: int) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from labs.cluster.select import get_cluster
    from labs.scenarios.agreement import AgreementReport, ProbeAgreement, compare_run
    from labs.scenarios.live_run import as_scenario_result, cluster_facts, run_live

    cluster = get_cluster("live")
    facts, env = cluster_facts(cluster, l7_proxy=args.l7)  # type: ignore[arg-type]

    def one(sc: Scenario) -> ScenarioResult | list[ProbeAgreement] | ManifestError:
        try:
            if not sc.has_cluster_section and not args.compare_sim:
                return run_scenario(sc, cluster, timeout=args.timeout)
            sim = run_scenario(sc) if args.compare_sim else None
            done = run_live(sc, cluster, facts=facts, probe_timeout=args.timeout,  # type: ignore[arg-type]
                            ready_timeout=args.ready_timeout, keep=args.keep)
        except ManifestError as exc:
            return exc
        return compare_run(sim, done, env) if sim is not None else as_scenario_result(done)

    # Runs do not share namespaces, so they may overlap, except those with a cluster-wide policy: it would
    # select the other runs' pods too. Those run alone, after the others.
    alone = [sc for sc in scenarios if args.parallel > 1 and _cluster_wide(sc)]
    together = [sc for sc in scenarios if sc not in alone]
    outcome: dict[int, ScenarioResult | list[ProbeAgreement] | ManifestError] = {}
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        for sc, found in zip(together, pool.map(one, together)):
            outcome[id(sc)] = found
    for sc in alone:
        outcome[id(sc)] = one(sc)
    results: list[ScenarioResult] = []
    report = AgreementReport([], env)
    for sc in scenarios:
        found = outcome[id(sc)]
        if isinstance(found, ManifestError):
            invalid += 1
            print(f"{sc.file}: invalid, not run.\n{found}", file=sys.stderr)
        elif isinstance(found, ScenarioResult):
            results.append(found)
        else:
            report.rows.extend(found)
    if not args.compare_sim:
        return _report(args, results, invalid)
    report.invalid = invalid
    print(dumps_indented(report.to_json(), indent=1) if args.json else report.text())
    return 2 if invalid else 1 if report.counts()["disagree"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs verify")
    add_arguments(parser)
    return run(parser.parse_args(argv))
