"""Probes wait until the agents realized a policy change: revisions read before, `policy wait` after."""

from __future__ import annotations

import json
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


def rule(namespace: str, name: str, spec: str = "") -> dict:
    """A rule as `cilium-dbg policy get -o json` prints it: the policy's labels name where it comes from."""
    return {"endpointSelector": {"matchLabels": {"any:app": spec}}, "Labels": [
        {"key": "io.cilium.k8s.policy.derived-from", "value": "CiliumNetworkPolicy", "source": "k8s"},
        {"key": "io.cilium.k8s.policy.name", "value": name, "source": "k8s"},
        {"key": "io.cilium.k8s.policy.namespace", "value": namespace, "source": "k8s"},
        {"key": "io.cilium.k8s.policy.uid", "value": "u-" + name, "source": "k8s"}]}


class Agent:
    """A Cilium agent as `cilium-dbg policy get/wait` shows it: `delay` s after the API's policies change it
    imports them (its rules follow, its revision rises) and its endpoints realize that revision at once.
    `noise()` bumps the revision without any rule change, as the agent does for named ports."""

    def __init__(self, stub, delay: float = 0.3):
        self.stub = stub
        self.revision = 5
        self.delay = delay
        self.seen: list[str] = []
        self.rules: list[dict] = []

    def __call__(self, namespace, pod, container, argv):
        policies = [f"{p} {self._spec(p)}" for p in self.stub.paths("ciliumnetworkpolicies")]
        if policies != self.seen:
            self.seen = policies
            timer = threading.Timer(self.delay, self._import, args=(policies,))
            timer.daemon = True
            timer.start()
        if argv[:3] == ["cilium-dbg", "policy", "get"]:
            return json.dumps({"policy": json.dumps(self.rules), "revision": self.revision}), "", 0
        if argv[:3] == ["cilium-dbg", "policy", "wait"]:
            deadline = time.monotonic() + float(argv[5])
            while self.revision < int(argv[3]) and time.monotonic() < deadline:
                time.sleep(0.02)
            return ("", "", 0) if self.revision >= int(argv[3]) else ("", "timeout", 1)
        return "", "", 0

    def _import(self, policies):
        self.rules = [rule(*p.split(" ", 1)[0].split("/"), spec=p.split(" ", 1)[1]) for p in policies]
        self.revision += 1

    def _spec(self, key: str) -> str:
        namespace, name = key.split("/")
        found = self.stub.get(f"/apis/cilium.io/v2/namespaces/{namespace}/ciliumnetworkpolicies/{name}")
        return json.dumps((found or {}).get("spec"), sort_keys=True)

    def noise(self):
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
    assert [e[3] for e in stub.execs][0] == ["cilium-dbg", "policy", "get", "-o", "json"]
    assert [e[3][:4] for e in stub.execs][-1] == ["cilium-dbg", "policy", "wait", "6"]
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
    assert cluster.policy_sync.last == "not confirmed by cilium-a (the change was not imported) within 1 s"


def test_a_revision_bumped_by_something_else_does_not_end_the_wait(stub, cluster):
    """The agent bumps its revision for named ports too: `policy wait <before+1>` alone would return before the
    policy is imported. The wait holds until the agent's rules show the policy."""
    agent = Agent(stub, delay=1.0)
    stub.exec_answer = agent
    threading.Timer(0.2, agent.noise).start()
    started = time.monotonic()
    cluster.apply(POLICY)
    assert time.monotonic() - started >= 1.0
    assert agent.rules and cluster.policy_sync.last == "realized by 1 agent(s)"
    assert [e[3][:4] for e in stub.execs][-1] == ["cilium-dbg", "policy", "wait", "7"]


def test_a_deletion_waits_until_the_rules_are_gone(stub, cluster):
    agent = Agent(stub, delay=0.1)
    stub.exec_answer = agent
    cluster.apply(POLICY)
    agent.delay = 0.8
    started = time.monotonic()
    cluster.delete_policies(namespaces=["app"])
    assert time.monotonic() - started >= 0.8 and agent.rules == []
    assert cluster.policy_sync.last == "realized by 1 agent(s)"


def test_policy_changes_from_apply_labels():
    from labs.cluster.live.policysync import PolicyChange, policy_changes

    assert policy_changes(applied=["CiliumNetworkPolicy app/a", "Pod app/web", "NetworkPolicy b/c"],
                          deleted=["CiliumClusterwideNetworkPolicy wide"]) == [
        PolicyChange(("CiliumNetworkPolicy", "app", "a"), True), PolicyChange(("NetworkPolicy", "b", "c"), True),
        PolicyChange(("CiliumClusterwideNetworkPolicy", "", "wide"), False)]


def test_a_change_of_labels_only_has_nothing_to_wait_for(stub, cluster):
    """`configured` by a label (the spec, hence the agent's rules, as they were): no wait, no settle time."""
    agent = Agent(stub, delay=0.1)
    stub.exec_answer = agent
    cluster.apply(POLICY)
    relabelled = POLICY.replace("namespace: app}", "namespace: app, labels: {team: web}}")
    result = cluster.apply(relabelled)
    assert result.configured == ("CiliumNetworkPolicy app/deny-all",) and result.spec_changed == ()
    assert cluster.policy_sync.last == "no policy changed"
    changed = cluster.apply(relabelled.replace("ingress: [{}]", "ingress: [{fromEntities: [host]}]"))
    assert changed.spec_changed == ("CiliumNetworkPolicy app/deny-all",)
    assert cluster.policy_sync.last == "realized by 1 agent(s)"


def test_rules_are_grouped_by_policy_as_cilium_1_19_prints_them():
    """`cilium-dbg policy get -o json` of the 1.19.5 agent built here prints the repository's own rule type
    (`Labels`, `Subject`, `L3`, `L4`), not api.Rule; a rule is told apart by the labels it was derived from."""
    from labs.cluster.live.policysync import AgentPolicy

    labels = [{"key": "io.cilium.k8s.policy.derived-from", "value": "CiliumNetworkPolicy", "source": "k8s"},
              {"key": "io.cilium.k8s.policy.name", "value": "k8s-svc-account", "source": "k8s"},
              {"key": "io.cilium.k8s.policy.namespace", "value": "default-bd7d5", "source": "k8s"},
              {"key": "io.cilium.k8s.policy.uid", "value": "dc323fbf-e090-44d7-96e6-21f2312ab4eb", "source": "k8s"}]
    rule = {"Tier": 0, "Priority": 0, "Authentication": None, "Log": {}, "Subject": {"matchLabels": {
        "any.io.cilium.k8s.policy.serviceaccount": "leia", "k8s.io.kubernetes.pod.namespace": "default-bd7d5"}},
        "L4": [{"ports": [{"port": "80", "protocol": "TCP"}]}], "Labels": labels, "DefaultDeny": True,
        "Verdict": 0, "Ingress": True, "Node": False}
    parsed = AgentPolicy.parse(json.dumps({"policy": json.dumps([rule]), "revision": 59}))
    assert parsed.revision == 59
    assert list(parsed.rules) == [("CiliumNetworkPolicy", "default-bd7d5", "k8s-svc-account")]
