"""Exec in pods over a real websocket (the stub's pods/exec speaks Kubernetes' v5 and v4 channel protocols).

The concurrency test is the one that matters: probes and Hubble reads run in threads and share one
ApiClient; an exec must never change that client, so REST calls made at the same moment still work.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from labs.cluster.live.execpod import KubernetesExec
from labs.probes import HttpRequest, Probe, Target

FLOW = {"flow": {"time": "2026-11-23T10:00:00.000000000Z", "uuid": "u-1", "verdict": "FORWARDED",
                 "source": {"namespace": "app", "pod_name": "client-0"}, "destination": {"namespace": "app"}},
        "node_name": "ciliumlab-cp", "time": "2026-11-23T10:00:00.000000000Z"}


def answer(namespace, pod, container, argv):
    if argv and argv[0] == "hubble":
        return json.dumps(FLOW) + "\n", "", 0
    if argv[:2] == ["sh", "-c"] and "curl" in argv[2]:
        return "hello\nciliumlab-http-status: 200\n", "ciliumlab-tool: curl\n", 0
    if argv == ["false"]:
        return "", "", 1
    return f"{namespace}/{pod}/{container}: {' '.join(argv)}\n", "a warning\n", 0


def running_pod(stub, namespace, name, *, labels=None, container="main"):
    stub.put(f"/api/v1/namespaces/{namespace}", {"kind": "Namespace", "metadata": {"name": namespace}})
    stub.put(f"/api/v1/namespaces/{namespace}/pods/{name}", {
        "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"nodeName": "ciliumlab-cp", "containers": [{"name": container, "image": "curlimages/curl:8.11.1",
                                                             "ports": [{"containerPort": 8080}]}]},
        "status": {"phase": "Running", "podIP": f"10.244.0.{10 + len(stub.paths('pods'))}",
                   "hostIP": "192.168.56.10", "conditions": [{"type": "Ready", "status": "True"}]}})


@pytest.fixture
def execer(stub, live_api):
    stub.exec_answer = answer
    running_pod(stub, "app", "client-0")
    return KubernetesExec(live_api.client)


@pytest.mark.parametrize("protocol", ["v5.channel.k8s.io", "v4.channel.k8s.io"])
def test_exec_returns_stdout_stderr_and_the_exit_code(stub, execer, protocol):
    stub.exec_protocols = (protocol,)
    result = execer.run("app", "client-0", ["echo", "hi there"], container="main", timeout=5)
    assert (result.exit_code, result.stdout, result.stderr, result.error) == (
        0, "app/client-0/main: echo hi there\n", "a warning\n", None)
    assert stub.execs[-1] == ("app", "client-0", "main", ["echo", "hi there"], protocol)
    failed = execer.run("app", "client-0", ["false"], timeout=5)
    assert (failed.exit_code, failed.error, failed.timed_out) == (1, None, False)


def test_long_output_arriving_in_many_frames_is_kept_whole(stub, execer):
    text = "".join(f"line {i:06d}\n" for i in range(20_000))
    stub.exec_answer = lambda *a: (text, "", 0)
    assert execer.run("app", "client-0", ["cat"], timeout=10).stdout == text


def test_a_missing_pod_is_an_error_with_the_servers_message(execer):
    result = execer.run("app", "nope", ["true"], timeout=5)
    assert result.exit_code is None
    assert result.error == 'exec in app/nope failed (HTTP 404): pods "nope" not found'


def test_a_command_past_its_deadline_is_abandoned(stub, execer):
    stub.exec_delay = 3.0
    started = time.monotonic()
    result = execer.run("app", "client-0", ["sleep", "10"], timeout=0.5)
    assert time.monotonic() - started < 2.0
    assert (result.exit_code, result.timed_out, result.error) == (None, True, None)


def test_stop_aborts_a_command_being_read_and_refuses_new_ones(stub, execer):
    """A stopping server (flows-serve after Ctrl-C) must not wait out a Hubble read's deadline."""
    release = threading.Event()
    stub.exec_answer = lambda *a: (release.wait(30), ("late\n", "", 0))[1]
    results = []
    reader = threading.Thread(target=lambda: results.append(execer.run("app", "client-0", ["sleep", "30"],
                                                                       timeout=30)))
    reader.start()
    try:
        deadline = time.monotonic() + 10
        while not stub.execs and time.monotonic() < deadline:
            time.sleep(0.02)
        assert stub.execs, "the exec never reached the API server"
        started = time.monotonic()
        execer.stop()
        reader.join(5)
        assert not reader.is_alive() and time.monotonic() - started < 2.0
        assert results[0].exit_code is None and results[0].stdout == ""
        assert results[0].error == "exec in app/client-0 was stopped (the command is shutting down)"
        refused = execer.run("app", "client-0", ["true"], timeout=5)
        assert refused.error == results[0].error and len(stub.execs) == 1
    finally:
        release.set()
        reader.join(5)


def test_the_exit_status_ends_the_command_even_before_the_close(stub, execer):
    stub.exec_hold = 5.0
    started = time.monotonic()
    result = execer.run("app", "client-0", ["echo", "x"], timeout=2)
    assert time.monotonic() - started < 1.5
    assert (result.exit_code, result.timed_out, result.stdout) == (0, False, "app/client-0/None: echo x\n")


def test_a_server_that_accepts_and_never_answers_does_not_hang_the_exec():
    """A suspended VM: the TCP connection may open, but the upgrade is never answered."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_hold():
        silent.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    try:
        from kubernetes import client as k8s

        client = k8s.ApiClient(k8s.Configuration(host=f"http://127.0.0.1:{silent.getsockname()[1]}"))
        started = time.monotonic()
        result = KubernetesExec(client, connect_timeout=0.5).run("app", "client-0", ["true"], timeout=30)
        took = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        silent.close()
    assert took < 3.0
    assert result.exit_code is None
    assert result.error == "exec in app/client-0 failed: no answer within 0.5 s"


def test_concurrent_probes_and_hubble_reads_never_break_the_shared_client(stub, isolated):
    """8 probes at once plus the Hubble read, 20 times: every probe allowed, flows read, REST still fine."""
    from labs.cluster.live import LiveCluster
    from labs.cluster.live.connect import connect

    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    stub.exec_answer = answer
    stub.exec_delay = 0.02
    for i in range(8):
        running_pod(stub, "app", f"client-{i}", labels={"app": "client"})
    running_pod(stub, "app", "server", labels={"app": "server"})
    running_pod(stub, "kube-system", "cilium-a", labels={"k8s-app": "cilium"}, container="cilium-agent")
    cluster = LiveCluster(connect(timeout=5.0), progress=False, flow_settle=0.0)
    probes = [Probe(f"app/client-{i}", Target("pod", "app/server"), 8080, http=HttpRequest()) for i in range(8)]
    failures = []
    for run in range(20):
        results = cluster.probe_many(probes, timeout=2)
        for result in results:
            if result.outcome.value != "allowed" or result.detail.get("hubble_error"):
                failures.append((run, result.outcome.value, result.reason, result.detail.get("hubble_error")))
        assert cluster.api.get("/version")["gitVersion"] == "v1.35.2"
    assert failures == []
    hubble_execs = [e for e in stub.execs if e[3][:1] == ["hubble"]]
    assert len(hubble_execs) == 20 and len(stub.execs) == 20 * 9
