"""Serve HTTP until Ctrl-C, then stop within a bounded time, leaving nothing running.

A plain `serve_forever()` in the main thread stops badly: the KeyboardInterrupt lands wherever the
main thread happens to be (even half-way through starting a handler thread), and the interpreter then
waits at exit for every non-daemon thread, such as a thread pool's workers still reading Hubble in an
agent, until their own deadlines pass (20 s for a Hubble read). Here the accept loop runs in a thread
of its own and the main thread only waits, so Ctrl-C always interrupts a wait; then the listening socket
is closed, the work of the requests still open is aborted (`abort`, e.g. `KubernetesExec.stop`), and
those requests get `grace` seconds to send their answer.

SIGTERM (`kill PID`) stops the same way. It matters because a service started in the background from a
script (`nohup ... &`) inherits SIGINT *ignored*, and Python then installs no Ctrl-C handler at all.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from http.server import ThreadingHTTPServer
from typing import Any, Callable

__all__ = ["TrackedHTTPServer", "serve_until_interrupted", "stop_serving", "DEFAULT_STOP_GRACE"]

DEFAULT_STOP_GRACE = 5.0


class TrackedHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that counts the requests being answered, so a stop can wait for them."""

    daemon_threads = True  # a request still open after the grace period does not hold the process
    block_on_close = False  # server_close() never waits; `wait_idle` does, with a bound

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle = threading.Condition()
        self._active = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._idle:  # counted before the handler thread starts, so a stop cannot miss it
            self._active += 1
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._finished()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    @property
    def active_requests(self) -> int:
        with self._idle:
            return self._active

    def wait_idle(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for the open requests to finish; how many are still open."""
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout)
            return self._active


def serve_until_interrupted(server: TrackedHTTPServer, *, abort: Callable[[], None],
                            grace: float = DEFAULT_STOP_GRACE, poll_interval: float = 0.2) -> int:
    """Serve until Ctrl-C (KeyboardInterrupt), then `stop_serving`: the requests still open after `grace` s."""
    loop = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval},
                            name="http-accept", daemon=True)
    with _sigterm_interrupts():
        loop.start()
        try:
            while loop.is_alive():
                loop.join(0.5)
        except KeyboardInterrupt:
            pass
        return stop_serving(server, abort=abort, grace=grace)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _sigterm_interrupts() -> Any:
    """While serving, SIGTERM raises KeyboardInterrupt in the main thread, as Ctrl-C does; restored after.

    Signal handlers can only be set from the main thread; elsewhere (a test serving in a thread) nothing
    changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stop_serving(server: TrackedHTTPServer, *, abort: Callable[[], None], grace: float) -> int:
    """End the accept loop, refuse new connections, abort open work, give open requests `grace` s to answer.

    Returns how many are still open. A second Ctrl-C while stopping ends the wait at once."""
    try:
        server.shutdown()  # the accept loop ends within its poll interval
        server.server_close()  # new connections are refused from here on
        abort()
        return server.wait_idle(grace)
    except KeyboardInterrupt:
        server.server_close()
        abort()
        return server.active_requests
