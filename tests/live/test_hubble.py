"""Reading Hubble: real `hubble observe -o jsonpb` lines, merging agents, the host CLI, and errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from live_fakes import ScriptedExec

from labs.cluster.base import ClusterError
from labs.cluster.live.execpod import ExecResult
from labs.cluster.live.hubble import AgentExecHubble, HostHubbleCli, merge_flows, parse_jsonpb

REFERENCE = Path("/work/shared/reference/hubble-flows")
RECORDED = sorted(REFERENCE.glob("*.json")) if REFERENCE.is_dir() else []
SINCE = datetime(2026, 11, 23, 10, 0, 0, tzinfo=timezone.utc)
UNTIL = datetime(2026, 11, 23, 10, 0, 9, 500000, tzinfo=timezone.utc)


@pytest.mark.skipif(not RECORDED, reason="the reference captures are not on this machine")
@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
def test_recorded_lines_parse_and_reach_the_flow_parser(path):
    from labs.flows import parse_flow

    flows = parse_jsonpb(path.read_text(), source=path.name)
    assert len(flows) == 1
    assert flows[0] == json.loads(path.read_text())
    assert parse_flow(flows[0]) is not None


def test_a_line_that_is_not_json_is_named():
    with pytest.raises(ClusterError) as err:
        parse_jsonpb('{"flow": {}}\n\nlevel=info msg="connected"\n', source="hubble observe in kube-system/cilium-a")
    assert str(err.value) == ("hubble observe in kube-system/cilium-a line 3: not JSON ('level=info "
                              "msg=\"connected\"'); expected the output of `hubble observe -o jsonpb`.")


def test_lines_without_a_flow_are_skipped():
    text = '{"node_status": {"state_change": "NODE_CONNECTED"}}\n{"flow": {"time": "t"}}\n'
    assert parse_jsonpb(text, source="x") == [{"flow": {"time": "t"}}]


def line(time: str, node: str, uuid: str) -> dict:
    return {"flow": {"time": time, "uuid": uuid, "node_name": node}, "node_name": node, "time": time}


def test_merge_orders_by_time_and_drops_duplicates():
    a = [line("2026-11-23T10:00:02Z", "cp", "1"), line("2026-11-23T10:00:04Z", "cp", "2")]
    b = [line("2026-11-23T10:00:03Z", "worker", "3"), line("2026-11-23T10:00:02Z", "cp", "1")]
    assert [f["flow"]["uuid"] for f in merge_flows([a, b], 10)] == ["1", "3", "2"]
    assert [f["flow"]["uuid"] for f in merge_flows([a, b], 2)] == ["3", "2"]


def agents(stub, *states):
    for i, phase in enumerate(states):
        stub.put(f"/api/v1/namespaces/kube-system/pods/cilium-{i}", {
            "kind": "Pod", "metadata": {"labels": {"k8s-app": "cilium"}}, "status": {"phase": phase}})


def test_agents_are_read_concurrently_and_merged(stub, live_api):
    agents(stub, "Running", "Running", "Pending")
    per_pod = {"cilium-0": [line("2026-11-23T10:00:05Z", "cp", "a")],
               "cilium-1": [line("2026-11-23T10:00:01Z", "worker", "b")]}
    execer = ScriptedExec(lambda ns, pod, argv: ExecResult(0, "\n".join(json.dumps(x) for x in per_pod[pod]) + "\n"))
    flows = AgentExecHubble(live_api, execer).observe(since=SINCE, until=UNTIL, limit=500)
    assert [f["flow"]["uuid"] for f in flows] == ["b", "a"]
    assert sorted(c[1] for c in execer.calls) == ["cilium-0", "cilium-1"]
    namespace, _pod, argv, container, _timeout = execer.calls[0]
    assert (namespace, container) == ("kube-system", "cilium-agent")
    assert argv == ["hubble", "observe", "-o", "jsonpb", "--since", "2026-11-23T10:00:00.000000Z", "--last", "500",
                    "--until", "2026-11-23T10:00:09.500000Z"]


def test_one_agent_failing_keeps_the_others(stub, live_api):
    agents(stub, "Running", "Running")

    def answer(ns, pod, argv):
        if pod == "cilium-1":
            return ExecResult(1, "", "failed to connect to 'unix:///var/run/cilium/hubble.sock'")
        return ExecResult(0, json.dumps(line("2026-11-23T10:00:05Z", "cp", "a")))

    reader = AgentExecHubble(live_api, ScriptedExec(answer))
    assert len(reader.observe(since=SINCE)) == 1
    assert reader.errors == ["kube-system/cilium-1: exit 1: failed to connect to "
                             "'unix:///var/run/cilium/hubble.sock'"]


def test_all_agents_failing_is_an_error(stub, live_api):
    agents(stub, "Running")
    reader = AgentExecHubble(live_api, ScriptedExec(lambda *a: ExecResult(None, timed_out=True)))
    with pytest.raises(ClusterError) as err:
        reader.observe(since=SINCE, timeout=3)
    assert str(err.value) == ("Hubble could not be read from any Cilium agent: kube-system/cilium-0: no answer "
                              "within 3 s. Check that Hubble is enabled (`cilium-dbg status` shows Hubble: Ok).")


def test_no_agent_pod(stub, live_api):
    with pytest.raises(ClusterError) as err:
        AgentExecHubble(live_api, ScriptedExec(lambda *a: ExecResult(0))).observe(since=SINCE)
    assert str(err.value) == ("No running Cilium agent pod (k8s-app=cilium) in namespace 'kube-system', so Hubble "
                              "cannot be read. Check `kubectl -n kube-system get pods -l k8s-app=cilium`.")


def fake_hubble(tmp_path, body: str) -> str:
    path = tmp_path / "hubble"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_host_cli_uses_port_forward_and_the_kubeconfig(tmp_path):
    record = tmp_path / "args"
    flow = json.dumps(line("2026-11-23T10:00:05Z", "cp", "a"))
    binary = fake_hubble(tmp_path, f'echo "$@" > {record}\necho \'{flow}\'\n')
    flows = HostHubbleCli("/repo/.kube/config", "ciliumlab", binary).observe(since=SINCE, limit=50)
    assert [f["flow"]["uuid"] for f in flows] == ["a"]
    assert record.read_text().split() == ["observe", "-o", "jsonpb", "--since", "2026-11-23T10:00:00.000000Z",
                                          "--last", "50", "-P", "--kubeconfig", "/repo/.kube/config",
                                          "--kube-context", "ciliumlab"]


def test_host_cli_failure_is_explained(tmp_path):
    binary = fake_hubble(tmp_path, "echo 'failed to connect to relay' >&2\nexit 1\n")
    with pytest.raises(ClusterError) as err:
        HostHubbleCli("/k", "c", binary).observe(since=SINCE)
    assert str(err.value) == (f"`{binary} observe -P` failed with exit 1: failed to connect to relay. Check that "
                              "hubble-relay is running (`python -m labs doctor`).")
