"""Real Cilium on the local node (`scripts/local-cluster up --node --cilium`): addresses, enforcement, Hubble.

The agent built from the Cilium module runs on the host as the node's CNI. Pods get their addresses
from it, a CiliumNetworkPolicy is enforced by its BPF datapath (a real curl in a pod, through a real
`kubectl exec`, connects before and times out after), and its Hubble flows go through the course's flow
parser and the live backend's probe correlation. These tests run only when the Cilium stage is built
(`scripts/local-cluster build --node --cilium`); under LABS_REQUIRE_TOOLS=1 they fail instead of skipping.
No L7 (HTTP) rule is exercised: Envoy is not built here, so L7 verdicts cannot be observed on this node.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from labs.cluster.live.agents import HostAgent
from labs.cluster.live.policysync import PolicyChange, PolicySync
from labs.env.local.ciliumagent import CiliumPaths, dbg
from labs.env.local.ciliumbuild import CiliumBinaries
from labs.env.local.components import Paths
from labs.flows import FlowOutcome, classify, parse_flow, parse_lines

pytestmark = pytest.mark.xdist_group("node-cluster")

NAMESPACE = "rt-cilium"
WORKLOADS = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: server, namespace: {NAMESPACE}, labels: {{app: server}}}}
spec:
  containers:
  - name: echo
    image: docker.io/hashicorp/http-echo:1.0.0
    args: ["-listen=:8080", "-text=hello from server"]
---
apiVersion: v1
kind: Pod
metadata: {{name: client, namespace: {NAMESPACE}, labels: {{app: client}}}}
spec:
  containers:
  - {{name: curl, image: "docker.io/curlimages/curl:8.11.1", command: ["sleep", "3600"]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: intruder, namespace: {NAMESPACE}, labels: {{app: intruder}}}}
spec:
  containers:
  - {{name: curl, image: "docker.io/curlimages/curl:8.11.1", command: ["sleep", "3600"]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: resolver, namespace: {NAMESPACE}, labels: {{app: resolver}}}}
spec:
  containers:
  - {{name: curl, image: "docker.io/curlimages/curl:8.11.1", command: ["sleep", "3600"]}}
"""
DNS_CLUSTER_ONLY = f"""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: resolver-dns-cluster-only, namespace: {NAMESPACE}}}
spec:
  endpointSelector: {{matchLabels: {{app: resolver}}}}
  egress:
  - toEntities: [host]  # this node's CoreDNS runs on the host network (labs/env/local/dns.py)
    toPorts:
    - ports: [{{port: "53", protocol: ANY}}]
      rules:
        dns: [{{matchName: "kubernetes.default.svc.cluster.local"}}]
"""
ALLOW_CLIENT = f"""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: server-allow-client, namespace: {NAMESPACE}}}
spec:
  endpointSelector: {{matchLabels: {{app: server}}}}
  ingress:
  - fromEndpoints: [{{matchLabels: {{app: client}}}}]
    toPorts: [{{ports: [{{port: "8080", protocol: TCP}}]}}]
"""
DENY_INTRUDER = f"""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: server-deny-intruder, namespace: {NAMESPACE}}}
spec:
  endpointSelector: {{matchLabels: {{app: server}}}}
  ingressDeny:
  - fromEndpoints: [{{matchLabels: {{app: intruder}}}}]
"""
DEPLOY_TIMEOUT = float(os.environ.get("LABS_LOCAL_CLUSTER_DEPLOY_TIMEOUT", "600"))
CURL_TIMEOUT = 28
"""curl's exit status when the connection does not complete in time: what a dropped SYN gives."""


