"""Workshop scale on the simulated backend: provisioning and status for N trainees (default 30).

Run: `python benchmarks/workshop.py [--trainees 30] [--lab 04-namespace-isolation]`. Prints wall and
CPU seconds, ratios to a one-trainee baseline measured in the same run, memory per trainee of the
simulated model, and how bounded concurrency compares with checking trainees one after another on a
fake cluster whose probes take the whole probe timeout. Target on a 2-core machine: provisioning
plus status for 30 trainees under 10 s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

from labs.cluster.sim import SimCluster
from labs.paths import manifests_dir
from labs.probes import ProbeResult
from labs.workshop.checks import run_live_checks
from labs.workshop.labfile import load_lab_spec
from labs.workshop.provision import SIM_ENDPOINT, SimulatedTokens
from labs.workshop.rewrite import rewrite_text
from labs.workshop.room import Room
from labs.workshop.scope import NamespaceMap


def _progress(folder: Path, room: Room) -> None:
    """Synthetic progress files: every trainee has tried every step of the lab."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, trainee in enumerate(room.trainees):
        steps = {step: {"status": ("pass", "not-yet", "error")[(i + j) % 3], "attempts": 1 + (i + j) % 4,
                        "last_change": "2026-11-23T10:00:00Z", "message": ""}
                 for j, (_lab, step) in enumerate(room.step_order())}
        labs = {lab: {"steps": steps} for lab in room.lab_namespaces}
        (folder / f"{trainee}.json").write_text(json.dumps({"version": 1, "trainee": trainee, "labs": labs}))


def _deploy(cluster: SimCluster, room: Room) -> None:
    for lab_id in room.lab_namespaces:
        lab = room.manifests / lab_id
        for name in load_lab_spec(lab).get("workloads") or ["workloads.yaml"]:
            text = "".join(rewrite_text((lab / name).read_text(), NamespaceMap(t), name=name, strict=True).to_yaml()
                           + "---\n" for t in room.trainees)
            cluster.apply(text)


def run(trainees: int, lab: str) -> dict[str, float]:
    """Provision, deploy the lab's workloads, then a status refresh with live checks."""
    names = [f"trainee-{i:02d}" for i in range(trainees)]
    with tempfile.TemporaryDirectory() as tmp:
        room = Room(names, manifests=manifests_dir(), labs=[lab], folder=Path(tmp))
        spec = load_lab_spec(room.manifests / lab)
        cluster = SimCluster(external={e["fqdn"]: e["ip"] for e in spec.get("external") or []})
        figures: dict[str, float] = {}
        wall, cpu = time.perf_counter(), time.process_time()
        room.provision(cluster, tokens=SimulatedTokens(), endpoint=SIM_ENDPOINT)
        figures["provision_s"] = time.perf_counter() - wall
        figures["provision_cpu_s"] = time.process_time() - cpu
        t = time.perf_counter()
        _deploy(cluster, room)
        figures["deploy_s"] = time.perf_counter() - t
        _progress(Path(tmp) / "progress", room)
        t, cpu = time.perf_counter(), time.process_time()
        status = room.status(cluster)
        figures["status_s"] = time.perf_counter() - t
        figures["status_cpu_s"] = time.process_time() - cpu
        figures["cells"] = len(status.cells)
        figures["total_s"] = figures["provision_s"] + figures["status_s"]
        figures["cpu_s"] = figures["provision_cpu_s"] + figures["status_cpu_s"]
    return figures


def model_memory(trainees: int, lab: str) -> float:
    """Bytes the simulated model holds for `trainees` trainees' workloads (tracemalloc, not timed)."""
    room = Room([f"trainee-{i:02d}" for i in range(trainees)], manifests=manifests_dir(), labs=[lab])
    cluster = SimCluster()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    _deploy(cluster, room)
    cluster.probe_many([s.probes[0].probe for s in room.live_steps()[:trainees]])
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return float(used)


class _SleepyCluster:
    backend = "fake"

    def probe_many(self, probes, *, timeout, parallel=8):
        time.sleep(timeout)
        return [ProbeResult(p, __import__("labs.outcomes").outcomes.Outcome.DROPPED, "timed out") for p in probes]


def concurrency(trainees: int, lab: str, timeout: float) -> tuple[float, float, int]:
    room = Room([f"trainee-{i:02d}" for i in range(trainees)], manifests=manifests_dir(), labs=[lab])
    steps = room.live_steps()
    t = time.perf_counter()
    run_live_checks(_SleepyCluster(), steps, timeout=timeout, parallel=1)
    sequential = time.perf_counter() - t
    t = time.perf_counter()
    run_live_checks(_SleepyCluster(), steps, timeout=timeout, parallel=max(32, len(steps)))
    return sequential, time.perf_counter() - t, len(steps) // trainees


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=30)
    parser.add_argument("--lab", default="04-namespace-isolation")
    parser.add_argument("--probe-timeout", type=float, default=0.05)
    args = parser.parse_args()

    run(1, args.lab)  # warm-up: schema loading and imports are paid once, not in the baseline
    base = run(1, args.lab)
    full = run(args.trainees, args.lab)
    print(f"workshop benchmark, lab {args.lab}, simulated backend")
    print(f"{'figure':<14}{'1 trainee':>12}{f'{args.trainees} trainees':>14}{'ratio':>8}")
    for key in ("provision_s", "provision_cpu_s", "deploy_s", "status_s", "status_cpu_s", "total_s", "cpu_s"):
        ratio = full[key] / base[key] if base[key] else float("nan")
        print(f"{key:<14}{base[key]:>12.3f}{full[key]:>14.3f}{ratio:>8.1f}")
    one, many = model_memory(1, args.lab), model_memory(args.trainees, args.lab)
    per_trainee = (many - one) / max(1, args.trainees - 1)
    print("simulated model memory per trainee (workloads, identities, flows; tracemalloc): "
          f"{per_trainee / 1024:.0f} KiB")
    print(f"CPU per trainee: provision {full['provision_cpu_s'] / args.trainees * 1000:.0f} ms, status "
          f"{full['status_cpu_s'] / args.trainees * 1000:.0f} ms; status cells: {full['cells']:.0f}")
    verdict = "under" if full["total_s"] < 10 else "OVER"
    print(f"provision + status for {args.trainees} trainees: {full['total_s']:.2f} s wall, {full['cpu_s']:.2f} s CPU "
          f"({verdict} the 10 s target)")
    sequential, bounded, steps = concurrency(args.trainees, args.lab, args.probe_timeout)
    print(f"live checks on a fake cluster whose probes take {args.probe_timeout:g} s, {steps} steps per trainee: "
          f"one at a time {sequential:.2f} s, bounded-parallel {bounded:.2f} s "
          f"(= {bounded / args.probe_timeout:.1f} probe timeouts; ratio {sequential / bounded:.0f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
