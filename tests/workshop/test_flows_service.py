"""Each trainee reads the flows of their own namespaces through the flows service, and Relay is closed to them."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from labs.cluster.base import ClusterError
from labs.workshop.flows_service import (
    FlowsService,
    ServiceFlowReader,
    TokenReviewer,
    flows_of_namespaces,
    relay_policy,
    trainee_namespaces,
    trainee_of_user,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))

SINCE = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def flow(src: str, dst: str, n: int) -> dict:
    return {"flow": {"time": f"2026-11-23T10:00:{n:02d}.000000000Z", "uuid": f"u-{n}", "verdict": "FORWARDED",
                     "source": {"namespace": src, "pod_name": "a"}, "destination": {"namespace": dst, "pod_name": "b"}},
            "node_name": "cp", "time": f"2026-11-23T10:00:{n:02d}.000000000Z"}


FLOWS = [flow("alice-frontend", "alice-backend", 1), flow("bob-frontend", "bob-backend", 2),
         flow("kube-system", "alice-frontend", 3), flow("alice-frontend", "kube-system", 4),
         flow("bob-frontend", "kube-system", 5), flow("kube-system", "kube-system", 6)]


class AllFlows:
    def __init__(self):
        self.calls = 0

    def observe(self, *, since, until=None, limit=10_000, timeout=20.0):
        self.calls += 1
        return list(FLOWS)


def test_user_names_and_namespace_filter():
    assert trainee_of_user("system:serviceaccount:ciliumlab-workshop:trainee-alice") == "alice"
    assert trainee_of_user("system:serviceaccount:kube-system:trainee-alice") is None
    assert trainee_of_user("kubernetes-admin") is None
    kept = flows_of_namespaces(FLOWS, {"alice-frontend", "alice-backend"})
    assert [f["flow"]["uuid"] for f in kept] == ["u-1", "u-3", "u-4"]


@pytest.fixture
def service(tmp_path, monkeypatch):
    from live_stub import KubeStub

    from labs.cluster.live.connect import connect

    stub = KubeStub().start()
    for ns, trainee in (("alice-frontend", "alice"), ("alice-backend", "alice"), ("bob-frontend", "bob"),
                        ("bob-backend", "bob")):
        stub.put(f"/api/v1/namespaces/{ns}", {"kind": "Namespace", "metadata": {
            "name": ns, "labels": {"ciliumlab.io/trainee": trainee}}})
    stub.token_users = {"alice-token": "system:serviceaccount:ciliumlab-workshop:trainee-alice",
                        "bob-token": "system:serviceaccount:ciliumlab-workshop:trainee-bob",
                        "admin-token": "kubernetes-admin"}
    for key in ("KUBECONFIG", "LABS_KUBE_CONTEXT", "LABS_BACKEND", "LABS_TRAINEE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LABS_REPO", str(tmp_path / "repo"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    stub.write_kubeconfig(tmp_path / "repo" / ".kube" / "config")
    api = connect(timeout=5.0).api
    reader = AllFlows()
    svc = FlowsService(TokenReviewer(api), reader, lambda t: trainee_namespaces(api, t))
    server = svc.serve_in_thread()
    yield f"http://127.0.0.1:{server.server_address[1]}", svc, reader
    server.shutdown()
    server.server_close()
    stub.stop()


def test_each_trainee_gets_only_the_flows_of_their_namespaces(service):
    url, svc, _ = service
    alice = ServiceFlowReader(url, "alice-token").observe(since=SINCE)
    bob = ServiceFlowReader(url, "bob-token").observe(since=SINCE, limit=1)
    assert [f["flow"]["uuid"] for f in alice] == ["u-1", "u-3", "u-4"]
    assert [f["flow"]["uuid"] for f in bob] == ["u-5"]
    assert svc.log == ["alice: 3 of 6 flows", "bob: 1 of 6 flows"]


@pytest.mark.parametrize(("token", "message"), [
    ("forged", "HTTP 403: only workshop trainees' tokens are served here"),
    ("admin-token", "HTTP 403: only workshop trainees' tokens are served here"),
    ("", "HTTP 401: a bearer token (the trainee's kubeconfig token) is required"),
])
def test_other_tokens_get_nothing(service, token, message):
    url, _, reader = service
    with pytest.raises(ClusterError) as err:
        ServiceFlowReader(url, token).observe(since=SINCE)
    assert f"refused the request: {message}." in str(err.value)
    assert reader.calls == 0


def test_hubble_relay_is_closed_to_trainee_pods_and_open_to_kube_system():
    from labs.cluster.sim import SimCluster
    from labs.probes import Probe, Target

    sim = SimCluster()
    sim.apply("""
