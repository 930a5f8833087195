"""`labs verify --json` on a large generated NetworkPolicy scenario, against network-config-analyzer.

    python benchmarks/verify.py                 # 200 workloads, 420 NetworkPolicies, 40,200 probes; 3 rounds
    python benchmarks/verify.py --rounds 5
    python benchmarks/verify.py --namespaces 6 --apps 5 --policies 60   # a small run

The fixture comes from `_gen_verify.py` (seeded; nothing is stored). NCA (`.venv-nca`, installed on
first use) reads the same Namespaces, one-replica Deployments and NetworkPolicies; its first run also
gives the expected outcome of every pod-to-pod probe between different Deployments (allowed when NCA
lists the port for that pair, else dropped), written into the scenario as `expect`, so `labs verify`
itself reports how many of its verdicts agree with NCA's. Not compared (no `expect`): a pod reaching
itself (NCA prints no row for it; Cilium never polices it) and the probes to an outside address.

Both commands run in pairs in the same run, a round being one `nca` and then one `labs verify` (NCA's
first run is round 1's), each timed as a whole process from start to exit (start-up, reading, deciding,
printing), wall clock and the child's CPU time (user + system). Printed per side: min, median, max; and
the ratio nca/labs as the ratio of the medians, of the minimums and the median of the per-round ratios,
for wall and for CPU time (`_paired.py`). Nothing passes or fails on time; exit 1 when any verdict
disagrees with NCA (or NCA's connections change between rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._gen_verify import FixtureProbe, VerifySpec, fixture  # noqa: E402
from benchmarks._nca import Connections, ensure_nca, parse_connections, parse_rows  # noqa: E402
from benchmarks._paired import Timing, format_figures, paired_figures  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    spec = VerifySpec(args.namespaces, args.apps, args.policies, args.seed)
    print(f"# labs verify benchmark, {date.today()} on {platform.node() or 'this machine'} ({platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}), load average {_load()}")
    fx = fixture(spec)
    nca = ensure_nca(args.nca_venv)
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as tmp:
        folder = Path(tmp)
        policies, resources = folder / "policies", folder / "resources"
        policies.mkdir()
        resources.mkdir()
        pol_text, res_text = fx.nca_inputs()
        (policies / "policies.yaml").write_text(pol_text)
        (resources / "workloads.yaml").write_text(res_text)
        nca_cmd = [str(nca), "--connectivity", str(policies), "-r", str(resources), "-o", "txt_no_fw_rules",
                   "--output_endpoints", "deployments"]
        scenario = folder / "scenario.yaml"
        verify_cmd = [sys.executable, "-m", "labs", "verify", "--json", str(scenario)]
        print(f"{args.rounds} rounds of (nca, labs verify), each command timed as a whole process; NCA's first "
              "run also gives the expectations", flush=True)
        rows: list[tuple[_Run, _Run]] = []
        agree_ok, compared, first_nca = True, 0, []
        previous = signal.signal(signal.SIGTERM, _stop)
        stopped = False
        try:
            for n in range(args.rounds):
                # nca first in every round: its first run also gives the scenario's expectations
                theirs = _timed(nca_cmd, args.timeout)
                if theirs.code != 0:
                    print(f"nca failed ({theirs.code}): {theirs.stderr[-2000:]}")
                    return 2
                if n == 0:
                    first_nca = _rows(theirs.stdout)
                    expect = _expectations(fx, theirs.stdout)
                    scenario.write_text(fx.scenario_text(expect))
                    compared = sum(expect(p) is not None for p in fx.probes)
                    print(f"fixture: {len(fx.pods)} workloads (one pod each), {len(fx.cluster.network_policies)} "
                          f"NetworkPolicies, {len(fx.probes)} probes ({compared} with NCA's verdict as `expect`), "
                          f"scenario file {scenario.stat().st_size / 1e6:.2f} MB; NCA input "
                          f"{len(pol_text) / 1e6:.2f} MB policies, {len(res_text) / 1e6:.2f} MB workloads; "
                          f"seed {spec.seed}", flush=True)
                elif _rows(theirs.stdout) != first_nca:
                    print(f"round {n + 1}: nca printed other connections than in its first run")
                    agree_ok = False
                ours = _timed(verify_cmd, args.timeout, cwd=ROOT)
                agree_ok = _agreement(ours, compared, quiet=n > 0) and agree_ok
                rows.append((theirs, ours))
                print(f"round {n + 1}: nca {theirs.wall:.2f} s wall / {theirs.cpu:.2f} s CPU (exit {theirs.code}); "
                      f"labs verify {ours.wall:.2f} s wall / {ours.cpu:.2f} s CPU (exit {ours.code}); "
                      f"ratio nca/labs {theirs.wall / ours.wall:.1f}x wall, {theirs.cpu / ours.cpu:.1f}x CPU; "
                      f"load average {_load()}", flush=True)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the running command is killed, finished rounds count
            stopped = True
            print(f"stopped during round {len(rows) + 1}; the figures below are those of the {len(rows)} "
                  "finished rounds", flush=True)
        finally:
            signal.signal(signal.SIGTERM, previous)
    if not rows:
        return 2
    figures = paired_figures([(Timing(t.wall, t.cpu), Timing(o.wall, o.cpu)) for t, o in rows])
    for line in format_figures(figures, "nca", "labs verify"):
        print(line)
    print("target: at least 18x faster than NCA (goal 100x)")
    return 0 if agree_ok and not stopped else 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--rounds", type=_positive, default=3, help="paired rounds of (nca, labs verify); default 3")
    p.add_argument("--seed", type=int, default=VerifySpec.seed)
    p.add_argument("--namespaces", type=int, default=VerifySpec.namespaces)
    p.add_argument("--apps", type=int, default=VerifySpec.apps_per_namespace, help="workloads per namespace")
    p.add_argument("--policies", type=int, default=VerifySpec.policies, help="NetworkPolicies")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds one command may run (default 1800)")
    p.add_argument("--nca-venv", type=Path, default=ROOT / ".venv-nca", help="NCA's own virtual environment")
    return p


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


class _Run:
    def __init__(self, wall: float, cpu: float, code: int, stdout: str, stderr: str):
        self.wall, self.cpu, self.code, self.stdout, self.stderr = wall, cpu, code, stdout, stderr


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], timeout: float, cwd: Path | None = None) -> _Run:
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    return _Run(time.perf_counter() - start, _children_cpu() - cpu, done.returncode, done.stdout, done.stderr)


def _expectations(fx, nca_stdout: str):
    """probe -> "allowed"/"dropped" from NCA's rows, None where NCA says nothing comparable."""
    rows, _ip_rows = parse_rows(nca_stdout)
    nothing = Connections()
    allowed: dict[tuple[str, str], Connections] = {}
    for src, dst, conn in rows:
        allowed[src, dst] = allowed.get((src, dst), nothing).merged(parse_connections(conn))
    owners = {f"{ns}/{name}": f"{ns}/{owner}" for ns, name, _labels, owner in fx.pods}

    def expect(p: FixtureProbe) -> str | None:
        if not p.pod_to_pod or owners[p.source] == owners[p.target]:
            return None
        conn = allowed.get((owners[p.source], owners[p.target]), nothing)
        return "allowed" if conn.allows(p.protocol, p.port) else "dropped"

    return expect


def _rows(nca_stdout: str) -> list[tuple[str, str, str]]:
    """NCA's connection rows in a fixed order (NCA does not print them in the same order every run)."""
    return sorted(parse_rows(nca_stdout)[0])


def _agreement(run: _Run, compared: int, quiet: bool = False) -> bool:
    if run.code not in (0, 1):
        print(f"labs verify failed ({run.code}): {run.stderr[-2000:]}")
        return False
    report = json.loads(run.stdout)
    probes = [p for s in report["scenarios"] for p in s["probes"]]
    checked = [p for p in probes if p["expect"] is not None]
    wrong = [p for p in checked if not p["ok"]]
    if wrong or len(checked) != compared or not quiet:
        print(f"agreement with NCA: {len(checked) - len(wrong)}/{len(checked)} pod-to-pod probes between different "
              f"workloads (expected {compared}); labs verify: {report['passed']} passed, {report['failed']} failed")
    for p in wrong[:10]:
        print(f"  DISAGREE {p['from']} -> {p['to']} {p['port']}/{p['protocol']}: NCA {p['expect']}, "
              f"labs {p['observed']} ({p['reason']})")
    return not wrong and len(checked) == compared


def _load() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
