"""Does a help bundle hold only the asking trainee's policies and flows?"""

from __future__ import annotations

import json
import stat

import yaml

from labs.cluster.sim import SimCluster
from labs.paths import manifests_dir
from labs.workshop import bundle
from labs.workshop.checks import trainee_steps
from labs.workshop.rewrite import rewrite_text
from labs.workshop.scope import NamespaceMap

LAB = manifests_dir() / "04-namespace-isolation"


def test_bundle_is_per_trainee(tmp_path):
    cluster = SimCluster()
    for trainee in ("alice", "bob"):
        files = ["workloads.yaml", "solutions/isolate-backend.yaml"]
        for name in files:
            cluster.apply(rewrite_text((LAB / name).read_text(), NamespaceMap(trainee), name=name).to_yaml())
        step = next(s for s in trainee_steps(LAB, trainee) if s.step_id == "isolate-backend")
        cluster.probe_many([p.probe for p in step.probes])
    namespaces = ("alice-backend", "alice-frontend", "alice-test")
    folder = bundle.write_help_bundle("alice", tmp_path, namespaces=namespaces, cluster=cluster, doctor=False,
                                      status_text="row\n")
    policies = list(yaml.safe_load_all((folder / "policies.yaml").read_text()))
    assert [(p["kind"], p["namespace"], p["name"]) for p in policies] == [
        ("CiliumNetworkPolicy", "alice-backend", "backend-from-frontend")]
    flows = [json.loads(line) for line in (folder / "flows.jsonl").read_text().splitlines()]
    assert flows
    for entry in flows:
        ends = {entry["flow"].get("source", {}).get("namespace"), entry["flow"].get("destination", {}).get("namespace")}
        assert ends & set(namespaces) and not any(str(e).startswith("bob-") for e in ends)
    versions = json.loads((folder / "versions.json").read_text())
    assert versions["cluster"]["backend"] == "sim"
    assert (folder / "doctor.txt").read_text() == "labs doctor was not run (--no-doctor).\n"
    assert (folder / "status.txt").read_text().endswith("row\n")
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())


def test_doctor_missing_is_said(monkeypatch):
    monkeypatch.setattr(bundle.util, "find_spec", lambda name: None)
    assert bundle.run_doctor("alice", None) == "labs doctor is not available in this version of the course.\n"
