"""Policy engine benchmark: identity matrix vs naive per-pod evaluation, and an NCA cross-check.

    python benchmarks/engine.py            # 2,000 pods, 200 label sets, 20 namespaces, 500 policies
    python benchmarks/engine.py --quick    # a small cluster, a few seconds
    python benchmarks/engine.py --nca      # also compare NetworkPolicy verdicts with network-config-analyzer

Prints times and ratios measured in this run only; nothing here passes or fails on time. Exits 1
when the two evaluation strategies (or the engine and NCA) disagree on any pair.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._compare import compare_identity_and_naive, compare_with_nca  # noqa: E402
from benchmarks._gen_cluster import EXTERNAL, ClusterSpec, generate  # noqa: E402
from benchmarks._matrix import (  # noqa: E402
    TRAFFIC,
    identities,
    identity_matrix,
    naive_verdicts,
    pod_endpoints,
    reserved_peers,
    sample_pairs,
    uncached_engine,
)
from labs.manifests import load_text  # noqa: E402
from labs.policy.engine import PolicyEngine  # noqa: E402

FULL = ClusterSpec()
QUICK = ClusterSpec(namespaces=6, apps_per_namespace=5, replicas=4, policies=60, ccnps=2, knps=4)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    spec = QUICK if args.quick else FULL
    spec = ClusterSpec(**{**spec.__dict__, "seed": args.seed})
    print(f"# policy engine benchmark, {date.today()} on {platform.node() or 'this machine'} "
          f"({platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {_load()})")
    ok = run_engine(spec, args.sample or (300 if args.quick else 600))
    if args.nca:
        ok = run_nca_check(args) and ok
    return 0 if ok else 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a small cluster (seconds instead of a minute)")
    p.add_argument("--seed", type=int, default=FULL.seed, help="generator seed (default %(default)s)")
    p.add_argument("--sample", type=int, default=None,
                   help="pod pairs evaluated naively (default 600, 300 with --quick)")
    p.add_argument("--nca", action="store_true",
                   help="also run network-config-analyzer (installed into .venv-nca on first use)")
    p.add_argument("--nca-namespaces", type=int, default=10, help="namespaces for the NCA comparison")
    p.add_argument("--nca-apps", type=int, default=12, help="Deployments per namespace for the NCA comparison")
    p.add_argument("--nca-replicas", type=int, default=2, help="pods per Deployment for the NCA comparison")
    p.add_argument("--nca-policies", type=int, default=60, help="NetworkPolicies for the NCA comparison")
    p.add_argument("--nca-timeout", type=float, default=900.0, help="seconds NCA may run (default %(default)s)")
    p.add_argument("--nca-venv", type=Path, default=ROOT / ".venv-nca", help="NCA's own virtual environment")
    return p


def _load() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def run_engine(spec: ClusterSpec, sample: int) -> bool:
    t0 = time.perf_counter()
    cluster = generate(spec)
    text = cluster.yaml()
    t1 = time.perf_counter()
    ms = load_text(text, name="generated cluster")
    t2 = time.perf_counter()
    kinds = _count_kinds(ms.policies)
    print(f"cluster: {len(ms.pods)} pods, {len(ms.namespaces)} namespaces, {len(ms.services)} services, "
          f"{len(ms.policies)} policies ({kinds}); generated in {t1 - t0:.2f} s, loaded and validated in "
          f"{t2 - t1:.2f} s")

    pods = pod_endpoints(ms)
    ids = identities(pods)
    extra_src, extra_dst = reserved_peers(EXTERNAL)
    sources = [i.endpoint for i in ids] + extra_src
    destinations = [i.endpoint for i in ids] + extra_dst

    t3 = time.perf_counter()
    engine = PolicyEngine(ms.policies, services=ms.services)
    build = time.perf_counter() - t3
    cpu = time.process_time()
    matrix = identity_matrix(engine, sources, destinations)
    cpu = time.process_time() - cpu
    traffic = ", ".join(t.describe() for t in TRAFFIC)
    print(f"engine: {len(engine.entries)} rule entries, built in {build:.2f} s")
    print(f"identity matrix: {len(ids)} pod identities + {len(extra_src)} non-pod sources / {len(extra_dst)} "
          f"non-pod destinations x {len(TRAFFIC)} kinds of traffic ({traffic}) = {len(matrix.verdicts)} verdicts "
          f"in {matrix.seconds:.2f} s wall (target < 2 s; of which {matrix.collect_seconds:.2f} s one full garbage "
          f"collection afterwards, the collector being paused while cells are computed), {cpu:.2f} s CPU; "
          f"outcomes {matrix.outcome_counts()}")

    pairs = sample_pairs(pods, sample, spec.seed + 1)
    naive_engine = uncached_engine(ms.policies, services=ms.services)
    cpu = time.process_time()
    naive = naive_verdicts(naive_engine, pairs)
    cpu = time.process_time() - cpu
    all_pairs = len(pods) * (len(pods) - 1)
    per_pair = naive.seconds / len(pairs)
    extrapolated = per_pair * all_pairs
    spread = ", ".join(f"{b / (len(pairs) / len(naive.batch_seconds)) * 1e3:.2f}" for b in naive.batch_seconds)
    print(f"naive per pod (cache=False): {len(pairs)} seeded random pod pairs x {len(TRAFFIC)} = "
          f"{len(naive.verdicts)} verdicts in {naive.seconds:.2f} s wall, {cpu:.2f} s CPU; {per_pair * 1e3:.2f} ms "
          f"per pair (per batch: {spread} ms)")
    print(f"  extrapolated to all {all_pairs} ordered pod pairs: {extrapolated:.0f} s "
          f"(= {per_pair * 1e3:.2f} ms x {all_pairs}; not run in full)")
    print(f"speed-up of per-identity resolution: {extrapolated / matrix.seconds:.0f}x "
          f"(naive all-pairs estimate / identity matrix, wall time, same run)")

    agree, disagreements = compare_identity_and_naive(matrix, ids, naive)
    print(f"agreement on sampled pairs: {agree}/{len(naive.verdicts)} verdicts identical "
          "(outcome, drop reason, deciding rule and direction)")
    for line in disagreements:
        print("  DISAGREE " + line)
    return not disagreements


def run_nca_check(args) -> bool:
    from benchmarks._nca import ensure_nca, run_nca

    spec = ClusterSpec(namespaces=args.nca_namespaces, apps_per_namespace=args.nca_apps, replicas=args.nca_replicas,
                       policies=0, ccnps=0, knps=args.nca_policies, seed=args.seed)
    cluster = generate(spec)
    nca = ensure_nca(args.nca_venv)
    with tempfile.TemporaryDirectory(prefix="nca-bench-") as tmp:
        pol, res = Path(tmp, "policies"), Path(tmp, "resources")
        pol.mkdir()
        res.mkdir()
        (pol / "policies.yaml").write_text(yaml.safe_dump_all(cluster.network_policies, sort_keys=False))
        (res / "workloads.yaml").write_text(
            yaml.safe_dump_all(cluster.namespace_docs + cluster.deployment_docs, sort_keys=False))
        run = run_nca(nca, pol, res, timeout=args.nca_timeout)
    report = compare_with_nca(cluster, run)
    print(f"NCA: {len(cluster.deployment_docs)} Deployments ({len(cluster.deployment_docs) * spec.replicas} pods), "
          f"{len(cluster.network_policies)} NetworkPolicies; nca wall {run.wall_seconds:.2f} s "
          f"({len(run.rows)} deployment rows, {run.ip_rows} IP-range rows not compared)")
    print(f"engine on the same input: load {report.load_seconds:.2f} s + evaluate {report.eval_seconds:.2f} s "
          f"= {report.load_seconds + report.eval_seconds:.2f} s for {report.checked} pod-pair x port verdicts")
    ratio = run.wall_seconds / (report.load_seconds + report.eval_seconds)
    print(f"speed ratio: nca wall / engine (load + evaluate) = {ratio:.1f}x; "
          f"nca wall / engine evaluate only = {run.wall_seconds / report.eval_seconds:.1f}x")
    print(f"agreement: {report.agree}/{report.checked} pod pair x port checks (ports {report.ports}); "
          f"excluded: {report.excluded}")
    for line in report.disagreements:
        print("  DISAGREE " + line)
    return not report.disagreements


def _count_kinds(policies) -> str:
    counts: dict[str, int] = {}
    for p in policies:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))


if __name__ == "__main__":
    sys.exit(main())