apiVersion: v1
kind: Namespace
metadata: {name: alice-frontend}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: alice-frontend, labels: {app: client}}
spec: {containers: [{name: c, image: curlimages/curl:8.11.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: hubble-relay, namespace: kube-system, labels: {k8s-app: hubble-relay}}
spec: {containers: [{name: r, image: quay.io/cilium/hubble-relay:v1.19.5, ports: [{containerPort: 4245}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: hubble-ui, namespace: kube-system, labels: {k8s-app: hubble-ui}}
spec: {containers: [{name: u, image: quay.io/cilium/hubble-ui:v0.13.5}]}
""")
    relay = Target("pod", "kube-system/hubble-relay")
    before = sim.probe(Probe("alice-frontend/client", relay, 4245))
    import yaml

    sim.apply(yaml.safe_dump(relay_policy()))
    trainee = sim.probe(Probe("alice-frontend/client", relay, 4245))
    ui = sim.probe(Probe("kube-system/hubble-ui", relay, 4245))
    assert [before.outcome.value, trainee.outcome.value, ui.outcome.value] == ["allowed", "dropped", "allowed"]


def test_a_trainees_live_cluster_reads_flows_through_the_service(service, tmp_path, monkeypatch):
    """LABS_FLOWS_URL makes LiveCluster use the service with the kubeconfig's own token."""
    from live_stub import KubeStub

    from labs.cluster.live import LiveCluster
    from labs.cluster.live.connect import connect

    url, _, _ = service
    trainee_api = KubeStub(token="alice-token").start()
    try:
        trainee_api.write_kubeconfig(tmp_path / "repo" / ".kube" / "config")
        monkeypatch.setenv("LABS_FLOWS_URL", url)
        cluster = LiveCluster(connect(timeout=5.0), progress=False)
        assert [f["flow"]["uuid"] for f in cluster.flows(since=SINCE)] == ["u-1", "u-3", "u-4"]
    finally:
        trainee_api.stop()


def test_flows_serve_reads_the_agents_and_answers_a_trainee(tmp_path):
    """The command itself, as a process: Hubble read by exec in the agent, filtered for alice's token; then
    Ctrl-C while a trainee's request waits on the agent stops it at once, that trainee told why."""
    import json
    import os
    import signal
    import socket
    import subprocess
    import threading
    import time

    from live_stub import KubeStub
    from test_exec import running_pod

    stub = KubeStub().start()
    agent_busy = threading.Event()  # cleared: the agent's `hubble observe` does not answer
    agent_busy.set()

    def hubble(*_args):
        agent_busy.wait(60)
        return "".join(json.dumps(f) + "\n" for f in FLOWS), "", 0

    try:
        for ns, trainee in (("alice-frontend", "alice"), ("bob-frontend", "bob")):
            stub.put(f"/api/v1/namespaces/{ns}", {"kind": "Namespace", "metadata": {
                "name": ns, "labels": {"ciliumlab.io/trainee": trainee}}})
        running_pod(stub, "kube-system", "cilium-a", labels={"k8s-app": "cilium"}, container="cilium-agent")
        stub.exec_answer = hubble
        stub.token_users = {"alice-token": "system:serviceaccount:ciliumlab-workshop:trainee-alice"}
        stub.write_kubeconfig(tmp_path / "repo" / ".kube" / "config")
        (tmp_path / "trainees.txt").write_text("alice\nbob\n")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "LABS_TRAINEE", "LABS_BACKEND")}
        env.update(LABS_REPO=str(tmp_path / "repo"), HOME=str(tmp_path / "home"))
        # A test run started in the background by a script (`nohup ... &`) inherits SIGINT ignored, and so would
        # the server, which then has no Ctrl-C at all: the child is given SIGINT's default, as a terminal gives.
        inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "labs", "workshop", "flows-serve",
                                     "--trainees", str(tmp_path / "trainees.txt"), "--listen", f"127.0.0.1:{port}",
                                     "--manifests", str(Path(__file__).resolve().parents[2] / "manifests"),
                                     "--stop-timeout", "5"],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        finally:
            signal.signal(signal.SIGINT, inherited)
        waiting: list = []
        try:
            line = proc.stdout.readline()
            assert line.startswith(f"Serving the flows of 2 trainee(s) on {url}/flows"), line or proc.stderr.read()
            deadline = time.monotonic() + 30
            while True:
                try:
                    flows = ServiceFlowReader(url, "alice-token").observe(since=SINCE)
                    break
                except ClusterError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            assert [f["flow"]["uuid"] for f in flows] == ["u-1", "u-3", "u-4"]

            agent_busy.clear()
            execs = len(stub.execs)

            def ask() -> None:
                try:
                    waiting.append(ServiceFlowReader(url, "alice-token").observe(since=SINCE, timeout=60))
                except ClusterError as exc:
                    waiting.append(exc)

            trainee = threading.Thread(target=ask, daemon=True)
            trainee.start()
            deadline = time.monotonic() + 30
            while len(stub.execs) == execs:  # the request now waits on the agent's answer
                assert time.monotonic() < deadline, "the second request never reached the agent"
                time.sleep(0.05)
        finally:
            body_error = sys.exc_info()[1]  # a failure above must not be hidden by a slow stop
            stopped_at = time.monotonic()
            proc.send_signal(signal.SIGINT)
            try:  # communicate drains both pipes: a server blocked writing to a full stderr pipe cannot exit
                _, err = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGABRT)  # under -X faulthandler: every thread's stack goes to stderr
                try:
                    _, err = proc.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    _, err = proc.communicate()
                raise AssertionError(f"flows-serve ignored Ctrl-C for 20 s (the test body had {body_error!r}); "
                                     f"its threads then:\n{err[-6000:]}") from body_error
        took = time.monotonic() - stopped_at
        assert (proc.returncode, err) == (0, "")
        # the Hubble read would have waited 20 s for the agent; the stop aborts it and bounds the rest by 5 s
        assert took < 10, f"flows-serve took {took:.1f} s to stop"
        trainee.join(10)
        assert len(waiting) == 1 and isinstance(waiting[0], ClusterError), waiting
        assert "HTTP 503: Hubble could not be read from any Cilium agent: kube-system/cilium-a: exec in " \
               "kube-system/cilium-a was stopped (the command is shutting down)" in str(waiting[0])
    finally:
        agent_busy.set()
        stub.stop()
