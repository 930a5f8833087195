"""`labs verify --backend live` end to end on the local cluster with a real node (`up --node`).

Two questions. Without Cilium's agent (the node's bridge CNI enforces nothing), does a scenario without
policies run as a real workload: namespaces created, pods Ready, real execs, everything deleted? With the
agent running as the node's CNI (stage 3 of issue 13), how far does the simulator agree with the real
datapath, probe by probe? Every disagreement must be diagnosed in agreement_known.yaml.

The whole corpus takes about 13 minutes on the local agent (111 scenarios, 313 probes, `--parallel 3`), so by
default the agreement test runs a representative subset, `SUBSET` (25 scenarios, about 100 probes, about
3 minutes: every policy kind and peer form, deny, default deny, Services, DNS rules, north-south), and the
whole corpus on demand: LABS_AGREEMENT=all (LABS_AGREEMENT=0 skips it). `LABS_AGREEMENT_REPORT=FILE` keeps
the JSON report (the figures for docs/live.md).
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
import yaml

from labs.__main__ import main

pytestmark = pytest.mark.xdist_group("node-cluster")
"""One worker drives the node cluster (see test_labs_on_node.py)."""

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("[0-9][0-9][0-9]-*.yaml"))
SUBSET = ("001", "002", "003", "007", "013", "016", "025", "027", "033", "043", "054", "061", "063", "069", "085",
          "086", "090", "096", "101", "105", "115", "119", "120", "128", "130")
"""Scenario numbers run by default: no policy, L3 ingress and egress, cross-namespace peers, a cluster-wide
policy, matchExpressions, namespace and ServiceAccount labels, entities, toServices, a DNS rule (a known
real-cluster effect), port ranges, named ports, ICMP, deny over allow both ways and across kinds, empty
rules, NetworkPolicy, reply traffic, labs 02 and 04 as scenarios, a pod reaching itself, NodePorts."""
KNOWN = {entry["id"]: entry for entry in
         yaml.safe_load(Path(__file__).with_name("agreement_known.yaml").read_text())["disagreements"] or []}
READY = os.environ.get("LABS_LOCAL_CLUSTER_DEPLOY_TIMEOUT", "240")
PARALLEL = os.environ.get("LABS_AGREEMENT_PARALLEL", "3")
FLAT = textwrap.dedent("""
    name: flat-real-workload
    description: two namespaces, a Service, no policy; every probe reaches its pod
    source: tests/realcluster/test_verify_live_node.py
    cluster:
      namespaces: {shop: {labels: {team: web}}, tools: {}}
      pods:
        - {name: web, namespace: shop, labels: {app: web}, ports: [{name: http, containerPort: 8080}]}
        - {name: client, namespace: tools, labels: {app: client}, serviceAccount: prober}
      services:
        - {name: web, namespace: shop, selector: {app: web}, ports: [{port: 80, targetPort: http}]}
    probes:
      - {from: tools/client, to: shop/web, port: http, expect: allowed}
      - {from: tools/client, to: shop/web, port: 9090, expect: allowed}
      - {from: tools/client, to: "svc:shop/web", port: 80, expect: allowed}
      - {from: shop/web, to: tools/client, protocol: ICMP, expect: allowed}
      - {from: tools/client, to: "svc:shop/web", port: 80, http: {method: POST, path: /orders}, expect: allowed}
""")


def _agent_running(node_cluster) -> bool:
    """The local node's agent is a host process, not a pod: ask the cluster directory, as the fixtures do."""
    from labs.env.local.components import Paths
    from labs.env.local.node import node_runs_cilium

    return node_runs_cilium(Paths(node_cluster.state_dir))


def _verify(*args: str, capsys) -> tuple[int, str, str]:
    code = main(["verify", "--backend", "live", "--ready-timeout", READY, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_scenario_without_policies_runs_as_a_real_workload_and_is_removed(node_live, tmp_path, capsys):
    from labs.scenarios.live_run import leftover_namespaces

    path = tmp_path / "flat.yaml"
    path.write_text(FLAT)
    code, out, err = _verify("--json", str(path), capsys=capsys)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    report = json.loads(out)
    probes = report["scenarios"][0]["probes"]
    assert [p["observed"] for p in probes] == ["allowed"] * 5, probes
    assert all("not run" not in p["reason"] for p in probes)
    assert leftover_namespaces(node_live) == []
    assert "flat-real-workload: pods:" in err  # the wait printed its progress


def _chosen() -> tuple[list[Path], bool]:
    """The scenario files to compare, and whether they are the whole corpus."""
    if os.environ.get("LABS_AGREEMENT", "subset") == "all":
        return SCENARIOS, True
    return [p for p in SCENARIOS if p.name[:3] in SUBSET], False


def test_the_subset_and_the_known_list_name_existing_scenarios() -> None:
    from labs.scenarios.spec import load_scenario

    assert sorted(p.name[:3] for p in SCENARIOS if p.name[:3] in SUBSET) == sorted(SUBSET)
    names = {load_scenario(p).name for p in SCENARIOS}
    assert {key.split("#")[0] for key in KNOWN} <= names
    assert all(entry.get("class") in ("simulator-bug", "real-cluster-effect", "timing") for entry in KNOWN.values())


def test_the_simulator_agrees_with_real_cilium_probe_by_probe(node_live, node_cluster, capsys):
    if os.environ.get("LABS_AGREEMENT") == "0":
        pytest.skip("LABS_AGREEMENT=0: the agreement run is turned off")
    if not _agent_running(node_cluster):
        pytest.skip("Cilium's agent is not running on the node cluster (stage 3 of issue 13): no verdict to compare")
    from labs.scenarios.spec import load_scenario

    files, whole = _chosen()
    names = {load_scenario(p).name for p in files}
    code, out, err = _verify("--compare-sim", "--json", "--parallel", PARALLEL, *map(str, files), capsys=capsys)
    assert code != 2, err
    report = json.loads(out)
    keep = os.environ.get("LABS_AGREEMENT_REPORT")
    if keep:
        Path(keep).write_text(json.dumps(report, indent=1))
    summary = report["summary"]
    print(f"agreement: {summary['agree']} of {summary['run']} probes run agree, {summary['skipped']} skipped")
    assert summary["run"] >= (250 if whole else 80), summary
    disagree = {row["id"]: row for row in report["probes"] if row["status"] == "disagree"}
    new = [f"{row['id']} {row['probe']}: sim {row['sim']} ({row['sim_reason']}), live {row['live']} "
           f"({row['live_reason']}); first diagnosis: {row['diagnosis']}"
           for key, row in sorted(disagree.items()) if key not in KNOWN]
    stale = sorted(key for key in KNOWN if key not in disagree and key.split("#")[0] in names)
    assert not new, f"{len(new)} undiagnosed disagreement(s); diagnose each in agreement_known.yaml:\n  " + \
        "\n  ".join(new)
    assert not stale, f"listed in agreement_known.yaml but agreeing now (remove them): {stale}"
    assert all(KNOWN[key].get("class") and KNOWN[key].get("why") for key in disagree)
