"""Do live checks for the whole room run concurrently, bounded, and report what each step saw?"""

from __future__ import annotations

import threading
import time

import pytest

from labs.course.probe_spec import parse_probe
from labs.outcomes import Outcome
from labs.probes import ProbeResult
from labs.workshop.checks import LiveStep, run_live_checks, run_step

PROBE_TIMEOUT = 0.2


class SleepyCluster:
    """A fake cluster whose every probe takes the whole probe timeout (a drop), counting concurrency."""

    backend = "fake"

    def __init__(self, outcome: Outcome = Outcome.DROPPED, gather: threading.Barrier | None = None):
        self.outcome = outcome
        self.gather = gather
        """With a barrier, each probe waits there instead of sleeping: it passes only once that many probes
        are in flight together, so concurrency is proven without a clock (a busy machine only slows it)."""
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def probe_many(self, probes, *, timeout, parallel=8):
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        if self.gather is not None:
            self.gather.wait(timeout=60)
        else:
            time.sleep(timeout)
        with self.lock:
            self.running -= 1
        return [ProbeResult(p, self.outcome, "timed out") for p in probes]


def steps(trainees: int, per_trainee: int = 1) -> list[LiveStep]:
    out = []
    for i in range(trainees):
        spec = parse_probe({"from": f"t{i}-frontend/web", "to": f"t{i}-backend/api", "port": 80, "expect": "dropped"})
        out += [LiveStep(f"t{i}", "04", f"s{j}", (spec,)) for j in range(per_trainee)]
    return out


def test_thirty_trainees_are_checked_side_by_side():
    """All thirty checks are in flight at once (read from the cluster's own count, not from a clock)."""
    cluster = SleepyCluster(gather=threading.Barrier(30))
    results = run_live_checks(cluster, steps(30), timeout=PROBE_TIMEOUT, parallel=32)
    assert len(results) == 30 and {r.status for r in results.values()} == {"pass"}
    assert cluster.peak == 30


def test_concurrency_is_bounded():
    cluster = SleepyCluster()
    run_live_checks(cluster, steps(12), timeout=0.05, parallel=4)
    assert cluster.peak == 4


@pytest.mark.parametrize(("outcome", "status", "message"), [
    (Outcome.DROPPED, "pass", "1 probe(s) as expected"),
    (Outcome.ALLOWED, "not-yet", "t0-frontend/web -> t0-backend/api:80/TCP: expected dropped, observed allowed "
                                 "(timed out)"),
    (Outcome.ERROR, "error", "t0-frontend/web -> t0-backend/api:80/TCP: expected dropped, observed error "
                             "(timed out)"),
], ids=["pass", "not-yet", "error"])
def test_step_status_words(outcome, status, message):
    result = run_step(SleepyCluster(outcome), steps(1)[0], timeout=0.0)
    assert (result.status, result.message) == (status, message)


def test_read_only_steps_are_not_probed():
    cluster = SleepyCluster()
    step = LiveStep("t0", "03", "enforcement-always", steps(1)[0].probes, read_only=True)
    assert run_step(cluster, step).message == "read-only in workshop mode (needs a cluster-wide change)"
    assert cluster.peak == 0


def test_a_backend_failure_is_an_error_cell_not_a_crash():
    class Broken(SleepyCluster):
        def probe_many(self, probes, *, timeout, parallel=8):
            raise RuntimeError("API server went away")

    assert run_step(Broken(), steps(1)[0]).message == "the probes could not run: API server went away"
