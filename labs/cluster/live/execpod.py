"""Running a command in a pod: one small interface, one thin real implementation.

Probes, Hubble reads and `cilium-dbg status` all go through `PodExec.run`, so their logic is
tested with a fake that returns recorded outputs; `KubernetesExec` only moves bytes over the
exec subresource's websocket (`wsexec`) and enforces the deadlines.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

from labs.cluster.live.api import describe_transport_error
from labs.cluster.live.wsexec import DEFAULT_CONNECT_TIMEOUT, exec_url_and_headers, open_exec_socket, read_channels

__all__ = ["ExecResult", "PodExec", "KubernetesExec", "exit_status"]


@dataclass(frozen=True)
class ExecResult:
    """What a command in a pod did. `exit_code` is None when it did not finish or could not start."""

    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    """The deadline passed before the command ended (it was abandoned)."""
    error: str | None = None
    """Why the command could not be run at all (pod gone, container missing, exec refused)."""


@runtime_checkable
class PodExec(Protocol):
    """Run argv in a container of a pod, giving up after `timeout` seconds."""

    def run(self, namespace: str, pod: str, argv: Sequence[str], *, container: str | None = None,
            timeout: float) -> ExecResult: ...


def exit_status(status_text: str) -> tuple[int | None, str | None]:
    """Read the exec error channel (a metav1.Status): (exit code, None) or (None, why it could not run)."""
    if not status_text.strip():
        return None, "the API server closed the exec stream without an exit status"
    try:
        status = json.loads(status_text)
    except ValueError:
        return None, f"unreadable exec status {status_text[:200]!r}"
    if status.get("status") == "Success":
        return 0, None
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message")), None
            except (TypeError, ValueError):
                break
    return None, str(status.get("message") or status_text).strip()


@dataclass
class KubernetesExec:
    """The real implementation: the API server's exec subresource, one websocket per command.

    Safe to call from many threads at once: the shared ApiClient is only read (see `wsexec`), and the
    connect and handshake are bounded by `connect_timeout`, the whole command by `timeout`. `stop()`
    ends every command still running at once, so a stopping server does not wait out their deadlines.
    """

    api_client: Any
    """A `kubernetes.client.ApiClient` (its configuration: server, TLS, token, proxy)."""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    _open: set[Any] = field(default_factory=set, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _stopped: bool = field(default=False, init=False, repr=False, compare=False)

    def stop(self) -> None:
        """Abort every command being read (its `run` returns at once, with an error) and refuse new ones.

        A command still connecting is refused once connected, so that one waits at most `connect_timeout`."""
        with self._lock:
            self._stopped = True
            sockets = list(self._open)
        for ws in sockets:
            ws.abort()  # shuts the socket down: the reading thread's recv returns now

    def run(self, namespace: str, pod: str, argv: Sequence[str], *, container: str | None = None,
            timeout: float) -> ExecResult:
        where = f"{namespace}/{pod}"
        stopped = ExecResult(None, error=f"exec in {where} was stopped (the command is shutting down)")
        if self._stopped:
            return stopped
        deadline = time.monotonic() + timeout
        try:
            url, header = exec_url_and_headers(self.api_client, namespace, pod, argv, container)
        except Exception as exc:  # the configuration cannot produce a request (e.g. a failing token plugin)
            return ExecResult(None, error=f"exec in {where} could not be prepared: {exc}")
        limit = max(0.1, min(self.connect_timeout, timeout))
        try:
            ws = open_exec_socket(self.api_client, url, header, connect_timeout=limit)
        except Exception as exc:
            return stopped if self._stopped else ExecResult(
                None, error=f"exec in {where} failed{_connect_failure(exc, limit)}")
        with self._lock:
            registered = not self._stopped
            if registered:
                self._open.add(ws)
        try:
            if not registered:
                return stopped
            streams = read_channels(ws, deadline=deadline)
        except Exception as exc:
            return stopped if self._stopped else ExecResult(None, error=f"exec in {where} broke off: {exc}")
        finally:
            with self._lock:
                self._open.discard(ws)
            with contextlib.suppress(Exception):  # closing a dead socket is not worth reporting
                ws.close(timeout=0.5)
        if self._stopped and not streams.text(3):  # aborted by stop() before the exit status came
            return stopped
        stdout, stderr = streams.text(1), streams.text(2)
        if not streams.finished:
            return ExecResult(None, stdout, stderr, timed_out=True)
        code, failure = exit_status(streams.text(3))
        if failure:
            return ExecResult(None, stdout, stderr, error=f"exec in {where} failed: {failure}")
        return ExecResult(code, stdout, stderr)


def _connect_failure(exc: BaseException, limit: float) -> str:
    """` (HTTP 403): message` for a refused upgrade, `: no answer within 5 s` for a silent server."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        body = getattr(exc, "resp_body", None) or b""
        text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
        with contextlib.suppress(ValueError, AttributeError):
            text = json.loads(text).get("message") or text
        return f" (HTTP {status}): {str(text).strip()[:300] or exc}"
    return f": {describe_transport_error(exc, limit)}"
