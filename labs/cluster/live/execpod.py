"""Running a command in a pod: one small interface, one thin real implementation.

Probes, Hubble reads and `cilium-dbg status` all go through `PodExec.run`, so their logic is
tested with a fake that returns recorded outputs; `KubernetesExec` only moves bytes over the
websocket exec channel of the kubernetes client and enforces the deadline.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol, Sequence, runtime_checkable

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
    """The real implementation: the API server's exec subresource over a websocket."""

    api_client: Any
    """A `kubernetes.client.ApiClient`."""

    def run(self, namespace: str, pod: str, argv: Sequence[str], *, container: str | None = None,
            timeout: float) -> ExecResult:
        from kubernetes import client
        from kubernetes.stream import stream

        core = client.CoreV1Api(self.api_client)
        kwargs: dict[str, Any] = {"command": list(argv), "stderr": True, "stdin": False, "stdout": True,
                                  "tty": False, "_preload_content": False, "_request_timeout": timeout}
        if container:
            kwargs["container"] = container
        try:
            resp = stream(core.connect_get_namespaced_pod_exec, pod, namespace, **kwargs)
        except Exception as exc:
            status = getattr(exc, "status", None)
            body = getattr(exc, "body", None) or str(exc)
            return ExecResult(None, error=f"exec in {namespace}/{pod} failed"
                              + (f" (HTTP {status})" if status else "") + f": {str(body).strip()[:300]}")
        out: list[str] = []
        err: list[str] = []
        deadline = time.monotonic() + timeout
        try:
            while resp.is_open():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                resp.update(timeout=min(remaining, 0.5))
                if resp.peek_stdout():
                    out.append(resp.read_stdout())
                if resp.peek_stderr():
                    err.append(resp.read_stderr())
            finished = not resp.is_open()
            if finished:
                out.append(resp.read_stdout() if resp.peek_stdout() else "")
                err.append(resp.read_stderr() if resp.peek_stderr() else "")
                code, failure = exit_status(resp.read_channel(3))
                if failure:
                    return ExecResult(None, "".join(out), "".join(err),
                                      error=f"exec in {namespace}/{pod} failed: {failure}")
            else:
                code = None
        except Exception as exc:
            return ExecResult(None, "".join(out), "".join(err), error=f"exec in {namespace}/{pod} broke off: {exc}")
        finally:
            with contextlib.suppress(Exception):  # closing a dead socket is not worth reporting
                resp.close()
        return ExecResult(code, "".join(out), "".join(err), timed_out=not finished)