class Agent:
    """The running agent of the node cluster: its binaries and sockets, and kubectl on the cluster."""

    def __init__(self, cluster, binaries: CiliumBinaries):
        self.cluster = cluster
        self.binaries = binaries
        self.paths = CiliumPaths(Paths(cluster.state_dir))

    def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 90) -> subprocess.CompletedProcess:
        kubectl = shutil.which("kubectl")
        assert kubectl, "kubectl is needed"
        return subprocess.run([kubectl, "--kubeconfig", str(self.cluster.kubeconfig), *args], input=stdin,
                              capture_output=True, text=True, timeout=timeout)

    def curl(self, pod: str, url: str) -> subprocess.CompletedProcess:
        return self.kubectl("-n", NAMESPACE, "exec", pod, "--", "curl", "-sS", "--connect-timeout", "3", "-m", "5",
                            url, timeout=60)

    def dbg(self, *args: str) -> subprocess.CompletedProcess:
        return dbg(self.binaries, self.paths, *args, timeout=30)

    def hubble(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.binaries.path("hubble")), "observe", "--server",
                               f"unix://{self.paths.hubble_socket}", "-o", "jsonpb", *args],
                              capture_output=True, text=True, timeout=60)

    def policy_revision(self) -> int:
        done = self.dbg("policy", "get", "-o", "jsonpath={.revision}")
        assert done.returncode == 0, done.stderr
        return int(done.stdout.strip())

    def policy_sync(self) -> PolicySync:
        """The live backend's wait, on this agent: imported (its rules show the change), then realized."""
        path = f"{self.binaries.directory}{os.pathsep}{os.environ.get('PATH', '')}"
        return PolicySync(HostAgent(str(self.paths.socket), path=path), wait_timeout=60)

    def generation(self, name: str) -> str:
        return self.kubectl("-n", NAMESPACE, "get", "cnp", name, "-o", "jsonpath={.metadata.generation}",
                            "--ignore-not-found").stdout.strip()

    def apply_policy(self, text: str) -> None:
        """Apply, then wait until the agent imported and realized it (as the live backend does). An apply that
        leaves the spec as it was (`unchanged`, or only kubectl's annotation added) has nothing to wait for."""
        name = yaml.safe_load(text)["metadata"]["name"]
        sync = self.policy_sync()
        before, generation = sync.revisions(), self.generation(name)
        assert before, sync.unreadable
        done = self.kubectl("apply", "-f", "-", stdin=text)
        assert done.returncode == 0, done.stderr
        if self.generation(name) == generation:
            return
        last = sync.wait(before, [PolicyChange(("CiliumNetworkPolicy", NAMESPACE, name), True)])
        assert last == "realized by 1 agent(s)", last


@pytest.fixture(scope="module")
def agent(cilium_cluster) -> Agent:
    cluster, binaries = cilium_cluster
    found = Agent(cluster, binaries)
    done = found.kubectl("apply", "-f", "-", stdin=WORKLOADS)
    assert done.returncode == 0, done.stderr
    # The agent compiles each new endpoint's BPF program with clang: minutes on a loaded two-core machine.
    ready = found.kubectl("-n", NAMESPACE, "wait", "--for=condition=Ready", "pod", "--all",
                          f"--timeout={DEPLOY_TIMEOUT:g}s", timeout=DEPLOY_TIMEOUT + 30)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    yield found
    found.kubectl("delete", "namespace", NAMESPACE, "--wait=false")


def _pods(agent: Agent) -> dict[str, dict]:
    done = agent.kubectl("-n", NAMESPACE, "get", "pods", "-o", "json")
    assert done.returncode == 0, done.stderr
    return {pod["metadata"]["name"]: pod for pod in json.loads(done.stdout)["items"]}


def _ip(agent: Agent, name: str) -> str:
    return _pods(agent)[name]["status"]["podIP"]


def _flows(agent: Agent, since: datetime, *args: str):
    done = agent.hubble("--since", since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), *args)
    assert done.returncode == 0, done.stderr
    result = parse_lines(done.stdout.splitlines(), source="hubble observe")
    assert not result.errors, result.errors[:3]
    return result.flows


def _wait_flows(agent: Agent, since: datetime, *args: str, deadline: float = 15.0):
    """Hubble's ring buffer is read as events arrive: a flow can follow the curl's exit by a moment."""
    end = time.monotonic() + deadline
    while True:
        flows = _flows(agent, since, *args)
        if flows or time.monotonic() > end:
            return flows
        time.sleep(0.5)


