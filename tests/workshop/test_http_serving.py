"""Stopping the workshop's HTTP services: bounded, open work aborted, nothing left serving."""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler

import pytest

from labs.workshop.http_serving import TrackedHTTPServer, serve_until_interrupted, stop_serving


def held_server(release: threading.Event) -> tuple[TrackedHTTPServer, threading.Event]:
    """A server whose requests wait for `release` (work in progress); `entered` is set once one waits."""
    entered = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            entered.set()
            answered = release.wait(30)
            data = (b"released" if answered else b"late")
            self.send_response(503 if answered else 200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = TrackedHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, entered


def open_request(url: str) -> tuple[threading.Thread, list]:
    answers: list = []

    def ask() -> None:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                answers.append((response.status, response.read()))
        except urllib.error.HTTPError as exc:
            answers.append((exc.code, exc.read()))
        except OSError as exc:
            answers.append(exc)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    return thread, answers


def test_an_open_request_is_aborted_and_answered_then_new_connections_are_refused():
    release = threading.Event()
    server, entered = held_server(release)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    client, answers = open_request(url)
    assert entered.wait(10)
    assert server.active_requests == 1
    started = time.monotonic()
    assert stop_serving(server, abort=release.set, grace=5.0) == 0
    assert time.monotonic() - started < 2.0
    client.join(5)
    assert answers == [(503, b"released")]
    assert server.active_requests == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_a_request_that_ignores_the_abort_is_left_after_the_grace_period():
    release = threading.Event()
    server, entered = held_server(release)
    client, _ = open_request(f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        assert entered.wait(10)
        started = time.monotonic()
        assert stop_serving(server, abort=lambda: None, grace=0.3) == 1
        assert 0.3 <= time.monotonic() - started < 2.0
    finally:
        release.set()
        client.join(5)
    assert server.wait_idle(5) == 0


def test_sigterm_stops_the_service_as_ctrl_c_does_and_the_handler_is_put_back():
    """`kill PID` (SIGTERM) ends serve_until_interrupted with the same bounded stop; the process's own SIGTERM
    handler is restored afterwards. A service started by `nohup ... &` has SIGINT ignored: SIGTERM is its stop."""
    release = threading.Event()
    server, _ = held_server(release)
    server.shutdown()  # held_server started its own loop; serve_until_interrupted runs the one under test
    before = signal.getsignal(signal.SIGTERM)
    aborted: list[bool] = []
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    try:
        still_open = serve_until_interrupted(server, abort=lambda: aborted.append(True), grace=1.0,
                                             poll_interval=0.05)
    finally:
        release.set()
    assert still_open == 0 and aborted == [True]
    assert signal.getsignal(signal.SIGTERM) == before
    with pytest.raises(OSError):  # the listening socket is closed: nothing is left serving
        urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/", timeout=2)
