"""The live backend reaches a host Cilium agent through CILIUM_SOCK and HUBBLE_SERVER, with the CLIs on PATH.

Stand-in `cilium-dbg` and `hubble` scripts record their arguments and the variables they were given, so the
argument lists, exit handling and timeouts of the policy wait, Hubble reads, `cilium-dbg status` and
`endpoint_ref` are checked without an agent (tests/realcluster/test_cilium_node.py runs them on a real one).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from live_fakes import ScriptedExec
from test_exec import running_pod

from labs.cluster.base import ClusterError
from labs.cluster.live.agents import HostAgent, PodAgents, find_agents
from labs.cluster.live.execpod import ExecResult
from labs.cluster.live.facts import agent_status
from labs.cluster.live.hubble import AgentExecHubble
from labs.cluster.live.policysync import AgentPolicy, PolicyChange, PolicySync

FAKE_DBG = r"""#!/usr/bin/env python3
# A stand-in cilium-dbg: revision and rules in $FAKE_DIR; each call is logged with CILIUM_SOCK.
import json, os, sys, time
d, args = os.environ["FAKE_DIR"], sys.argv[1:]
with open(os.path.join(d, "calls"), "a") as log:
    log.write(os.environ.get("CILIUM_SOCK", "") + "|" + " ".join(args) + "\n")
def revision():
    return int(open(os.path.join(d, "revision")).read())
if args[:2] == ["policy", "get"]:
    print(json.dumps({"policy": open(os.path.join(d, "rules")).read(), "revision": revision()}))
elif args[:2] == ["policy", "wait"]:
    end = time.monotonic() + int(args[4])
    while revision() < int(args[2]):
        if time.monotonic() > end:
            sys.exit("1 endpoints still not ready")
        time.sleep(0.05)
elif args == ["status"]:
    print("KubeProxyReplacement:    True   [ciliumlab0]\nCilium:                  Ok   1.19.5")
elif args == ["sleep"]:
    time.sleep(30)
else:
    sys.exit("unknown command " + " ".join(args))
