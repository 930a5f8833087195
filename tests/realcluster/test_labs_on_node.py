"""The labs end to end on the live backend, against the local cluster with a real node (`up --node`).

Pods run in containerd on the node's CNI (the Cilium agent when the Cilium stage runs, else the bridge plugin);
probes are real `kubectl exec` sessions (the API server's exec subresource through the kubelet) running curl,
wget or nslookup in the source pod. On the bridge node only labs 00-02 run, and a step that puts a policy in
force is skipped (nothing enforces it). On the Cilium node every lab runs (00-09, exercises answered with
their solutions, LABS_SOLVE=1), each policy step waited for with the host agent's `cilium-dbg policy wait`;
a step is skipped, with the reason, only when what it grades cannot be observed on this node
(`unobservable`): HTTP rules (no Envoy), destinations outside the cluster, a client outside the cluster,
a second node, an enforcement mode (the course answers it on a simulated copy), lookups through CoreDNS
from a pod in egress default deny (CoreDNS is `host` to Cilium here). A verdict that cannot be observed is
never reported.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from labs.course.spec import LabSpec, StepSpec, lab_ids, load_lab
from labs.outcomes import Outcome
from labs.probes import Probe, parse_target

pytestmark = pytest.mark.xdist_group("node-cluster")
"""One worker runs these: the labs' namespaces and node ports are fixed, so two workers cannot each deploy
them on the one node cluster (`scripts/run-tests` distributes with --dist loadgroup)."""

BASE_LABS = ("00-environment", "01-flat-network", "02-segregation")
"""Deployed for the whole module (the exec and magic tests below use them)."""
DEPLOY_TIMEOUT = float(os.environ.get("LABS_LOCAL_CLUSTER_DEPLOY_TIMEOUT", "240"))
NO_ENFORCEMENT = ("this step puts a policy in force and the bridge CNI enforces none; the Cilium node runs it "
                  "(`scripts/local-cluster build --node --cilium`, or LABS_LOCAL_CLUSTER_CILIUM=1)")
_HTTP_RULE = re.compile(r"^\s*(- )?http:", re.MULTILINE)


def _cilium() -> bool:
    """Whether the node cluster runs Cilium, by conftest.cilium_requested's rule (decided at collection, before
    the cluster starts): LABS_LOCAL_CLUSTER_CILIUM=1/0, else when tools are required or the stage is built."""
    chosen = os.environ.get("LABS_LOCAL_CLUSTER_CILIUM", "")
    if chosen in ("0", "1"):
        return chosen == "1"
    from labs.env.local.ciliumbuild import cached_cilium_binaries
    from labs.env.local.layout import pinned_versions

    return os.environ.get("LABS_REQUIRE_TOOLS") == "1" or cached_cilium_binaries(pinned_versions()) is not None


def _policy_texts(lab: LabSpec, step: StepSpec) -> list[str]:
    files = list(step.policies) + ([step.solution] if step.kind == "exercise" and step.solution else [])
    return [lab.path(f).read_text(encoding="utf-8") for f in files]


def unobservable(lab: LabSpec, step: StepSpec) -> str | None:
    """Why this node cannot show what the step grades, or None when every verdict of it is observable here."""
    if step.rejected:
        return None  # the course refuses the policy before anything reaches the cluster
    if step.enforcement:
        return (f"needs policy enforcement {step.enforcement!r}: changing a real cluster's mode restarts every agent, "
                "so the course answers this step on a simulated copy (no real exec to check)")
    texts = _policy_texts(lab, step)
    if any(_HTTP_RULE.search(t) for t in texts):
        return "HTTP rules are enforced by Envoy, which the local Cilium node does not run"
    for spec in step.probes:
        probe = spec.probe
        target = probe.target
        if probe.source == "world":
            return ("a `from: world` probe would run on this machine, which is the node: Cilium sees it as `host`, "
                    "always let in, not `world`")
        if target is not None and (target.kind in ("fqdn", "ip") or str(target) == "entity:world"):
            return f"{target} is outside the cluster: no such host answers here"
        if target is not None and str(target) == "entity:remote-node":
            return "entity:remote-node needs a second node"
    if any(spec.probe.dns for spec in step.probes) and any(re.search(r"^\s*egress:", t, re.MULTILINE)
                                                         for t in texts):
        return ("a lookup from a pod in egress default deny goes to CoreDNS, which runs on the host network of the "
                "local cluster: Cilium sees it as `host`, not the kube-dns pods the policy allows")
    return None


def _cases():
    labs = lab_ids() if _cilium() else list(BASE_LABS)
    for lab_id in labs:
        lab = load_lab(lab_id)
        for step in lab.steps:
            if not _cilium():
                runnable = step.rejected or (step.kind != "exercise" and not step.policies)
                reason = None if runnable else NO_ENFORCEMENT
            else:
                reason = unobservable(lab, step)
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            yield pytest.param(lab_id, step.id, id=f"{lab_id}:{step.id}", marks=marks)


class DeployedLabs:
    """The base labs deployed once; any other lab deployed when first asked for, the previous one reset first
    (labs 04 and 05 share namespace names, and the node is small). A lab's policies are deleted after each step
    so the next test starts from the workloads alone."""

    def __init__(self, cluster) -> None:
        from labs.course.session import open_lab

        self._open = open_lab
        self.cluster = cluster
        self.opened: dict[str, object] = {}
        self.current: str | None = None
        for lab_id in BASE_LABS:
            self._deploy(lab_id)

    def _deploy(self, lab_id: str):
        lab = self._open(lab_id, cluster=self.cluster)
        message = lab.deploy(timeout=DEPLOY_TIMEOUT)
        assert message.ok, f"{lab_id}: {message}"
        self.opened[lab_id] = lab
        return lab

    def __getitem__(self, lab_id: str):
        if lab_id in self.opened:
            return self.opened[lab_id]
        if self.current is not None:
            self.opened.pop(self.current).reset(confirm=True)  # type: ignore[attr-defined]
        self.current = lab_id
        return self._deploy(lab_id)

    def clear_policies(self, lab_id: str) -> None:
        lab = self.opened[lab_id]
        self.cluster.delete_policies(namespaces=lab.namespaces)  # type: ignore[attr-defined]

    def close(self) -> None:
        for lab in self.opened.values():
            lab.reset(confirm=True)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def labs(node_live):
    """The labs, deployed (pods Ready) as the tests ask for them, in solve mode; reset at the end."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LABS_SOLVE", "1")
        deployed = DeployedLabs(node_live)
        yield deployed
        deployed.close()


@pytest.mark.parametrize(("lab_id", "step_id"), list(_cases()))
def test_lab_step_passes_on_the_real_node(labs, lab_id, step_id):
    try:
        result = labs[lab_id].check(step_id)
    finally:
        labs.clear_policies(lab_id)
    assert result.passed, result.text()
    for check in result.probes:  # every probe really ran in a pod: an exec'd tool, never an error the step
        # does not expect (lab 03 expects one: `test-app -> other:80` is refused, nothing listens there)
        assert check.observed != Outcome.ERROR or Outcome.ERROR in check.spec.expect, check.line()
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