def test_pods_get_their_addresses_from_cilium(agent):
    node = json.loads(agent.kubectl("get", "node", "-o", "json").stdout)["items"][0]
    pod_cidr = ipaddress.ip_network(node["spec"]["podCIDR"])
    done = agent.kubectl("-n", NAMESPACE, "get", "ciliumendpoints", "-o", "json")
    assert done.returncode == 0, done.stderr
    endpoints = {cep["metadata"]["name"]: cep["status"] for cep in json.loads(done.stdout)["items"]}
    for name, pod in _pods(agent).items():
        address = pod["status"]["podIP"]
        assert ipaddress.ip_address(address) in pod_cidr, (name, address, pod_cidr)
        assert name in endpoints, f"no CiliumEndpoint for pod {name}: {sorted(endpoints)}"
        status = endpoints[name]
        assert status["networking"]["addressing"][0]["ipv4"] == address
        assert status["identity"]["id"] >= 256, status["identity"]  # a cluster-local identity from labels
        assert f"k8s:app={name}" in status["identity"]["labels"]
    listed = agent.dbg("endpoint", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    agent_ips = {a["ipv4"] for ep in json.loads(listed.stdout)
                 for a in ((ep.get("status") or {}).get("networking") or {}).get("addressing") or [] if a.get("ipv4")}
    assert {pod["status"]["podIP"] for pod in _pods(agent).values()} <= agent_ips


def test_l3_l4_policy_is_enforced_by_the_datapath(agent):
    server = _ip(agent, "server")
    url = f"http://{server}:8080/"
    for pod in ("client", "intruder"):  # no policy selects the server yet: both connect
        done = agent.curl(pod, url)
        assert done.returncode == 0 and "hello from server" in done.stdout, (pod, done.returncode, done.stderr)
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    agent.apply_policy(ALLOW_CLIENT)
    allowed = agent.curl("client", url)
    assert allowed.returncode == 0 and "hello from server" in allowed.stdout, allowed.stderr
    dropped = agent.curl("intruder", url)
    assert dropped.returncode == CURL_TIMEOUT, (dropped.returncode, dropped.stdout, dropped.stderr)
    flows = _wait_flows(agent, since, "--verdict", "DROPPED", "--from-pod", f"{NAMESPACE}/intruder")
    drops = [f for f in flows if f.destination.pod_name == "server" and f.l4 and f.l4.destination_port == 8080]
    assert drops, [str(f) for f in flows]
    assert {classify(f) for f in drops} == {FlowOutcome.DEFAULT_DENY}
    assert all(f.drop_reason == "POLICY_DENIED" and f.direction == "INGRESS" for f in drops), drops[0]


def test_deny_rule_names_its_policy_in_the_flow(agent):
    """A deny rule's drop carries the policy's name (ingress_denied_by); the parser keeps it."""
    agent.apply_policy(ALLOW_CLIENT)
    agent.apply_policy(DENY_INTRUDER)
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    server = _ip(agent, "server")
    dropped = agent.curl("intruder", f"http://{server}:8080/")
    assert dropped.returncode == CURL_TIMEOUT, (dropped.returncode, dropped.stderr)
    assert agent.curl("client", f"http://{server}:8080/").returncode == 0
    flows = _wait_flows(agent, since, "--verdict", "DROPPED", "--from-pod", f"{NAMESPACE}/intruder")
    denied = [f for f in flows if f.destination.pod_name == "server"]
    assert denied, flows
    assert {classify(f) for f in denied} == {FlowOutcome.EXPLICIT_DENY}
    assert {f.drop_reason for f in denied} == {"POLICY_DENY"}
    named = [f for f in denied if f.ingress_denied_by]  # the policy-verdict event names the rule's policy
    assert named, [f.event_type for f in denied]
    flow = named[-1]
    assert [(p.name, p.namespace, p.kind) for p in flow.ingress_denied_by] == [
        ("server-deny-intruder", NAMESPACE, "CiliumNetworkPolicy")]
    assert flow.source.namespace == NAMESPACE and flow.source.pod_name == "intruder"
    assert "k8s:app=intruder" in flow.source.labels


def test_cilium_dbg_reads_the_running_agent(agent):
    agent.apply_policy(ALLOW_CLIENT)
    status = agent.dbg("status")
    assert status.returncode == 0, status.stderr
    assert "KubeProxyReplacement:    True" in status.stdout
    listed = agent.dbg("endpoint", "list", "-o", "json")
    endpoints = json.loads(listed.stdout)
    server = [ep for ep in endpoints if "k8s:app=server" in ((ep.get("status") or {}).get("identity") or {})
              .get("labels", [])]
    assert len(server) == 1, [ep.get("id") for ep in endpoints]
    realized = server[0]["status"]["policy"]["realized"]
    assert realized["policy-enabled"] in ("ingress", "both"), realized["policy-enabled"]
    policy = agent.dbg("policy", "get", "-o", "json")
    assert policy.returncode == 0, policy.stderr
    assert "server-allow-client" in json.loads(policy.stdout)["policy"]  # the rule's derived-from labels


def _host_agent_env(agent: Agent, monkeypatch) -> None:
    """The environment `. <state>/cilium.env` gives a shell: the live backend finds the host agent through it."""
    from labs.env.local.agentenv import agent_vars, applied, env_file

    cluster_paths = Paths(agent.cluster.state_dir)
    assert env_file(cluster_paths).exists(), "the Cilium node wrote no cilium.env"
    values = applied(agent_vars(cluster_paths, agent.binaries.directory), {"PATH": os.environ.get("PATH", "")})
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("LABS_KUBE_CONTEXT", "LABS_BACKEND", "LABS_TRAINEE", "LABS_REPO"):
        monkeypatch.delenv(name, raising=False)


def test_live_backend_reaches_the_host_agent_for_policy_wait_facts_and_endpoints(agent, monkeypatch):
    """With cilium.env applied, LiveCluster waits on the host agent's `cilium-dbg policy wait` (not the settle
    time), reads its `cilium-dbg status`, and endpoint_ref names it."""
    from labs.cluster.live.agents import HostAgent
    from labs.cluster.live.cluster import LiveCluster
    from labs.commands.endpoint_ref import endpoint_ref

    _host_agent_env(agent, monkeypatch)
    live = LiveCluster(progress=False, timeout=10.0)
    assert live.agents == HostAgent(str(agent.paths.socket), f"unix://{agent.paths.hubble_socket}")
    live.delete_policies(namespaces=[NAMESPACE])
    before = agent.policy_revision()
    live.apply(ALLOW_CLIENT)
    assert live.policy_sync.last == "realized by 1 agent(s)", live.policy_sync.last
    assert agent.policy_revision() > before
    dropped = agent.curl("intruder", f"http://{_ip(agent, 'server')}:8080/")
    assert dropped.returncode == CURL_TIMEOUT, (dropped.returncode, dropped.stdout, dropped.stderr)
    status = live.info().extra.get("agent_status", {})
    assert status.get("KubeProxyReplacement", "").startswith("True"), status
    ref = endpoint_ref(live, f"{NAMESPACE}/server")
    assert ref.host and ref.dbg == "cilium-dbg"
    got = subprocess.run(["cilium-dbg", "endpoint", "get", str(ref.id), "-o", "json"], capture_output=True,
                         text=True, timeout=30)  # the CLI on PATH, on CILIUM_SOCK: what `ref.dbg` says to type
    assert got.returncode == 0, got.stderr
    (endpoint,) = json.loads(got.stdout)  # `endpoint get` prints a list
    assert "k8s:app=server" in endpoint["status"]["identity"]["labels"], endpoint["status"]["identity"]


def test_live_backend_probe_correlates_real_flows(agent, monkeypatch):
    """The live backend's probe and correlation with the host agent's Hubble (found through HUBBLE_SERVER)."""
    from labs.cluster.live.cluster import LiveCluster
    from labs.outcomes import Outcome
    from labs.probes import Probe, parse_target

    agent.apply_policy(ALLOW_CLIENT)
    _host_agent_env(agent, monkeypatch)
    live = LiveCluster(progress=False, timeout=10.0)
    server = parse_target(f"{NAMESPACE}/server")
    results = live.probe_many([Probe(f"{NAMESPACE}/client", server, 8080),
                               Probe(f"{NAMESPACE}/intruder", server, 8080)])
    by_source = {r.probe.source: r for r in results}
    allowed, denied = by_source[f"{NAMESPACE}/client"], by_source[f"{NAMESPACE}/intruder"]
    assert allowed.outcome == Outcome.ALLOWED, (allowed.reason, allowed.detail)
    assert denied.outcome == Outcome.DROPPED, (denied.reason, denied.detail)
    assert "hubble_error" not in denied.detail, denied.detail
    assert denied.flows, f"the dropped probe carries no flow from the agent: {denied.reason}"
    outcomes = {classify(parse_flow(f)) for f in denied.flows}
    # Default deny, or the deny rule of the test before when it is still in force: a policy drop either way.
    assert outcomes & {FlowOutcome.DEFAULT_DENY, FlowOutcome.EXPLICIT_DENY}, (outcomes, denied.reason)


def test_dns_proxy_answers_allowed_names_and_refuses_others(agent):
    """A DNS rule sends the pod's lookups through the agent's DNS proxy: a name the rule matches is
    answered, another is refused (REFUSED), and Hubble's DNS flows classify the same way."""
    agent.apply_policy(DNS_CLUSTER_ONLY)
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    allowed = agent.kubectl("-n", NAMESPACE, "exec", "resolver", "--", "nslookup",
                            "kubernetes.default.svc.cluster.local.", timeout=60)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    refused = agent.kubectl("-n", NAMESPACE, "exec", "resolver", "--", "nslookup", "example.org.", timeout=60)
    assert refused.returncode != 0 and "REFUSED" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    flows = _wait_flows(agent, since, "--from-pod", f"{NAMESPACE}/resolver", "--protocol", "dns")
    dns = [f for f in flows if f.l7 is not None and f.l7.dns is not None and f.l7.dns.query]
    by_query = {f.l7.dns.query.rstrip("."): classify(f) for f in dns}
    assert by_query.get("example.org") == FlowOutcome.REFUSED, by_query
    assert by_query.get("kubernetes.default.svc.cluster.local") == FlowOutcome.FORWARDED, by_query


def test_magics_run_the_real_hubble_and_cilium_dbg_against_the_agent(agent, monkeypatch):
    """%hubble and %cilium-dbg on the live backend run the real CLIs, verbatim, against the real agent.

    The agent here is a host process, not a `ds/cilium` pod, so the magics take the path they take when the
    CLIs are installed on the trainee's machine: the binaries on PATH, the agent found through the
    variables the CLIs themselves read (HUBBLE_SERVER: hubble/cmd/common/config/viper.go, env prefix
    `hubble`; CILIUM_SOCK: pkg/client/client.go).
    """
    import re

    from labs.cluster.live.cluster import LiveCluster
    from labs.commands.magics import run_command

    _host_agent_env(agent, monkeypatch)
    live = LiveCluster(hubble=False, progress=False, timeout=10.0)
    agent.apply_policy(ALLOW_CLIENT)
    since = (datetime.now(timezone.utc) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert agent.curl("intruder", f"http://{_ip(agent, 'server')}:8080/").returncode != 0

    line = f"observe --since {since} --verdict DROPPED --from-pod {NAMESPACE}/intruder --to-pod {NAMESPACE}/server"
    end = time.monotonic() + 15
    while True:
        observed = run_command("hubble", line, live, on_output=None)
        assert observed.exit_code == 0, observed.stderr
        if observed.stdout.strip() or time.monotonic() > end:
            break
        time.sleep(0.5)
    # hubble's compact printer (hubble/pkg/printer/printer.go), as the simulated `%hubble observe` prints it.
    # Seen from the agent built here: `<>` and TRAFFIC_DIRECTION_UNKNOWN when the event carries no direction,
    # and "Policy denied by denylist" when a deny rule is in force.
    shape = re.compile(rf"{NAMESPACE}/intruder:\d+ \(ID:\d+\) (->|<>) {NAMESPACE}/server:8080 \(ID:\d+\) "
                       r"(Policy denied( by denylist)? DROPPED|policy-verdict:none \w+ DENIED) \(TCP Flags: SYN\)")
    assert any(shape.search(row) for row in observed.stdout.splitlines()), observed.stdout

    listed = run_command("cilium-dbg", "endpoint list", live, on_output=None)
    assert listed.exit_code == 0, listed.stderr
    header = listed.stdout.splitlines()[0].split()
    assert header[:3] == ["ENDPOINT", "POLICY", "(ingress)"], listed.stdout[:300]
    assert "k8s:app=server" in listed.stdout and "ready" in listed.stdout


def _server_endpoint_id(agent: Agent) -> int:
    listed = agent.dbg("endpoint", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    ids = [ep["id"] for ep in json.loads(listed.stdout)
           if "k8s:app=server" in ((ep.get("status") or {}).get("identity") or {}).get("labels", [])]
    assert len(ids) == 1, ids
    return int(ids[0])


def _curl_until(agent: Agent, pod: str, url: str, wanted: int, deadline: float = 30.0) -> subprocess.CompletedProcess:
    """`endpoint config` regenerates the endpoint a moment after it returns: curl until the exit is `wanted`."""
    end = time.monotonic() + deadline
    while True:
        done = agent.curl(pod, url)
        if done.returncode == wanted or time.monotonic() > end:
            return done


def _simulated_audit_verdicts() -> set[str]:
    """The simulator's Hubble verdicts for the same pods, policy and endpoint option, intruder -> server:8080."""
    from labs.cluster.sim import SimCluster
    from labs.probes import Probe, parse_target

    sim = SimCluster()
    sim.apply(WORKLOADS)
    sim.apply(ALLOW_CLIENT)
    sim.set_endpoint_audit(f"{NAMESPACE}/server", True)
    since = sim.now()
    result = sim.probe(Probe(f"{NAMESPACE}/intruder", parse_target(f"{NAMESPACE}/server"), 8080))
    assert result.outcome.value == "allowed", result
    flows = [parse_flow(obj) for obj in sim.flows(since=since)]
    return {f.verdict for f in flows if f.destination.pod_name == "server" and f.source.pod_name == "intruder"}


def test_policy_audit_mode_lets_the_drop_through_and_hubble_says_audit(agent):
    """`cilium-dbg endpoint config ID PolicyAuditMode=Enabled` (lab 07): the server's would-be ingress drop
    passes and Hubble reports it with verdict AUDIT; Disabled enforces again. The simulator says the same."""
    server = _ip(agent, "server")
    url = f"http://{server}:8080/"
    agent.kubectl("-n", NAMESPACE, "delete", "cnp", "server-deny-intruder", "--ignore-not-found")
    agent.apply_policy(ALLOW_CLIENT)
    assert _curl_until(agent, "intruder", url, CURL_TIMEOUT).returncode == CURL_TIMEOUT
    endpoint = str(_server_endpoint_id(agent))
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    try:
        done = agent.dbg("endpoint", "config", endpoint, "PolicyAuditMode=Enabled")
        assert done.returncode == 0, done.stderr
        passed = _curl_until(agent, "intruder", url, 0)
        assert passed.returncode == 0 and "hello from server" in passed.stdout, (passed.returncode, passed.stderr)
        flows = _wait_flows(agent, since, "--verdict", "AUDIT", "--from-pod", f"{NAMESPACE}/intruder")
        audited = [f for f in flows if f.destination.pod_name == "server" and f.l4 and f.l4.destination_port == 8080]
        assert audited, [str(f) for f in _flows(agent, since, "--from-pod", f"{NAMESPACE}/intruder")]
        assert {classify(f) for f in audited} == {FlowOutcome.AUDIT}
        assert {f.direction for f in audited} == {"INGRESS"}
        assert "AUDIT" in _simulated_audit_verdicts()
    finally:
        done = agent.dbg("endpoint", "config", endpoint, "PolicyAuditMode=Disabled")
    assert done.returncode == 0, done.stderr
    again = _curl_until(agent, "intruder", url, CURL_TIMEOUT)
    assert again.returncode == CURL_TIMEOUT, (again.returncode, again.stdout, again.stderr)
    assert agent.curl("client", url).returncode == 0
