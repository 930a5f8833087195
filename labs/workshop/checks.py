"""Live checks for the instructor: run each trainee's step probes on the shared cluster, concurrently.

A step's probes come from its lab.yaml, rewritten into the trainee's namespaces, and are parsed with
the course's own probe format (`labs.course.probe_spec`). Jobs (one per trainee and step) run in a
bounded thread pool, each job probing with `Cluster.probe_many`, so a refresh for thirty trainees
costs about one probe timeout per step, not thirty, and never opens more than `parallel` at once.

A live check says whether what the cluster does *now* matches a step's expectations; the trainee's
progress file says what their own check button last reported. The status view shows both.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from labs.cluster.base import DEFAULT_PROBE_TIMEOUT, Cluster
from labs.outcomes import Outcome
from labs.workshop.labfile import load_lab_spec, rewrite_lab_spec
from labs.workshop.scope import NamespaceMap

__all__ = ["LiveStep", "LiveResult", "trainee_steps", "run_step", "run_live_checks", "DEFAULT_PARALLEL"]

DEFAULT_PARALLEL = 32


@dataclass(frozen=True)
class LiveStep:
    """One step's probes for one trainee, ready to run."""

    trainee: str
    lab_id: str
    step_id: str
    probes: tuple[Any, ...]
    """`labs.course.probe_spec.ProbeSpec` objects, already in the trainee's namespaces."""
    read_only: bool = False


@dataclass(frozen=True)
class LiveResult:
    status: str
    """pass, not-yet or error: the same words as the progress files."""
    message: str
    seconds: float = 0.0


def trainee_steps(lab_dir: Path, trainee: str, *, read_only_steps: Sequence[str] = (),
                  steps: Sequence[str] = ()) -> list[LiveStep]:
    """The lab's steps with probes, rewritten for `trainee` (only `steps` when given)."""
    from labs.course.probe_spec import parse_probe

    spec = rewrite_lab_spec(load_lab_spec(lab_dir), NamespaceMap(trainee), name=f"{lab_dir.name}/lab.yaml")
    out = []
    for step in spec.get("steps") or []:
        if not isinstance(step, dict) or not step.get("probes") or (steps and step.get("id") not in steps):
            continue
        pitfall = step.get("kind") == "pitfall"
        probes = tuple(parse_probe(p, pitfall=pitfall) for p in step["probes"])
        step_id = str(step["id"])
        out.append(LiveStep(trainee, lab_dir.name, step_id, probes, read_only=step_id in read_only_steps))
    return out


def run_step(cluster: Cluster, step: LiveStep, *, timeout: float = DEFAULT_PROBE_TIMEOUT,
             parallel: int = 8) -> LiveResult:
    """Probe one step; pass when every outcome is acceptable, error when a probe could not run."""
    started = time.perf_counter()
    if step.read_only:
        return LiveResult("not-yet", "read-only in workshop mode (needs a cluster-wide change)", 0.0)
    try:
        results = cluster.probe_many([p.probe for p in step.probes], timeout=timeout, parallel=parallel)
    except Exception as exc:  # a backend failure is shown in the table, not raised over the room
        return LiveResult("error", f"the probes could not run: {exc}", time.perf_counter() - started)
    misses: list[str] = []
    errors: list[str] = []
    for spec, result in zip(step.probes, results):
        if spec.accepts(result.outcome):
            continue
        line = f"{spec.label}: expected {spec.expect_text}, observed {result.outcome.value} ({result.reason})"
        (errors if result.outcome is Outcome.ERROR else misses).append(line)
    seconds = time.perf_counter() - started
    if errors:
        return LiveResult("error", "; ".join(errors), seconds)
    if misses:
        return LiveResult("not-yet", "; ".join(misses), seconds)
    return LiveResult("pass", f"{len(results)} probe(s) as expected", seconds)


def run_live_checks(cluster: Cluster, steps: Sequence[LiveStep], *, timeout: float = DEFAULT_PROBE_TIMEOUT,
                    parallel: int = DEFAULT_PARALLEL, per_step_parallel: int = 8,
                    ) -> dict[tuple[str, str, str], LiveResult]:
    """Run every (trainee, step) job, at most `parallel` at a time; keyed by (trainee, lab, step)."""
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        results = list(pool.map(lambda s: run_step(cluster, s, timeout=timeout, parallel=per_step_parallel), steps))
    return {(s.trainee, s.lab_id, s.step_id): r for s, r in zip(steps, results)}
