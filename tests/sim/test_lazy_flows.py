"""Flows built when read (the default under the wall clock) equal the flows built at once.

Every scenario of the corpus and a generated NetworkPolicy fixture run twice on a stopped clock, once
with eager and once with lazy flows: each probe's outcome, reason, detail and flows, and the
cluster's whole flow log, must be equal. The flows of the lazy run are read only at the end, after
every probe, so a snapshot missing something the builder reads later would show here.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from labs.scenarios.run import build_sim_cluster
from labs.scenarios.spec import load_scenario, scenario_from_data

ROOT = Path(__file__).resolve().parents[2]
STOPPED = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=timezone.utc)
CORPUS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))


def _run(scenario, lazy: bool):
    cluster = build_sim_cluster(scenario, clock=lambda: STOPPED, lazy_flows=lazy)
    results = [cluster.probe(e.probe) for e in scenario.expectations]
    return cluster, results


def _same(scenario) -> int:
    eager_cluster, eager = _run(scenario, False)
    lazy_cluster, lazy = _run(scenario, True)
    flows = 0
    for a, b in zip(eager, lazy, strict=True):
        assert (a.outcome, a.reason, a.detail) == (b.outcome, b.reason, b.detail)
        assert tuple(a.flows) == tuple(b.flows)
        flows += len(a.flows)
    assert eager_cluster.flows(limit=10**9) == lazy_cluster.flows(limit=10**9)
    return flows


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_scenario_flows_are_the_same_built_late(path):
    _same(load_scenario(path))


def test_generated_fixture_flows_are_the_same_built_late():
    sys.path.insert(0, str(ROOT))
    from benchmarks._gen_verify import VerifySpec, fixture
    from labs.manifests.yaml_lines import parse_documents

    doc = parse_documents(fixture(VerifySpec(namespaces=3, apps_per_namespace=4, policies=15, seed=5))
                          .scenario_text())[0]
    assert _same(scenario_from_data(doc.data, "generated", doc.lines)) > 100


def test_the_wall_clock_builds_flows_late_and_a_given_clock_at_once():
    from labs.cluster.sim import SimCluster

    assert SimCluster()._lazy_flows and not SimCluster(clock=lambda: STOPPED)._lazy_flows


def test_pending_flows_pickle_and_copy_as_their_tuple():
    import copy
    import pickle

    from labs.cluster.sim.pending import PendingFlows

    pending = PendingFlows(lambda: [{"flow": {"verdict": "DROPPED"}}])
    assert pickle.loads(pickle.dumps(pending)) == ({"flow": {"verdict": "DROPPED"}},)
    assert copy.deepcopy(pending) == pending and len(pending) == 1 and pending[0]["flow"]["verdict"] == "DROPPED"
