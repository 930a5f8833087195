"""A simulated cluster on a fixed clock with lab 02's workloads, and a `kubectl` helper for the tests."""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labs.cluster.sim import SimCluster
from labs.commands.kubectl import run
from labs.commands.result import CommandResult

REPO = Path(__file__).resolve().parents[3]
START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class Kubectl:
    """`k("get pods -n segregation")` runs one command line (split like a shell) on the cluster."""

    def __init__(self, cluster: SimCluster, clock: Clock):
        self.cluster = cluster
        self.clock = clock

    def __call__(self, line: str, stdin: str | None = None) -> CommandResult:
        return run(shlex.split(line), self.cluster, stdin)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kubectl_on(clock: Clock, monkeypatch: pytest.MonkeyPatch):
    """`kubectl_on(cluster)`: a Kubectl for a cluster the test builds; cwd is the repository."""
    monkeypatch.chdir(REPO)
    return lambda cluster: Kubectl(cluster, clock)


@pytest.fixture
def k(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Kubectl:
    """Lab 02's workloads applied at START, the clock then 2m10s later; cwd is the repository."""
    monkeypatch.chdir(REPO)
    cluster = SimCluster(clock=clock)
    kubectl = Kubectl(cluster, clock)
    assert kubectl("apply -f manifests/02-segregation/workloads.yaml").ok
    clock.advance(minutes=2, seconds=10)
    return kubectl
