"""`from: world` on the live backend: a real HTTP request from this process to a node's NodePort.

The "node" here is 127.0.0.1 with a real socket on it: an HTTP server answering 200, one answering
403 "Access denied" as Cilium's proxy does, one that accepts and never answers (a policy drop looks
like this), and a closed port. Only the Kubernetes API is a small in-memory stand-in.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from labs.cluster.live.outside import entry_address, node_port, request_outcome, run_outside
from labs.outcomes import Outcome
from labs.probes import Probe, parse_target


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        denied = self.server.denied  # type: ignore[attr-defined]
        body = b"Access denied\r\n" if denied else b"entry point of A\n"
        self.send_response(403 if denied else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def http_server():
    servers = []

    def start(denied: bool = False) -> int:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.denied = denied  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers (what a dropped reply looks like to a client)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


PROBE = Probe("world", parse_target("svc:segregation/entry-a"), 80)


def test_an_answer_is_allowed_and_the_proxys_403_is_l7_denied(http_server):
    found = request_outcome("127.0.0.1", http_server(), PROBE, 2.0)
    assert found.outcome is Outcome.ALLOWED and found.detail["http_status"] == 200
    found = request_outcome("127.0.0.1", http_server(denied=True), PROBE, 2.0)
    assert found.outcome is Outcome.L7_DENIED and "Access denied" in found.reason


def test_no_answer_within_the_timeout_is_dropped_and_a_closed_port_is_an_error(silent_port):
    found = request_outcome("127.0.0.1", silent_port, PROBE, 0.5)
    assert found.outcome is Outcome.DROPPED and "within 0.5 s" in found.reason
    found = request_outcome("127.0.0.1", _closed_port(), PROBE, 0.5)
    assert found.outcome is Outcome.ERROR and "refused" in found.reason


def _node(name: str, ip: str, control_plane: bool = False) -> dict:
    labels = {"node-role.kubernetes.io/control-plane": ""} if control_plane else {}
    return {"metadata": {"name": name, "labels": labels},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def test_the_entry_node_is_the_first_worker():
    nodes = [_node("cp", "192.168.56.10", True), _node("w2", "192.168.56.12"), _node("w1", "192.168.56.11")]
    assert entry_address(nodes) == ("w1", "192.168.56.11")
    assert entry_address([_node("cp", "192.168.56.10", True)]) == ("cp", "192.168.56.10")


class _Api:
    def __init__(self, service: dict | None, nodes: list[dict]):
        self.service, self.nodes = service, nodes

    def get_or_none(self, path: str):
        return self.service if path.endswith("/services/entry-a") else None

    def items(self, path: str, **_kw):
        return self.nodes


def _service(kind: str, node_port_number: int | None) -> dict:
    port = {"name": "http", "port": 80, "targetPort": 80}
    if node_port_number:
        port["nodePort"] = node_port_number
    return {"spec": {"type": kind, "ports": [port]}}


def test_a_world_probe_goes_to_the_entry_nodes_node_port(http_server):
    port = http_server()
    api = _Api(_service("NodePort", port), [_node("worker", "127.0.0.1")])
    found = run_outside(api, PROBE, 2.0)
    assert found.outcome is Outcome.ALLOWED, found.reason
    assert found.detail["destination"] == f"NodePort 127.0.0.1:{port} on node worker"
    assert node_port(_service("NodePort", 30080), "segregation/entry-a", "http") == 30080


@pytest.mark.parametrize(("probe", "service", "reason"), [
    (PROBE, _service("ClusterIP", None), "is of type ClusterIP: only a NodePort or LoadBalancer Service"),
    (PROBE, None, "the Service 'segregation/entry-a' does not exist"),
    (Probe("world", parse_target("segregation/entry-a"), 80), None, "pod addresses are not routed outside"),
    (Probe("host", parse_target("svc:segregation/entry-a"), 80), None, "a probe from host runs on a node"),
    (Probe("world", parse_target("fqdn:example.com"), 80), None, "goes to a NodePort Service"),
])
def test_world_probes_that_cannot_run_here_are_errors_with_the_reason(probe, service, reason):
    found = run_outside(_Api(service, [_node("worker", "127.0.0.1")]), probe, 1.0)
    assert found.outcome is Outcome.ERROR and reason in found.reason
