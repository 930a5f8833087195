"""Does the real API server accept every workload and policy the live verify would create?

Every scenario of tests/scenarios/ is converted (`labs.scenarios.workload`, as on a cluster that could run
them all: Envoy, the API server reachable) and each generated object goes through a server-side dry run
on the local control plane (Cilium's real CRDs installed). Namespaces and ServiceAccounts are created for
real first, since the API server dry-runs a pod only in an existing namespace with its ServiceAccount; no
pod is ever scheduled on this control-plane-only cluster. Everything is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from labs.cluster.live.api import ApiError, resource_path
from labs.scenarios.run import policy_documents
from labs.scenarios.spec import load_scenario
from labs.scenarios.workload import ClusterFacts, plan_workload

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("[0-9][0-9][0-9]-*.yaml"))


def _plans(run_id: str):
    for path in SCENARIOS:
        scenario = load_scenario(path)
        facts = ClusterFacts(enforcement=scenario.enforcement, l7_proxy=True, apiserver_from_pods=True)
        yield path, plan_workload(scenario, policy_documents(scenario), run_id=run_id, facts=facts)


def _path(live, obj: dict) -> str:
    plural, namespaced = live.mapper.lookup(obj["apiVersion"], obj["kind"], obj["metadata"]["name"])
    namespace = obj["metadata"].get("namespace") if namespaced else None
    return resource_path(obj["apiVersion"], plural, namespace=namespace, name=obj["metadata"]["name"])


def _wait_default_account(live, namespace: str) -> None:
    deadline = time.monotonic() + 60
    while live.api.get_or_none(f"/api/v1/namespaces/{namespace}/serviceaccounts/default") is None:
        assert time.monotonic() < deadline, f"no default ServiceAccount in {namespace} after 60 s"
        time.sleep(0.2)


@pytest.fixture
def created(live):
    made: list[str] = []
    yield made
    for path in made:
        with contextlib.suppress(ApiError):
            live.api.delete(path)


def test_every_generated_object_passes_the_server_side_dry_run(live, created):
    plans = list(_plans("dry" + str(int(time.time()) % 100000)))
    assert len(plans) == len(SCENARIOS)
    accounts = []
    for _, plan in plans:
        if plan.skipped:
            continue
        for obj in plan.namespaces:
            path = _path(live, obj)
            live.api.apply(path, obj)
            created.append(path)
        accounts += [o for o in plan.objects if o["kind"] == "ServiceAccount"]
    for obj in accounts:
        live.api.apply(_path(live, obj), obj)
    for _, plan in plans:
        for name in plan.namespace_names():
            _wait_default_account(live, name)
    refused, checked = [], 0
    for path, plan in plans:
        if plan.skipped:
            refused.append(f"{path.name}: not converted: {plan.skipped}")
            continue
        for obj in [*plan.objects, *plan.policies]:
            if obj["kind"] == "ServiceAccount":
                continue
            checked += 1
            try:
                live.api.apply(_path(live, obj), obj, dry_run=True)
            except ApiError as exc:
                refused.append(f"{path.name}: {obj['kind']} {obj['metadata'].get('name')}: {exc.detail or exc}")
    assert checked > 500, checked
    assert not refused, f"{len(refused)} generated object(s) refused:\n  " + "\n  ".join(refused)
