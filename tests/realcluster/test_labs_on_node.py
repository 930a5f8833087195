"""Labs 00-02 end to end on the live backend, against the local cluster with a real node (`up --node`).

Pods run in containerd on the node's CNI (the Cilium agent when the Cilium stage is built, else the bridge
plugin); probes are real `kubectl exec` sessions (the API server's exec subresource through the kubelet)
running curl, wget or nslookup in the source pod. A step that puts a policy in force is skipped with the
reason: a verdict that cannot be observed is never reported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from labs.course.spec import load_lab
from labs.outcomes import Outcome
from labs.probes import Probe, parse_target

pytestmark = pytest.mark.xdist_group("node-cluster")
"""One worker runs these: the labs' namespaces and node ports are fixed, so two workers cannot each deploy
them on the one node cluster (`scripts/run-tests` distributes with --dist loadgroup)."""

LABS = ("00-environment", "01-flat-network", "02-segregation")
DEPLOY_TIMEOUT = float(os.environ.get("LABS_LOCAL_CLUSTER_DEPLOY_TIMEOUT", "240"))
NO_ENFORCEMENT = ("this step puts a policy in force: the bridge CNI enforces none, and on the Cilium node "
                  "(`up --cilium`) the labs' policy steps are not run yet (issue 13 stage 3: `labs verify --backend "
                  "live`); tests/realcluster/test_cilium_node.py holds enforcement to the real datapath")


def _runnable(step) -> bool:
    """Steps whose verdicts hold without a policy engine: no policy in force, or one the course rejects."""
    return step.rejected or (step.kind != "exercise" and not step.policies)


def _cases():
    for lab_id in LABS:
        for step in load_lab(lab_id).steps:
            marks = [] if _runnable(step) else [pytest.mark.skip(reason=NO_ENFORCEMENT)]
            yield pytest.param(lab_id, step.id, id=f"{lab_id}:{step.id}", marks=marks)


@pytest.fixture(scope="module")
def labs(node_live):
    """Each lab opened and deployed once (its pods Ready), reset at the end."""
    from labs.course.session import open_lab

    opened = {}
    for lab_id in LABS:
        lab = open_lab(lab_id, cluster=node_live)
        message = lab.deploy(timeout=DEPLOY_TIMEOUT)
        assert message.ok, f"{lab_id}: {message}"
        opened[lab_id] = lab
    yield opened
    for lab in opened.values():
        lab.reset(confirm=True)


@pytest.mark.parametrize(("lab_id", "step_id"), list(_cases()))
def test_lab_step_passes_on_the_real_node(labs, lab_id, step_id):
    result = labs[lab_id].check(step_id)
    assert result.passed, result.text()
    for check in result.probes:  # every probe really ran in a pod: an exec'd tool, never an error
        assert check.observed != Outcome.ERROR, check.line()
        name = check.result.probe.dns
        if name and name.endswith(".svc.cluster.local") and check.observed == Outcome.ALLOWED:
            # A lookup counts as answered even as NXDOMAIN; the cluster's DNS must know the Service.
            assert check.result.detail.get("ips"), f"{check.line()}: {check.result.detail.get('stdout')}"


def test_eight_parallel_exec_probes_all_succeed(labs, node_live):
    """The live path's concurrency (issue 12): 8 exec sessions at once, each its own websocket, all answered."""
    pairs = [("flat/client-a", "flat/server-a"), ("flat/client-a", "flat/server-b"),
             ("flat/client-b", "flat/server-a"), ("flat/client-b", "flat/server-b"),
             ("flat/server-a", "flat/server-b"), ("flat/server-b", "flat/server-a"),
             ("flat/client-a", "svc:flat/server-a"), ("flat/client-b", "svc:flat/server-b")]
    probes = [Probe(src, parse_target(dst), 80) for src, dst in pairs]
    for _round in range(3):
        started = time.monotonic()
        results = node_live.probe_many(probes, timeout=5.0, parallel=8)
        took = time.monotonic() - started
        assert [r.outcome for r in results] == [Outcome.ALLOWED] * 8, [(r.probe.describe(), r.reason)
                                                                       for r in results]
        assert took < 30, f"8 parallel probes took {took:.1f} s"


def test_a_closed_port_is_an_error_not_a_drop(labs, node_live):
    """Without policy, a port nobody listens on is refused at once: `error` with the reason, never `dropped`."""
    result = node_live.probe(Probe("flat/client-a", parse_target("flat/server-a"), 8080), timeout=5.0)
    assert result.outcome == Outcome.ERROR, (result.outcome, result.reason)
    assert "refused" in result.reason.lower()


def test_real_kubectl_exec_and_dns(labs, node_cluster):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    env = dict(os.environ, KUBECONFIG=str(node_cluster.kubeconfig))
    done = subprocess.run([kubectl, "exec", "-n", "tour", "client", "--", "sh", "-c",
                           "nslookup web.tour.svc.cluster.local; wget -q -O - http://web.tour"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hello from web" in done.stdout
    service = subprocess.run([kubectl, "get", "svc", "-n", "tour", "web", "-o", "jsonpath={.spec.clusterIP}"],
                             capture_output=True, text=True, timeout=30, env=env).stdout.strip()
    assert service and service in done.stdout  # DNS answered with the Service's ClusterIP
    nodes = subprocess.run([kubectl, "get", "nodes", "-o", "name"], capture_output=True, text=True, timeout=30,
                           env=env)
    assert nodes.stdout.split() == ["node/ciliumlab-node"]


def test_status_lists_the_node_components(node_cluster):
    from labs.env.local.components import Paths
    from labs.env.local.node import node_runs_cilium

    done = node_cluster.cli("status")
    assert done.returncode == 0, done.stdout + done.stderr
    proxy = "cilium-agent" if node_runs_cilium(Paths(node_cluster.state_dir)) else "kube-proxy"
    for name in ("containerd", "kubelet", proxy):
        assert any(line.startswith(name) and "running" in line for line in done.stdout.splitlines()), done.stdout


@pytest.mark.parametrize("line", [
    "exec -n tour client -- curl -s -S -m 3 -o /dev/null -w '%{http_code}\\n' http://web",
    "exec -n tour client -- wget -q -T 3 -O - http://web.tour",
    "exec -n tour client -- curl -s -m 3 http://web",
], ids=["curl-status", "wget-body", "curl-body"])
def test_a_magic_line_prints_on_the_real_node_what_it_prints_on_the_simulated_cluster(labs, node_live, line):
    """`%kubectl exec ...` as lab 00's cells type it: the live path runs the real kubectl against the real
    node (a real exec into curl or wget), the simulated path answers from the model; same lines, same exit."""
    from labs.cluster.sim import SimCluster
    from labs.commands.magics import run_command

    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    sim = SimCluster()
    workloads = Path(__file__).resolve().parents[2] / "manifests" / "00-environment" / "workloads.yaml"
    deployed = run_command("kubectl", f"apply -f {workloads}", sim, on_output=None)
    assert deployed.exit_code == 0, deployed.stderr
    real = run_command("kubectl", line, node_live, on_output=None)
    simulated = run_command("kubectl", line, sim, on_output=None)
    assert (real.exit_code, real.stdout) == (simulated.exit_code, simulated.stdout), real.stderr
    assert real.exit_code == 0