"""
RULE = [{"endpointSelector": {}, "Labels": [
    {"key": "io.cilium.k8s.policy.derived-from", "value": "CiliumNetworkPolicy", "source": "k8s"},
    {"key": "io.cilium.k8s.policy.name", "value": "allow", "source": "k8s"},
    {"key": "io.cilium.k8s.policy.namespace", "value": "app", "source": "k8s"}]}]
FAKE_HUBBLE = r"""#!/bin/sh
printf '%s|%s\n' "$HUBBLE_SERVER" "$*" >> "$FAKE_DIR/hubble-calls"
cat "$FAKE_DIR/flows"
"""


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A bound unix socket standing for the agent's, and the stand-in CLIs first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("cilium-dbg", FAKE_DBG), ("hubble", FAKE_HUBBLE)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "revision").write_text("5")
    (tmp_path / "rules").write_text("[]")
    (tmp_path / "flows").write_text("")
    path = tmp_path / "cilium.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    monkeypatch.setenv("FAKE_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin:/usr/local/bin")
    yield HostAgent(str(path), f"unix://{tmp_path / 'hubble.sock'}")
    server.close()


def calls(tmp_path: Path, name: str = "calls") -> list[list[str]]:
    return [line.split("|", 1) for line in (tmp_path / name).read_text().splitlines()]


def test_cilium_sock_selects_the_host_agent_else_the_agent_pods():
    found = find_agents(None, None, environ={"CILIUM_SOCK": "/run/a.sock", "HUBBLE_SERVER": "unix:///run/h.sock",
                                             "PATH": "/opt/cilium"})
    assert found == HostAgent("/run/a.sock", "unix:///run/h.sock", "/opt/cilium")
    assert found.where == "the host agent of CILIUM_SOCK=/run/a.sock"
    assert isinstance(find_agents(None, None, environ={"CILIUM_SOCK": " "}), PodAgents)
    assert isinstance(find_agents(None, None, environ={}), PodAgents)


def imported(tmp_path: Path, revision: int) -> None:
    """What the agent does when it imports the policy: its rules show it, its revision rises."""
    (tmp_path / "rules").write_text(json.dumps(RULE))
    (tmp_path / "revision").write_text(str(revision))


def test_policy_wait_on_the_host_agent_waits_for_the_import_then_the_revision(host, tmp_path):
    sync = PolicySync(host, wait_timeout=5, settle=0.1)
    before = sync.revisions()
    assert before == {host.name: AgentPolicy(5, {})}
    (tmp_path / "revision").write_text("6")  # a bump that changes no rule (named ports): not the policy
    threading.Timer(0.6, imported, args=(tmp_path, 7)).start()
    started = time.monotonic()
    assert sync.wait(before, [PolicyChange(("CiliumNetworkPolicy", "app", "allow"), True)]) == "realized by 1 agent(s)"
    assert time.monotonic() - started >= 0.6
    seen = calls(tmp_path)
    assert {sock for sock, _ in seen} == {host.socket}
    assert seen[0][1] == "policy get -o json" and seen[-1][1] == "policy wait 7 --max-wait-time 5"
    assert all(args == "policy get -o json" for _, args in seen[:-1])


def test_a_host_agent_that_never_imports_is_named_and_the_wait_ends(host, tmp_path):
    sync = PolicySync(host, wait_timeout=1, settle=0.1)
    started = time.monotonic()
    last = sync.wait(sync.revisions(), [PolicyChange(("CiliumNetworkPolicy", "app", "allow"), True)])
    assert last == f"not confirmed by host agent unix://{host.socket} (the change was not imported) within 1 s"
    assert time.monotonic() - started < 5


def test_no_socket_means_the_settle_time_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    sync = PolicySync(HostAgent(str(tmp_path / "gone.sock")), settle=0.2)
    assert sync.revisions() is None
    assert sync.unreadable == (f"CILIUM_SOCK={tmp_path / 'gone.sock'} names no socket: is the Cilium agent running? "
                               "Unset CILIUM_SOCK to use the agent pods instead.")
    started = time.monotonic()
    assert sync.wait(None) == "agents not readable; waited 0.2 s"
    assert time.monotonic() - started >= 0.2


def test_missing_cli_and_timeout_are_results_not_exceptions(host, tmp_path, monkeypatch):
    slow = host.run(host.name, ["cilium-dbg", "sleep"], timeout=0.5)
    assert slow.timed_out and slow.exit_code is None
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    missing = host.run(host.name, ["cilium-dbg", "status"], timeout=5)
    assert missing.exit_code is None and missing.error.startswith("`cilium-dbg` is not on PATH")
    sync = PolicySync(host, settle=0.1)
    assert sync.revisions() is None and "not on PATH" in sync.unreadable


def test_hubble_is_read_from_the_host_agent_through_hubble_server(host, tmp_path):
    line = {"flow": {"time": "2026-12-03T10:00:01Z", "uuid": "u1", "verdict": "DROPPED"}, "node_name": "n"}
    (tmp_path / "flows").write_text(json.dumps(line) + "\n")
    reader = AgentExecHubble(None, None, agents=host)
    since = datetime(2026, 12, 3, 10, 0, 0, tzinfo=timezone.utc)
    assert reader.observe(since=since, limit=50) == [line]
    (server, args), = calls(tmp_path, "hubble-calls")
    assert server == host.hubble_server
    assert args == "observe -o jsonpb --since 2026-12-03T10:00:00.000000Z --last 50"
    (tmp_path / "flows").write_text("not json\n")
    with pytest.raises(ClusterError, match=f"hubble observe in host agent unix://{host.socket} line 1: not JSON"):
        reader.observe(since=since)


def test_agent_status_runs_cilium_dbg_status_on_the_host_agent(host):
    status = agent_status(host, timeout=5)
    assert status["KubeProxyReplacement"].startswith("True") and status["Cilium"].startswith("Ok")


def test_pod_agents_exec_into_the_running_agent_pods(stub, live_api):
    running_pod(stub, "kube-system", "cilium-a", labels={"k8s-app": "cilium"}, container="cilium-agent")
    stub.put("/api/v1/namespaces/kube-system/pods/cilium-b", {
        "kind": "Pod", "metadata": {"name": "cilium-b", "labels": {"k8s-app": "cilium"}},
        "status": {"phase": "Pending"}})
    execer = ScriptedExec(lambda ns, pod, argv: ExecResult(0, '{"policy": "[]", "revision": 7}'))
    agents = PodAgents(live_api, execer)
    assert agents.names() == ["cilium-a"]
    assert agents.on_node("ciliumlab-cp") == "cilium-a" and agents.on_node("elsewhere") is None
    assert PolicySync(agents).revisions() == {"cilium-a": AgentPolicy(7, {})}
    assert execer.calls[0][:2] == ("kube-system", "cilium-a")


def test_live_cluster_apply_waits_on_the_host_agent(stub, isolated, host, tmp_path, monkeypatch):
    """CILIUM_SOCK in the environment: LiveCluster's policy wait, facts and Hubble go to the host agent."""
    from labs.cluster.live import LiveCluster
    from labs.cluster.live.connect import connect

    monkeypatch.setenv("CILIUM_SOCK", host.socket)
    monkeypatch.setenv("HUBBLE_SERVER", host.hubble_server)
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    running_pod(stub, "app", "web")
    live = LiveCluster(connect(timeout=5.0), progress=False, policy_wait=5, policy_settle=0.1)
    assert live.agents == HostAgent(host.socket, host.hubble_server)
    threading.Timer(0.5, imported, args=(tmp_path, 6)).start()
    live.apply("""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow, namespace: app}
spec:
  endpointSelector: {}
  ingress: [{}]
""")
    assert live.policy_sync.last == "realized by 1 agent(s)"
    assert calls(tmp_path)[-1][1] == "policy wait 6 --max-wait-time 5"
    assert live.info().extra["agent_status"]["Cilium"].startswith("Ok")
    assert stub.execs == []  # nothing was exec'd into a pod


