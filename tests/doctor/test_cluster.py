"""Cluster checks against the stub API server, and the traffic test with a scripted cluster."""

from __future__ import annotations

import socket

from labs.cluster.base import ClusterError
from labs.doctor.cluster import cluster_checks
from labs.doctor.workload import NAMESPACE, traffic_checks
from labs.outcomes import Outcome
from labs.probes import ProbeResult


def lines(checks):
    return [c.line() for c in checks]


def test_without_kubeconfig_it_is_a_warning(isolated):
    assert lines(cluster_checks()) == [
        "WARN  kubeconfig         No kubeconfig found (looked in: .kube/config, ~/.kube/config); the labs use the "
        "simulated backend. Fix: Start the course VM with `vagrant up` (it exports .kube/config), or set KUBECONFIG."]


def test_unreachable_api_fails_with_the_advice(isolated, stub):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = f"https://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config", server=server)
    assert lines(cluster_checks(timeout=2)) == [
        "PASS  kubeconfig         .kube/config, context 'ciliumlab'.",
        f"FAIL  api-server         Cannot reach the Kubernetes API server at {server!r} (kubeconfig .kube/config, "
        "context 'ciliumlab'): connection refused within 2 s. Fix: If the course VM should be running, start it with "
        "`vagrant up` and check it with `vagrant status`; if it is running, check that no VPN or proxy captures "
        "127.0.0.1 (add it to NO_PROXY). To work without a cluster, set LABS_BACKEND=sim."]


def test_loose_kubeconfig_permissions_are_a_warning(isolated, stub):
    path = stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    path.chmod(0o644)
    first = cluster_checks(workload=False)[0]
    assert first.line() == (f"WARN  kubeconfig         .kube/config ({path}) can be read by other users; it holds the "
                            f"cluster's admin credentials. Fix: chmod 600 {path}")


def test_components_nodes_and_config(isolated, stub):
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    for name, ip in (("cp", "192.168.56.10"), ("worker", "10.0.2.15")):
        stub.put(f"/api/v1/nodes/{name}", {"kind": "Node", "status": {
            "addresses": [{"type": "InternalIP", "address": ip}], "conditions": [{"type": "Ready", "status": "True"}]}})
    stub.put("/apis/apps/v1/namespaces/kube-system/deployments/cilium-operator", {
        "kind": "Deployment", "metadata": {"generation": 2}, "spec": {"replicas": 1},
        "status": {"readyReplicas": 1, "updatedReplicas": 1, "observedGeneration": 2}})
    stub.put("/apis/apps/v1/namespaces/kube-system/deployments/hubble-relay", {
        "kind": "Deployment", "spec": {"replicas": 1}, "status": {"readyReplicas": 0}})
    stub.put("/api/v1/namespaces/kube-system/configmaps/cilium-config", {"kind": "ConfigMap", "data": {
        "enable-policy": "default", "kube-proxy-replacement": "true", "enable-l7-proxy": "true"}})
    assert lines(cluster_checks(workload=False)) == [
        "PASS  kubeconfig         .kube/config, context 'ciliumlab'.",
        f"PASS  api-server         Kubernetes v1.35.2 at {stub.url}.",
        "PASS  cilium-version     Cilium 1.19.5.",
        "PASS  node cp            Ready, InternalIP 192.168.56.10 on the private network.",
        "WARN  node worker        Ready, but InternalIP 10.0.2.15 is not on the private network 192.168.56.0/21 "
        "(10.0.2.15 is VirtualBox's NAT address). Fix: Start the kubelet with --node-ip set to the node's "
        "192.168.56.x address (the course's provisioning does this from settings.yaml).",
        "PASS  cilium             1/1 ready.",
        "WARN  cilium-envoy       cilium-envoy is not installed. Fix: L7 (HTTP and DNS) policies need the Envoy "
        "proxy: keep envoy.enabled and l7Proxy at their defaults, then `vagrant up --provision`.",
        "PASS  cilium-operator    1/1 ready.",
        "WARN  hubble-relay       hubble-relay is not ready (0/1 ready). Fix: Enable hubble.relay.enabled=true in "
        "the Cilium values, then `vagrant up --provision`.",
        "PASS  cilium-config      policy enforcement 'default', kube-proxy replacement 'true', L7 proxy on.",
        "SKIP  traffic            Not tried (--no-workload).",
    ]


class ScriptedCluster:
    """Stands in for LiveCluster in the traffic test: scripted apply and probe results."""

    def __init__(self, results=None, apply_error=None):
        self.results = results
        self.apply_error = apply_error
        self.deleted = []
        self.api = self

    def apply(self, text, *, lab=None, timeout=0):
        assert lab == "doctor" and f"name: {NAMESPACE}" in text
        if self.apply_error:
            raise ClusterError(self.apply_error)

    def probe_many(self, probes, *, timeout):
        return [ProbeResult(p, o, r, flows, None, detail) for p, (o, r, flows, detail) in zip(probes, self.results)]

    def delete(self, path):
        self.deleted.append(path)
        return True


