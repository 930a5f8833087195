"""Probes on the stub cluster with scripted exec answers: resolution, errors with reasons, concurrency,
and Hubble attribution of the outcome."""

from __future__ import annotations

import pytest
from live_fakes import ScriptedExec, curl_answer, curl_timeout

from labs.cluster.live import LiveCluster
from labs.cluster.live.connect import connect
from labs.cluster.live.execpod import ExecResult
from labs.probes import HttpRequest, Probe, parse_target


def ready_pod(ns, name, ip, labels, ports=(), node="cp"):
    containers = [{"name": "c", "image": "curlimages/curl:8.10.1",
                   "ports": [{"containerPort": p, "name": n} for n, p in ports]}]
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"containers": containers, "nodeName": node},
            "status": {"phase": "Running", "podIP": ip, "hostIP": "192.168.56.10",
                       "conditions": [{"type": "Ready", "status": "True"}]}}


@pytest.fixture
def cluster_objects(stub):
    stub.put("/api/v1/namespaces/frontend", {"kind": "Namespace"})
    stub.put("/api/v1/namespaces/backend", {"kind": "Namespace"})
    stub.put("/api/v1/namespaces/frontend/pods/web", ready_pod("frontend", "web", "10.244.0.10", {"app": "web"}))
    stub.put("/api/v1/namespaces/backend/pods/api",
             ready_pod("backend", "api", "10.244.1.7", {"app": "api"}, [("http", 8080)], node="worker"))
    pending = ready_pod("backend", "pending", "", {"app": "pending"})
    pending["status"] = {"phase": "Pending", "containerStatuses": [
        {"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}
    stub.put("/api/v1/namespaces/backend/pods/pending", pending)
    stub.put("/api/v1/namespaces/backend/services/api", {"kind": "Service", "spec": {
        "clusterIP": "10.96.0.50", "selector": {"app": "api"}, "ports": [{"name": "http", "port": 80,
                                                                          "targetPort": "http"}]}})
    for name, ip in (("cp", "192.168.56.10"), ("worker", "192.168.56.11")):
        stub.put(f"/api/v1/nodes/{name}", {"kind": "Node", "status": {
            "addresses": [{"type": "InternalIP", "address": ip}], "conditions": [{"type": "Ready", "status": "True"}]}})
    return stub


def make_live(stub, isolated, execer, flow_reader=None):
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    return LiveCluster(connect(), execer=execer, flow_reader=flow_reader, hubble=flow_reader is not None,
                       progress=False, flow_settle=0)


def probe(source, to=None, port=None, protocol="TCP", http=None, dns=None):
    return Probe(source, parse_target(to) if to else None, port, protocol, http, dns)


SETUP_ERRORS = [
    ("missing-source", probe("frontend/ghost", "backend/api", 8080),
     "the source pod 'frontend/ghost' does not exist (pods in namespace 'frontend': web); apply the lab's workloads "
     "first"),
    ("unready-destination", probe("frontend/web", "backend/pending", 80),
     "the destination pod 'backend/pending' is not ready (c: ImagePullBackOff)"),
    ("unknown-named-port", probe("frontend/web", "backend/api", "grpc"),
     "the pod 'backend/api' has no port named 'grpc' (its named ports: http)"),
    ("unknown-service-port", probe("frontend/web", "svc:backend/api", 8443),
     "the Service 'backend/api' has no port 8443 (its ports: 80 (http))"),
    ("missing-service", probe("frontend/web", "svc:backend/nope", 80), "the Service 'backend/nope' does not exist"),
    ("udp-cannot-be-judged", probe("frontend/web", "backend/api", 8080, "UDP"),
     "UDP probes cannot be judged on the live backend: a dropped datagram and a silent server look the same (use a "
     "DNS probe, `dns: NAME`, for UDP port 53)"),
    ("unknown-entity", probe("frontend/web", "entity:cluster", 80),
     "the entity 'cluster' cannot be probed on the live backend (use host, remote-node, world or kube-apiserver)"),
]


@pytest.mark.parametrize(("the_probe", "reason"), [c[1:] for c in SETUP_ERRORS], ids=[c[0] for c in SETUP_ERRORS])
def test_probes_that_cannot_run_are_errors_with_the_reason(cluster_objects, isolated, the_probe, reason):
    execer = ScriptedExec(lambda *a: pytest.fail("nothing should be executed"))
    result = make_live(cluster_objects, isolated, execer).probe(the_probe)
    assert (result.outcome.value, result.reason) == ("error", reason)
    assert result.probe is the_probe


RESOLUTION = [
    ("pod-named-port", probe("frontend/web", "backend/api", "http", http=HttpRequest("GET", "/api/v1/products")),
     "http://10.244.1.7:8080/api/v1/products"),
    ("service-by-port-name", probe("frontend/web", "svc:backend/api", "http"), "http://10.96.0.50:80/"),
    ("fqdn", probe("frontend/web", "fqdn:api.stripe.com", 443), "http://api.stripe.com:443/"),
    ("remote-node-ping", probe("frontend/web", "entity:remote-node", protocol="ICMP"), "192.168.56.11"),
    ("host-ping", probe("frontend/web", "entity:host", protocol="ICMP"), "192.168.56.10"),
    ("dns", probe("frontend/web", dns="kubernetes.default"), "kubernetes.default"),
]


@pytest.mark.parametrize(("the_probe", "needle"), [c[1:] for c in RESOLUTION], ids=[c[0] for c in RESOLUTION])
def test_probe_runs_in_the_source_pod_against_the_resolved_address(cluster_objects, isolated, the_probe, needle):
    execer = ScriptedExec(lambda *a: ExecResult(0, "\nciliumlab-http-status: 200\n", "ciliumlab-tool: curl\n"))
    make_live(cluster_objects, isolated, execer).probe(the_probe, timeout=2)
    (namespace, pod, argv, container, timeout), = execer.calls
    assert (namespace, pod, container, timeout) == ("frontend", "web", "c", 5.0)
    assert argv[:2] == ["sh", "-c"] and needle in argv[2]


def test_l7_denied_probe_keeps_the_status(cluster_objects, isolated):
    execer = ScriptedExec(lambda *a: curl_answer(403, "Access denied\r\n"))
    result = make_live(cluster_objects, isolated, execer).probe(
        probe("frontend/web", "backend/api", 8080, http=HttpRequest("DELETE", "/api")))
    assert (result.outcome.value, result.reason) == ("l7-denied", "the L7 proxy answered HTTP 403 'Access denied'")
    assert result.detail["http_status"] == 403
    assert result.detail["destination"] == "backend/api (10.244.1.7:8080)"


@pytest.mark.parametrize(("count", "parallel"), [(12, 4), (16, 16)], ids=["bounded", "one-round"])
def test_a_matrix_runs_its_probes_side_by_side_up_to_the_bound(cluster_objects, isolated, count, parallel):
    """Concurrency is read from the exec's own count of sessions in flight, not from a clock (the machine
    may be busy): probes overlap, the bound is reached when there are more probes than it, never passed."""
    delay = 0.4
    execer = ScriptedExec(lambda *a: curl_timeout(delay), delay=delay)
    live = make_live(cluster_objects, isolated, execer)
    probes = [probe("frontend/web", "backend/api", 8000 + i) for i in range(count)]
    results = live.probe_many(probes, timeout=delay, parallel=parallel)
    assert 1 < execer.peak <= parallel, f"{execer.peak} probe(s) in flight at once, bound {parallel}"
    if count > parallel:
        assert execer.peak == parallel, "the bound was never reached"
    assert [r.probe for r in results] == probes
    assert {r.outcome.value for r in results} == {"dropped"}


def test_parallel_must_be_positive(cluster_objects, isolated):
    live = make_live(cluster_objects, isolated, ScriptedExec(lambda *a: ExecResult(0)))
    with pytest.raises(ValueError, match="parallel must be at least 1, not 0"):
        live.probe_many([probe("frontend/web", "backend/api", 80)], parallel=0)


class FixedFlows:
    def __init__(self, flows):
        self.flows = flows
        self.windows = []

    def observe(self, *, since, until=None, limit=10_000, timeout=20.0):
        self.windows.append((since, until))
        return self.flows


def drop_flow(verdict_type: int, **extra):
    flow = {"time": "2026-11-23T10:00:01.000000001Z", "verdict": "DROPPED", "drop_reason_desc": "POLICY_DENIED",
            "IP": {"source": "10.244.0.10", "destination": "10.244.1.7", "ipVersion": "IPv4"},
            "l4": {"TCP": {"source_port": 41234, "destination_port": 8080, "flags": {"SYN": True}}},
            "source": {"ID": 11, "identity": 4242, "namespace": "frontend", "pod_name": "web",
                       "labels": ["k8s:app=web"]},
            "destination": {"ID": 22, "identity": 5151, "namespace": "backend", "pod_name": "api",
                            "labels": ["k8s:app=api"]},
            "Type": "L3_L4", "node_name": "worker", "event_type": {"type": verdict_type},
            "traffic_direction": "INGRESS"}
    flow.update(extra)
    return {"flow": flow, "node_name": "worker", "time": flow["time"]}


def test_dropped_probe_is_attributed_to_the_policy_hubble_names(cluster_objects, isolated):
    flows = [drop_flow(1), drop_flow(5, ingress_denied_by=[
        {"name": "api-ingress", "namespace": "backend", "kind": "CiliumNetworkPolicy"}]),
        drop_flow(1, IP={"source": "10.244.0.99", "destination": "10.244.1.7"},
                  source={"namespace": "frontend", "pod_name": "other"})]
    reader = FixedFlows(flows)
    live = make_live(cluster_objects, isolated, ScriptedExec(lambda *a: curl_timeout(2)), reader)
    result = live.probe(probe("frontend/web", "backend/api", 8080), timeout=2)
    assert result.outcome.value == "dropped"
    assert result.reason == ("no connection to backend/api (10.244.1.7:8080) within 2 s (curl exit 28: curl: (28) "
                             "Connection timed out after 2001 milliseconds); Hubble: DROPPED (POLICY_DENIED) at "
                             "ingress on worker, by CiliumNetworkPolicy backend/api-ingress")
    assert result.flows == tuple(flows[:2])
    assert result.detail["denied_by"] == ["CiliumNetworkPolicy backend/api-ingress"]
    (since, until), = reader.windows
    assert since < until


def test_refused_connection_gets_the_reset_from_hubble(cluster_objects, isolated):
    reset = drop_flow(4, verdict="FORWARDED", drop_reason_desc=None, IP={"source": "10.244.1.7",
                                                                          "destination": "10.244.0.10"},
                      source={"namespace": "backend", "pod_name": "api"},
                      destination={"namespace": "frontend", "pod_name": "web"},
                      l4={"TCP": {"source_port": 8080, "destination_port": 41234, "flags": {"RST": True,
                                                                                             "ACK": True}}})
    answer = ExecResult(7, "\nciliumlab-http-status: 000\n", "ciliumlab-tool: curl\ncurl: (7) Failed to connect to "
                        "10.244.1.7 port 8080 after 1 ms: Couldn't connect to server\n")
    live = make_live(cluster_objects, isolated, ScriptedExec(lambda *a: answer), FixedFlows([reset]))
    result = live.probe(probe("frontend/web", "backend/api", 8080))
    assert result.outcome.value == "error"
    assert result.reason.endswith("; Hubble: the destination answered with a TCP reset (no process listens on that "
                                  "port)")


def test_lookup_refused_by_the_dns_proxy_makes_an_fqdn_probe_refused(cluster_objects, isolated):
    dns = {"flow": {"time": "2026-11-23T10:00:01Z", "verdict": "DROPPED", "Type": "L7",
                    "IP": {"source": "10.244.0.10", "destination": "10.244.2.3"},
                    "source": {"namespace": "frontend", "pod_name": "web"},
                    "l7": {"type": "RESPONSE", "dns": {"query": "evil.example.com.", "rcode": 5}},
                    "event_type": {"type": 129}}}
    answer = ExecResult(6, "\nciliumlab-http-status: 000\n",
                        "ciliumlab-tool: curl\ncurl: (6) Could not resolve host: evil.example.com\n")
    live = make_live(cluster_objects, isolated, ScriptedExec(lambda *a: answer), FixedFlows([dns]))
    result = live.probe(probe("frontend/web", "fqdn:evil.example.com", 443))
    assert result.outcome.value == "refused"
    assert result.reason.startswith("the DNS proxy answered REFUSED for 'evil.example.com.', so no connection was "
                                    "tried (the name in fqdn:evil.example.com")


def test_hubble_failure_does_not_lose_the_probe(cluster_objects, isolated):
    from labs.cluster.base import ClusterError

    class Broken:
        def observe(self, **kw):
            raise ClusterError("Hubble could not be read from any Cilium agent: kube-system/cilium-x: exit 1: boom.")

    live = make_live(cluster_objects, isolated, ScriptedExec(lambda *a: curl_answer(200)), Broken())
    result = live.probe(probe("frontend/web", "backend/api", 8080))
    assert result.outcome.value == "allowed"
    assert result.detail["hubble_error"].startswith("Hubble could not be read from any Cilium agent")
