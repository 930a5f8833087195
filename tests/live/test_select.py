"""Backend selection: LABS_BACKEND=auto|live|sim, the reason sentence, and `python -m labs backend`."""

from __future__ import annotations

import json
import socket

import pytest

from labs.__main__ import main
from labs.cluster.live.api import ApiUnreachable
from labs.cluster.select import choose, describe_choice, get_cluster


def refused_server() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"https://127.0.0.1:{port}"


def test_unknown_backend_word(isolated, monkeypatch):
    monkeypatch.setenv("LABS_BACKEND", "kind")
    with pytest.raises(ValueError) as err:
        choose()
    assert str(err.value) == ("LABS_BACKEND='kind' is not a backend; use one of: auto, live, sim (auto picks the live "
                              "cluster when one answers, else the simulated one).")


def test_sim_asked_for(isolated, monkeypatch):
    monkeypatch.setenv("LABS_BACKEND", "sim")
    assert describe_choice() == "simulated: LABS_BACKEND=sim was asked for"
    cluster = get_cluster()
    assert (cluster.backend, cluster.info().reason) == ("sim", "simulated: LABS_BACKEND=sim was asked for")


def test_auto_without_kubeconfig_falls_back(isolated):
    assert describe_choice() == "simulated: no kubeconfig found (looked in: .kube/config, ~/.kube/config)"


def test_auto_with_unreachable_cluster_falls_back_and_says_where(isolated, stub):
    server = refused_server()
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config", server=server)
    reason = f"simulated: no cluster reachable at {server} (.kube/config): connection refused within 5 s"
    assert describe_choice() == reason
    assert get_cluster().info().reason == reason


def test_live_with_unreachable_cluster_raises(isolated, stub):
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config", server=refused_server())
    with pytest.raises(ApiUnreachable):
        get_cluster("live")
    assert describe_choice("live").startswith("live backend unavailable: Cannot reach the Kubernetes API server at ")


def test_auto_with_cilium_is_live(isolated, stub):
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    reason = f"live: {stub.url} (.kube/config, context 'ciliumlab'), Cilium 1.19.5"
    assert describe_choice() == reason
    cluster = get_cluster(timeout=2)
    assert cluster.backend == "live"
    assert cluster.reason == reason


def test_auto_without_cilium_falls_back(isolated):
    from live_stub import KubeStub

    bare = KubeStub(cilium=False).start()
    try:
        bare.write_kubeconfig(isolated / "repo" / ".kube" / "config")
        assert describe_choice() == f"simulated: the cluster at {bare.url} (.kube/config) has no Cilium installed"
    finally:
        bare.stop()


CLI = [
    ("text", ["backend"], 0, "simulated: no kubeconfig found (looked in: .kube/config, ~/.kube/config)\n", ""),
    ("json", ["backend", "--json"], 0,
     json.dumps({"backend": "sim", "reason": "simulated: no kubeconfig found (looked in: .kube/config, "
                 "~/.kube/config)"}) + "\n", ""),
    ("sim-flag", ["backend", "--backend", "sim"], 0, "simulated: backend='sim' was asked for\n", ""),
    ("live-flag", ["backend", "--backend", "live"], 1, "",
     "labs backend: the live backend is not usable: No kubeconfig found (looked in: .kube/config, ~/.kube/config). "
     "Start the course VM with `vagrant up`, which exports .kube/config into the repository, or set KUBECONFIG to "
     "your cluster's kubeconfig.\n"),
]


@pytest.mark.parametrize(("argv", "code", "out", "err"), [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_backend_command(isolated, capsys, argv, code, out, err):
    assert main(argv) == code
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (out, err)


def test_backend_command_rejects_a_bad_environment(isolated, monkeypatch, capsys):
    monkeypatch.setenv("LABS_BACKEND", "maybe")
    assert main(["backend"]) == 2
    assert capsys.readouterr().err.startswith("labs backend: LABS_BACKEND='maybe' is not a backend")