FLOW = {"flow": {"verdict": "FORWARDED"}}


def test_traffic_passes_and_cleans_up():
    cluster = ScriptedCluster([(Outcome.ALLOWED, "'kubernetes.default.svc.cluster.local' resolved: 10.96.0.1",
                                (FLOW,), {}),
                               (Outcome.ALLOWED, "HTTP 200 from ciliumlab-doctor/server (10.244.0.9:8080)",
                                (FLOW, FLOW), {}),
                               (Outcome.ALLOWED, "'api.stripe.com' resolved: 198.51.100.10", (),
                                {"ips": ["198.51.100.10"]}),
                               (Outcome.ALLOWED, "HTTP 200 from ip:198.51.100.10 (198.51.100.10:80)", (), {})])
    assert lines(traffic_checks(None, cluster=cluster)) == [
        "PASS  test-pods          Two pods running in ciliumlab-doctor (docker.io/library/busybox:1.36.1).",
        "PASS  dns                kube-dns answered: 'kubernetes.default.svc.cluster.local' resolved: 10.96.0.1.",
        "PASS  pod-to-pod         client reached server: HTTP 200 from ciliumlab-doctor/server (10.244.0.9:8080).",
        "PASS  hubble             Hubble returned 3 flows for the test traffic.",
        "PASS  outside-dns        api.stripe.com resolves to 198.51.100.10, the lab's outside network.",
        "PASS  outside-http       198.51.100.10 answered: HTTP 200 from ip:198.51.100.10 (198.51.100.10:80)."]
    assert cluster.deleted == ["/api/v1/namespaces/ciliumlab-doctor"]


def test_traffic_failures_say_what_to_do():
    cluster = ScriptedCluster([(Outcome.DROPPED, "no answer from the DNS server for 'kubernetes.default.svc."
                                "cluster.local' within 5 s", (), {"hubble_error": "no agent"}),
                               (Outcome.ERROR, "connection refused by ciliumlab-doctor/server (10.244.0.9:8080): "
                                "nothing listens there", (), {}),
                               (Outcome.ALLOWED, "'api.stripe.com' resolved: 3.18.12.63", (), {"ips": ["3.18.12.63"]}),
                               (Outcome.DROPPED, "no connection to ip:198.51.100.10 within 5 s", (), {})])
    assert lines(traffic_checks(None, cluster=cluster))[1:] == [
        "FAIL  dns                DNS lookup dropped: no answer from the DNS server for "
        "'kubernetes.default.svc.cluster.local' within 5 s. Fix: Check `kubectl -n kube-system get pods -l "
        "k8s-app=kube-dns`; CoreDNS waits for the Cilium agent on its node.",
        "FAIL  pod-to-pod         client to server error: connection refused by ciliumlab-doctor/server "
        "(10.244.0.9:8080): nothing listens there. Fix: Run `cilium-dbg status` in a Cilium agent pod; with several "
        "nodes check that the VXLAN port 8472/udp between them is open.",
        "FAIL  hubble             Hubble returned no flows for the test traffic: no agent. Fix: Check that "
        "hubble.enabled is true and `cilium-dbg status` shows Hubble: Ok.",
        "WARN  outside-dns        api.stripe.com does not resolve to 198.51.100.10 (resolved to 3.18.12.63). Fix: "
        "Labs 06 and 08 need the lab's outside network: re-run `vagrant provision` (scripts/provision/outside.sh "
        "sets it up; see docs/vm.md), or open those labs with backend=\"sim\".",
        "WARN  outside-http       198.51.100.10 port 80 dropped: no connection to ip:198.51.100.10 within 5 s. Fix: "
        "Labs 06 and 08 need the lab's outside network: re-run `vagrant provision` (scripts/provision/outside.sh "
        "sets it up; see docs/vm.md), or open those labs with backend=\"sim\"."]


def test_pods_that_do_not_start_are_one_failure_and_still_cleaned_up():
    cluster = ScriptedCluster(apply_error="Not ready after 120 s:\n  Pod ciliumlab-doctor/client: c: ErrImagePull")
    (only,) = traffic_checks(None, cluster=cluster)
    assert only.status == "fail"
    assert only.fix == ("If the image cannot be pulled, set LABS_DOCTOR_IMAGE to an image with sh, wget and nslookup "
                        "that the cluster can pull; or raise --wait.")
    assert cluster.deleted == ["/api/v1/namespaces/ciliumlab-doctor"]