def test_endpoint_ref_names_the_host_agent_and_how_to_reach_it(stub, isolated, host, monkeypatch):
    from labs.cluster.live import LiveCluster
    from labs.cluster.live.connect import connect
    from labs.commands.endpoint_ref import endpoint_ref

    monkeypatch.setenv("CILIUM_SOCK", host.socket)
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    running_pod(stub, "app", "web")
    stub.put("/apis/cilium.io/v2/namespaces/app/ciliumendpoints/web", {"kind": "CiliumEndpoint",
                                                                        "status": {"id": 1234}})
    ref = endpoint_ref(LiveCluster(connect(timeout=5.0), progress=False, hubble=False), "app/web")
    assert (ref.id, ref.agent, ref.host, ref.dbg) == (1234, f"host agent unix://{host.socket}", True, "cilium-dbg")
    monkeypatch.delenv("CILIUM_SOCK")
    with pytest.raises(ClusterError, match=r"no Cilium agent runs on node 'ciliumlab-cp', where app/web is \(looked "
                                           r"for agent pods \(k8s-app=cilium\) in namespace 'kube-system'\)"):
        endpoint_ref(LiveCluster(connect(timeout=5.0), progress=False, hubble=False), "app/web")
    running_pod(stub, "kube-system", "cilium-a", labels={"k8s-app": "cilium"}, container="cilium-agent")
    ref = endpoint_ref(LiveCluster(connect(timeout=5.0), progress=False, hubble=False), "app/web")
    assert (ref.agent, ref.dbg) == ("cilium-a", "kubectl exec -n kube-system cilium-a -- cilium-dbg")
