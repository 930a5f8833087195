"""Reaching the API server: bounded failures with the exact advice, and Cilium detection on a stub."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from labs.cluster.base import ClusterError
from labs.cluster.live.api import ApiError, ApiUnreachable
from labs.cluster.live.connect import connect, image_version
from labs.cluster.live.kubeconfig import discover


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def kubeconfig_for(stubless_server: str, isolated):
    from live_stub import KubeStub

    stub = KubeStub()  # only its kubeconfig writer is used; it is never started
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config", server=stubless_server)
    stub.server.server_close()
    return discover()


ADVICE = ("If the course VM should be running, start it with `vagrant up` and check it with `vagrant status`; if it "
          "is running, check that no VPN or proxy captures 127.0.0.1 (add it to NO_PROXY). To work without a "
          "cluster, set LABS_BACKEND=sim.")


@pytest.mark.parametrize("scheme", ["https", "http"], ids=["tls-handshake-hangs", "http-answer-never-comes"])
def test_silent_server_fails_within_the_timeout(isolated, silent_server, scheme):
    import kubernetes.client  # noqa: F401  (import cost must not count against the timeout)

    server = f"{scheme}://127.0.0.1:{silent_server}"
    choice = kubeconfig_for(server, isolated)
    started = time.monotonic()
    with pytest.raises(ApiUnreachable) as err:
        connect(choice, timeout=0.5)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, f"took {elapsed:.2f} s for a 0.5 s timeout"
    assert str(err.value) == (f"Cannot reach the Kubernetes API server at {server!r} (kubeconfig .kube/config, "
                              f"context 'ciliumlab'): no answer within 0.5 s. " + ADVICE)
    assert err.value.why == "no answer within 0.5 s"


def test_refused_connection_is_reported_at_once(isolated):
    server = f"https://127.0.0.1:{free_port()}"
    choice = kubeconfig_for(server, isolated)
    started = time.monotonic()
    with pytest.raises(ApiUnreachable) as err:
        connect(choice, timeout=5)
    assert time.monotonic() - started < 2
    assert err.value.why == "connection refused within 5 s"
    assert str(err.value).startswith(f"Cannot reach the Kubernetes API server at {server!r} (kubeconfig "
                                     ".kube/config, context 'ciliumlab'): connection refused within 5 s. ")


def test_no_kubeconfig_message(isolated):
    with pytest.raises(ClusterError) as err:
        connect()
    assert str(err.value) == ("No kubeconfig found (looked in: .kube/config, ~/.kube/config). Start the course VM "
                              "with `vagrant up`, which exports .kube/config into the repository, or set KUBECONFIG "
                              "to your cluster's kubeconfig.")


def test_stub_with_cilium(stub, isolated):
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    conn = connect()
    assert (conn.kubernetes_version, conn.cilium_installed, conn.cilium_version) == ("v1.35.2", True, "1.19.5")


def test_stub_without_cilium(isolated):
    from live_stub import KubeStub

    bare = KubeStub(cilium=False).start()
    try:
        bare.write_kubeconfig(isolated / "repo" / ".kube" / "config")
        conn = connect()
        assert (conn.cilium_installed, conn.cilium_version) == (False, None)
    finally:
        bare.stop()


def test_rejected_credentials(stub, isolated):
    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    stub.token = "another"
    with pytest.raises(ApiError) as err:
        connect()
    assert str(err.value) == ("The API server refused GET /version: HTTP 401 Unauthorized: Unauthorized. The "
                              "credentials in the kubeconfig were not accepted; export it again with `vagrant up`.")


VERSIONS = [
    ("digest", "quay.io/cilium/cilium:v1.19.5@sha256:20fbbc14", "1.19.5"),
    ("plain-tag", "quay.io/cilium/cilium:v1.20.2", "1.20.2"),
    ("registry-port", "registry.local:5000/cilium/cilium:v1.18.11", "1.18.11"),
    ("no-tag", "quay.io/cilium/cilium", None),
]


@pytest.mark.parametrize(("image", "version"), [c[1:] for c in VERSIONS], ids=[c[0] for c in VERSIONS])
def test_cilium_version_from_image(image, version):
    assert image_version(image) == version


def test_the_requirements_pin_a_client_that_has_what_the_code_calls():
    """`ApiClient.param_serialize` first appears in kubernetes 37.0.0 (checked on the 36.0.0 and 37.0.0 wheels)."""
    import re
    from pathlib import Path

    import kubernetes
    from kubernetes.client import ApiClient

    from labs.cluster.live.api import CLIENT_RANGE, check_client_version

    root = Path(__file__).resolve().parents[2]
    for path, pattern in ((root / "requirements.txt", r"^kubernetes(>=[^\s#]+)"),
                          (root / "pyproject.toml", r'^\s*"kubernetes(>=[^"]+)"')):
        spec = re.search(pattern, path.read_text(), re.M)
        assert spec and spec.group(1) == f">={CLIENT_RANGE[0]}.0.0,<{CLIENT_RANGE[1]}", path.name
    assert check_client_version() == kubernetes.__version__
    assert callable(getattr(ApiClient, "param_serialize", None))


@pytest.mark.parametrize("version", ["30.1.0", "36.0.0", "38.0.0", "unknown"])
def test_an_unsuitable_client_fails_loudly_in_every_backend_mode(stub, isolated, monkeypatch, version):
    import kubernetes

    from labs.cluster.live.api import ClientUnsuitable
    from labs.cluster.select import choose

    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    monkeypatch.setattr(kubernetes, "__version__", version)
    for mode in ("auto", "live"):
        with pytest.raises(ClientUnsuitable) as err:
            choose(mode)
        assert str(err.value) == (
            f"The installed kubernetes Python client is version {version}; the course needs >=37.0.0,<38 "
            "(requirements.txt). Install it with `python -m pip install -r requirements.txt` in the course's "
            "virtual environment (scripts/start-course does this).")


def test_a_programming_error_in_a_call_is_not_reported_as_unreachable(live_api):
    """A client without param_serialize (kubernetes 30-36) used to read as 'Cannot reach the API server'."""

    class OldClient:
        configuration = None

        def call_api(self, *args, **kwargs):
            raise AssertionError("not reached")

    live_api.client = OldClient()
    with pytest.raises(AttributeError):
        live_api.get("/version")
