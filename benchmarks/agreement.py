"""The simulator against a real Cilium datapath over the whole scenario corpus, probe by probe.

    python benchmarks/agreement.py                          # the cluster of your kubeconfig
    KUBECONFIG=~/.local/state/ciliumlab/local-cluster/kubeconfig python benchmarks/agreement.py --parallel 3
    python benchmarks/agreement.py --out agreement.json tests/scenarios/00*.yaml

Runs `python -m labs verify --backend live --compare-sim --json` over tests/scenarios/ (or the files
given), keeps the JSON report (`--out`), and prints the figures: probes run, agreeing, disagreeing,
skipped (by reason), the disagreements grouped by their first diagnosis, and the wall time. Nothing passes
or fails on time; exit 1 when any probe disagrees (2: invalid input or no cluster).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="scenario files (default: every tests/scenarios/NNN-*.yaml)")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--parallel", type=int, default=3, help="scenarios at once (default 3)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per probe (default 5)")
    parser.add_argument("--ready-timeout", type=float, default=240.0, help="seconds for a scenario's pods")
    parser.add_argument("--l7", action="store_true", help="the cluster runs Envoy: include HTTP-rule scenarios")
    args = parser.parse_args(argv)
    files = args.files or [str(p) for p in sorted((ROOT / "tests" / "scenarios").glob("[0-9][0-9][0-9]-*.yaml"))]
    command = [sys.executable, "-m", "labs", "verify", "--backend", "live", "--compare-sim", "--json",
               "--parallel", str(args.parallel), "--timeout", str(args.timeout),
               "--ready-timeout", str(args.ready_timeout), *(["--l7"] if args.l7 else []), *files]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    wall = time.monotonic() - started
    if not done.stdout.strip():
        print(f"labs verify printed no report (exit {done.returncode})", file=sys.stderr)
        return 2
    report = json.loads(done.stdout)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))
    s = report["summary"]
    env = report["environment"]
    print(f"cluster: {env.get('server')}, Cilium {env.get('cilium_version')}, {env.get('nodes')} node(s), "
          f"enforcement {env.get('enforcement')}, CoreDNS on host network: {env.get('kube_dns_host_network')}")
    print(f"scenarios: {len(files)}; probes: {s['total']} in all, {s['run']} run, {s['skipped']} skipped")
    share = f" ({100 * s['agree'] / s['run']:.1f}%)" if s["run"] else ""
    print(f"agreement: {s['agree']} of {s['run']}{share}; disagree: {s['disagree']}")
    for reason, count in s["skipped_reasons"].items():
        print(f"  skipped {count:>3}: {reason}")
    kinds = Counter(row["diagnosis"].split(":", 1)[0] for row in report["probes"] if row["status"] == "disagree")
    for kind, count in kinds.most_common():
        print(f"  disagree {count:>3}: {kind}")
    for row in report["probes"]:
        if row["status"] == "disagree":
            print(f"    {row['id']} {row['probe']}: sim {row['sim']}, live {row['live']}")
    print(f"wall time: {wall:.0f} s for {len(files)} scenario file(s), {args.parallel} at once")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
