"""Does `labs verify --backend live` create a scenario's workload, probe it, compare, and always clean up?

Against the stub API server (tests/live/live_stub.py) with scripted execs standing in for the pods: the
real cluster's behaviour is not the question here (tests/realcluster/test_verify_live_node.py asks it),
the run's steps are: renamed namespaces created and labelled, pods waited for, policies applied, probes
exec'd in the `client` container of the renamed pods, every object deleted afterwards, on failure and
on Ctrl-C too; the agreement report lines up both backends probe by probe.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from live_fakes import ScriptedExec, curl_answer, curl_timeout

from labs.__main__ import main
from labs.cluster.live.cluster import LiveCluster
from labs.cluster.live.connect import connect
from labs.cluster.live.execpod import ExecResult
from labs.scenarios.live_run import as_scenario_result, leftover_namespaces, run_live
from labs.scenarios.spec import load_scenario
from labs.scenarios.workload import RUN_LABEL, ClusterFacts

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
L3_ALLOW = SCENARIOS / "002-cnp-ingress-l3-allow.yaml"
IPS = {"frontend": "10.244.0.11", "backend": "10.244.0.12", "other": "10.244.0.13"}


def _ready(ip: str) -> dict:
    return {"phase": "Running", "podIP": ip, "hostIP": "192.168.56.10",
            "conditions": [{"type": "Ready", "status": "True"}]}


def _ping(received: int) -> ExecResult:
    return ExecResult(0 if received else 1, f"1 packets transmitted, {received} packets received\n",
                      "ciliumlab-tool: ping\n")


def cilium_like(namespace: str, pod: str, argv) -> ExecResult:
    """Scenario 002 as Cilium enforces it: only `frontend` may reach `backend`; everything else flows."""
    script = argv[-1]
    dropped = pod == "other" and IPS["backend"] in script
    if "ciliumlab-tool: ping" in script:
        return _ping(0 if dropped else 1)
    return curl_timeout() if dropped else curl_answer(200)


@pytest.fixture
def execer():
    return ScriptedExec(cilium_like)


@pytest.fixture
def live(stub, isolated, execer):
    for name, ip in IPS.items():
        stub.statuses[("pods", name)] = _ready(ip)
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    return LiveCluster(connect(), execer=execer, hubble=False, progress=False, policy_settle=0.05)


def _namespaces(stub) -> list[str]:
    return sorted(n for n in stub.paths("namespaces") if n not in ("default", "kube-system"))


def test_a_run_creates_probes_and_removes_its_workload(stub, live, execer):
    lines: list[str] = []
    run = run_live(load_scenario(L3_ALLOW), live, facts=ClusterFacts(), run_id="r0001", ready_timeout=5,
                   say=lines.append)
    assert run.error is None
    created = [path.split("?")[0] for method, path, _ in stub.requests if method == "PATCH" and "dryRun" not in path]
    assert any(p.endswith("/namespaces/default-r0001") for p in created)
    assert any("/namespaces/default-r0001/ciliumnetworkpolicies/l3-rule" in p for p in created)
    assert {(ns, container) for ns, _, _, container, _ in execer.calls} == {("default-r0001", "client")}
    result = as_scenario_result(run)
    assert [c.ok for c in result.checks] == [True] * 7
    assert [why for _, why in result.skipped] == [
        "UDP probes cannot be judged on a real cluster: a dropped datagram and a silent server look the same"]
    assert _namespaces(stub) == [] and stub.paths("pods") == [] and stub.paths("ciliumnetworkpolicies") == []
    assert lines[0] == ("cnp-ingress-l3-allow: run r0001, 3 pod(s) in default-r0001, 1 policy, 7 of 8 probe(s) "
                        "runnable here")


def test_pods_that_never_get_ready_stop_the_run_and_it_still_cleans_up(stub, live):
    stub.statuses[("pods", "backend")] = {"phase": "Pending", "containerStatuses": [
        {"name": "serve-80", "state": {"waiting": {"reason": "ErrImageNeverPull"}}}]}
    run = run_live(load_scenario(L3_ALLOW), live, facts=ClusterFacts(), run_id="r0002", ready_timeout=1.5,
                   say=lambda _: None)
    assert run.error is not None and "Not ready after" in run.error and "ErrImageNeverPull" in run.error
    result = as_scenario_result(run)
    assert {c.result.outcome.value for c in result.checks} == {"error"}
    assert all(c.result.reason.startswith("not run: Not ready") for c in result.checks)
    assert _namespaces(stub) == [] and stub.paths("pods") == []


def test_ctrl_c_during_the_probes_still_deletes_everything(stub, live, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(live, "probe_many", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_live(load_scenario(L3_ALLOW), live, facts=ClusterFacts(), run_id="r0003", ready_timeout=5,
                 say=lambda _: None)
    assert _namespaces(stub) == [] and stub.paths("pods") == [] and stub.paths("ciliumnetworkpolicies") == []


def test_keep_leaves_the_run_in_place_under_its_label(stub, live):
    run_live(load_scenario(L3_ALLOW), live, facts=ClusterFacts(), run_id="r0004", ready_timeout=5, keep=True,
             say=lambda _: None)
    assert _namespaces(stub) == ["default-r0004"]
    assert leftover_namespaces(live) == ["default-r0004"]
    namespace = stub.objects[("/api/v1", None, "namespaces", "default-r0004")]
    assert namespace["metadata"]["labels"][RUN_LABEL] == "r0004"


def test_a_scenario_with_http_rules_is_skipped_without_touching_the_cluster(stub, live):
    before = len(stub.requests)
    run = run_live(load_scenario(SCENARIOS / "072-http-method-and-path.yaml"), live, facts=ClusterFacts(),
                   say=lambda _: None)
    assert run.plan.skipped and "Envoy" in run.plan.skipped
    assert len(stub.requests) == before


def _cli(live, monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr("labs.cluster.select.get_cluster", lambda backend: live)
    code = main(["verify", "--backend", "live", "--ready-timeout", "5", *args])
    return code, capsys.readouterr().out


def test_compare_sim_agrees_probe_by_probe_when_the_datapath_matches(live, monkeypatch, capsys):
    code, out = _cli(live, monkeypatch, capsys, "--compare-sim", "--json", str(L3_ALLOW))
    report = json.loads(out)
    assert code == 0
    assert report["summary"] | {"skipped_reasons": None} == {
        "agree": 7, "disagree": 0, "skipped": 1, "run": 7, "total": 8, "invalid": 0, "skipped_reasons": None}
    first = report["probes"][0]
    assert (first["id"], first["probe"], first["sim"], first["live"], first["status"]) == (
        "cnp-ingress-l3-allow#0", "default/frontend -> default/backend:80/TCP", "allowed", "allowed", "agree")
    assert report["environment"]["nodes"] >= 1


def test_a_disagreement_carries_both_outcomes_and_a_diagnosis(live, execer, monkeypatch, capsys):
    execer.answer = lambda namespace, pod, argv: (_ping(1) if "ping" in argv[-1] else curl_answer(200))
    code, out = _cli(live, monkeypatch, capsys, "--compare-sim", str(L3_ALLOW))
    assert code == 1
    assert ("DISAGREE cnp-ingress-l3-allow#4 default/other -> default/backend:80/TCP: sim dropped, live allowed"
            in out)
    assert "diagnosis: simulator bug or unrealized policy: the real datapath let it through" in out
    assert "agreement: 5 of 7 probes run agree (71.4%), 2 disagree, 1 skipped, 8 in all" in out
    assert "skipped   1: UDP probes cannot be judged" in out


def test_live_verify_reports_expectations_and_skips(live, monkeypatch, capsys):
    code, out = _cli(live, monkeypatch, capsys, str(L3_ALLOW))
    assert code == 0
    assert "cnp-ingress-l3-allow" in out and "7/7 probes as expected, 1 skipped" in out
    assert out.strip().endswith("7 passed, 0 failed, 1 skipped")


@pytest.mark.parametrize(("args", "message"), [
    (["--compare-sim"], "--compare-sim only works with --backend live"),
    (["--keep", "--l7"], "--keep, --l7 only work with --backend live"),
    (["--backend", "live", "--ready-timeout", "0"], "--ready-timeout must be a positive number of seconds"),
])
def test_bad_flags_exit_2_before_anything_runs(args, message, capsys):
    assert main(["verify", *args, str(L3_ALLOW)]) == 2
    assert message in capsys.readouterr().err


def test_parallel_runs_keep_the_report_in_file_order(live, monkeypatch, capsys):
    """Scenarios overlap (a cluster-wide policy's scenario runs alone, after the others); the report keeps the
    order the files were given in."""
    ccnp = SCENARIOS / "013-ccnp-subject-every-namespace.yaml"
    code, out = _cli(live, monkeypatch, capsys, "--compare-sim", "--json", "--parallel", "2", str(ccnp),
                     str(L3_ALLOW))
    assert code in (0, 1)
    scenarios = [row["scenario"] for row in json.loads(out)["probes"]]
    assert scenarios == sorted(scenarios, key=lambda name: name != "ccnp-subject-every-namespace")
    assert set(scenarios) == {"ccnp-subject-every-namespace", "cnp-ingress-l3-allow"}


def test_parallel_runs_never_change_policies_at_the_same_time(live, monkeypatch, capsys):
    """From reading the revisions to the end of the wait, a run is alone: another run's policy change would
    bump the revision the wait is for."""
    import threading
    import time

    spans: list[tuple[float, float]] = []
    opened: dict[int, float] = {}
    lock = threading.Lock()

    def revisions():
        with lock:
            opened[threading.get_ident()] = time.monotonic()
        time.sleep(0.2)
        return {"cilium-abc": 1}

    def wait(before, changes=None):
        time.sleep(0.2)
        with lock:
            spans.append((opened.pop(threading.get_ident()), time.monotonic()))
        return "realized by 1 agent(s)"

    monkeypatch.setattr(live.policy_sync, "revisions", revisions)
    monkeypatch.setattr(live.policy_sync, "wait", wait)
    other = SCENARIOS / "003-cnp-egress-l3-allow.yaml"
    code, _ = _cli(live, monkeypatch, capsys, "--compare-sim", "--parallel", "2", str(L3_ALLOW), str(other))
    assert code in (0, 1)
    assert len(spans) == 4  # apply and delete, in each of the two runs
    spans.sort()
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(spans)), spans
