"""Cilium's real operator on the local node writes the CNPs' Valid condition; the simulator and lab 09 agree.

`scripts/local-cluster up --node --cilium` starts cilium-operator-generic beside the agent
(labs/env/local/ciliumoperator.py). Its policy validator (operator/pkg/networkpolicy/cell.go:106) marks the
seed's deny-all (`ingress: []` alone) VALID False and a valid policy VALID True; here that is read through the
real API server (the CRD's printer column in `kubectl get cnp`, and `status.conditions`), then compared with
the simulator's `kubectl get cnp` for the same two documents. Lab 09's pitfall check on the live backend
keeps the deny-all stored and reports the operator's condition, as it does on the simulator.
Runs on the Cilium node (the Cilium stage built, as `.ci/run` builds it), like tests/realcluster/test_cilium_node.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from labs.cluster.sim import SimCluster
from labs.commands.kubectl import run as sim_kubectl
from labs.env.local.components import Paths
from labs.env.local.node import node_status

pytestmark = pytest.mark.xdist_group("node-cluster")

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "rt-operator"
DENY_ALL_SEED = (REPO / "manifests/09-fix-the-blog/policies/blog-deny-all.yaml").read_text().replace(
    "namespace: blog", f"namespace: {NAMESPACE}")
VALID_DENY_ALL = f"""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: deny-all-fixed, namespace: {NAMESPACE}}}
spec:
  endpointSelector: {{matchLabels: {{app: test-app}}}}
  ingress: [{{}}]
"""
NAMESPACE_DOC = f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NAMESPACE}}}\n"
VALID_WAIT = 60.0
DEPLOY_TIMEOUT = float(os.environ.get("LABS_LOCAL_CLUSTER_DEPLOY_TIMEOUT", "240"))


def _kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed"
    return subprocess.run([kubectl, "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def _conditions(kubeconfig: Path) -> dict[str, dict]:
    done = _kubectl(kubeconfig, "-n", NAMESPACE, "get", "cnp", "-o", "json")
    assert done.returncode == 0, done.stderr
    return {item["metadata"]["name"]: next((c for c in (item.get("status") or {}).get("conditions") or ()
                                            if c.get("type") == "Valid"), {})
            for item in json.loads(done.stdout)["items"]}


def _valid_column(table: str) -> dict[str, str]:
    """NAME -> VALID of a `kubectl get cnp` table (columns NAME AGE VALID, the CRD's printer columns)."""
    lines = table.strip().splitlines()
    assert re.split(r"\s+", lines[0].strip()) == ["NAME", "AGE", "VALID"], table
    return {cells[0]: (cells[2] if len(cells) > 2 else "") for cells in (re.split(r"\s+", ln.strip())
                                                                       for ln in lines[1:])}


@pytest.fixture(scope="module")
def operator_cluster(cilium_cluster):
    cluster, _binaries = cilium_cluster
    status = node_status(Paths(cluster.state_dir))
    assert status.get("cilium-operator", "").startswith("running"), status
    yield cluster
    _kubectl(cluster.kubeconfig, "delete", "namespace", NAMESPACE, "--wait=false")


def test_status_lists_the_running_operator(operator_cluster):
    done = operator_cluster.cli("status")
    assert re.search(r"cilium-operator\W+running \(pid \d+\)", done.stdout + done.stderr), done.stdout


def test_operator_marks_the_seed_deny_all_invalid_and_the_sim_agrees(operator_cluster):
    kubeconfig = operator_cluster.kubeconfig
    done = _kubectl(kubeconfig, "apply", "-f", "-", stdin=NAMESPACE_DOC + "---\n" + DENY_ALL_SEED + "---\n"
                    + VALID_DENY_ALL)
    assert done.returncode == 0, done.stderr
    assert "ciliumnetworkpolicy.cilium.io/deny-all created" in done.stdout, done.stdout
    deadline = time.monotonic() + VALID_WAIT
    while True:
        conditions = _conditions(kubeconfig)
        if all(conditions.get(n) for n in ("deny-all", "deny-all-fixed")) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    real = {name: (c.get("status"), c.get("message")) for name, c in conditions.items()}
    assert real == {"deny-all": ("False", "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny"),
                    "deny-all-fixed": ("True", "Policy validation succeeded")}, real
    table = _kubectl(kubeconfig, "-n", NAMESPACE, "get", "cnp")
    assert table.returncode == 0, table.stderr
    real_column = _valid_column(table.stdout)
    assert real_column == {"deny-all": "False", "deny-all-fixed": "True"}, table.stdout

    sim = SimCluster()
    applied = sim_kubectl(["apply", "-f", "-"], sim, NAMESPACE_DOC + "---\n" + DENY_ALL_SEED + "---\n"
                          + VALID_DENY_ALL)
    assert "ciliumnetworkpolicy.cilium.io/deny-all created" in applied.stdout, applied
    assert _valid_column(sim_kubectl(["get", "cnp", "-n", NAMESPACE], sim, None).stdout) == real_column
    sim_items = json.loads(sim_kubectl(["get", "cnp", "-n", NAMESPACE, "-o", "json"], sim, None).stdout)["items"]
    sim_conditions = {i["metadata"]["name"]: next((c["status"], c["message"]) for c in i["status"]["conditions"]
                                                  if c["type"] == "Valid") for i in sim_items}
    assert sim_conditions == real


@pytest.fixture(scope="module")
def lab09(operator_cluster, node_live):
    """Lab 09 deployed on the node (its pods Ready), reset at the end."""
    from labs.course.session import open_lab

    lab = open_lab("09-fix-the-blog", cluster=node_live)
    message = lab.deploy(timeout=DEPLOY_TIMEOUT)
    assert message.ok, str(message)
    yield lab
    lab.reset(confirm=True)


def test_lab09_check_on_live_keeps_the_deny_all_stored_with_the_operators_condition(operator_cluster, lab09):
    result = lab09.check("pitfall-deny-all")
    assert result.passed, result
    assert "the API server stores this policy" in result.summary and "refused before" not in result.summary
    assert ("kubectl get ciliumnetworkpolicy -n blog deny-all: VALID False: rule must have at least one of "
            "Ingress, IngressDeny, Egress, EgressDeny") in result.notes, result.notes
    listed = _kubectl(operator_cluster.kubeconfig, "-n", "blog", "get", "cnp")
    assert _valid_column(listed.stdout).get("deny-all") == "False", listed.stdout
