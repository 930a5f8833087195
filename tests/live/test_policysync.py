"""Probes wait until the agents realized a policy change: revisions read before, `policy wait` after."""

from __future__ import annotations

import threading
import time

import pytest
from test_exec import running_pod

POLICY = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-all, namespace: app}
spec:
  endpointSelector: {}
  ingress: [{}]
"""


class Agent:
    """A Cilium agent as `cilium-dbg policy get/wait` shows it: the revision rises `delay` s after a change."""

    def __init__(self, stub, delay: float = 0.3):
        self.stub = stub
        self.revision = 5
        self.delay = delay
        self.seen = 0

    def __call__(self, namespace, pod, container, argv):
        policies = len(self.stub.paths("ciliumnetworkpolicies"))
        if policies != self.seen:
            self.seen = policies
            timer = threading.Timer(self.delay, self._bump)
            timer.daemon = True
            timer.start()
        if argv[:3] == ["cilium-dbg", "policy", "get"]:
            return f"{self.revision}\n", "", 0
        if argv[:3] == ["cilium-dbg", "policy", "wait"]:
            deadline = time.monotonic() + float(argv[5])
            while self.revision < int(argv[3]) and time.monotonic() < deadline:
                time.sleep(0.02)
            return ("", "", 0) if self.revision >= int(argv[3]) else ("", "timeout", 1)
        return "", "", 0

    def _bump(self):
        self.revision += 1


@pytest.fixture
def cluster(stub, isolated):
    from labs.cluster.live import LiveCluster
    from labs.cluster.live.connect import connect

    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    running_pod(stub, "kube-system", "cilium-a", labels={"k8s-app": "cilium"}, container="cilium-agent")
    running_pod(stub, "app", "web")
    return LiveCluster(connect(timeout=5.0), progress=False, policy_wait=5, policy_settle=0.4)


def test_apply_returns_once_every_agent_realized_the_policy(stub, cluster):
    agent = Agent(stub, delay=0.5)
    stub.exec_answer = agent
    started = time.monotonic()
    result = cluster.apply(POLICY)
    assert result.created == ("CiliumNetworkPolicy app/deny-all",)
    assert agent.revision == 6 and time.monotonic() - started >= 0.5
    assert [e[3][:4] for e in stub.execs] == [["cilium-dbg", "policy", "get", "-o"],
                                              ["cilium-dbg", "policy", "wait", "6"]]
    assert cluster.policy_sync.last == "realized by 1 agent(s)"
    stub.execs.clear()
    cluster.apply(POLICY)  # unchanged: nothing to wait for
    assert [e[3][2] for e in stub.execs] == ["get"]
    cluster.delete_policies(namespaces=["app"])
    assert cluster.policy_sync.last == "realized by 1 agent(s)" and agent.revision == 7


def test_agents_that_cannot_be_read_give_a_bounded_settle_instead(stub, cluster):
    stub.exec_answer = lambda *a: ("", "permission denied", 1)
    started = time.monotonic()
    cluster.apply(POLICY)
    assert 0.4 <= time.monotonic() - started < 3
    assert cluster.policy_sync.last == "agents not readable; waited 0.4 s"


def test_an_agent_that_never_catches_up_is_named_and_the_wait_ends(stub, cluster):
    agent = Agent(stub, delay=60)
    stub.exec_answer = agent
    cluster.policy_sync.wait_timeout = 1
    started = time.monotonic()
    cluster.apply(POLICY)
    assert time.monotonic() - started < 8
    assert cluster.policy_sync.last == "not confirmed by cilium-a within 1 s"
