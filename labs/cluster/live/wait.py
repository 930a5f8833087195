"""Bounded waits: workloads rolled out and pods Ready after an apply, objects gone after a delete.

Applied is not enforced and created is not running: labs probe only after this returns. Each wait
has a deadline the caller sets; on timeout the error lists what is not ready and why (the pods'
waiting reasons such as ImagePullBackOff), and how to look closer.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from labs.cluster.base import ClusterError
from labs.cluster.live.api import KubeApi
from labs.cluster.live.apply import Target
from labs.cluster.live.facts import workload_ready
from labs.cluster.live.progress import NullProgress, Progress

__all__ = ["pod_ready", "pod_problem", "wait_ready", "wait_gone", "WAITED_KINDS"]

WAITED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod")


def pod_ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pod_problem(pod: dict[str, Any]) -> str:
    """Why a pod is not ready, in the words `kubectl get pods` would use."""
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
            msg = waiting.get("message")
            return f"{cs.get('name')}: {waiting['reason']}" + (f" ({msg[:160]})" if msg else "")
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            return f"not scheduled: {cond.get('message') or cond.get('reason')}"
    return f"phase {status.get('phase', 'Unknown')}"


def _state(api: KubeApi, target: Target) -> tuple[bool, str]:
    obj = api.get_or_none(target.path)
    if obj is None:
        return False, "not found"
    if target.kind == "Pod":
        return (True, "Ready") if pod_ready(obj) else (False, pod_problem(obj))
    return workload_ready(obj)


def _pod_reasons(api: KubeApi, namespaces: set[str]) -> list[str]:
    reasons = []
    for ns in sorted(namespaces):
        for pod in api.items(f"/api/v1/namespaces/{ns}/pods"):
            if not pod_ready(pod) and (pod.get("status") or {}).get("phase") != "Succeeded":
                reasons.append(f"Pod {ns}/{pod['metadata']['name']}: {pod_problem(pod)}")
    return reasons


def wait_ready(api: KubeApi, targets: Sequence[Target], *, timeout: float, progress: Progress | None = None,
               interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
    """Wait until every workload and pod among the targets is ready, or raise after `timeout` seconds."""
    waited = [t for t in targets if t.kind in WAITED_KINDS]
    bar = progress or NullProgress()
    deadline = clock() + timeout
    pending: list[tuple[Target, str]] = []
    try:
        while True:
            pending = []
            for target in waited:
                ok, text = _state(api, target)
                if not ok:
                    pending.append((target, text))
            bar.update(len(waited) - len(pending), len(waited),
                       f"waiting for {pending[0][0].label} ({pending[0][1]})" if pending else "ready")
            if not pending:
                return
            if clock() >= deadline:
                break
            time.sleep(max(0.0, min(interval, deadline - clock())))
    finally:
        bar.close()
    lines = [f"Not ready after {timeout:g} s:"]
    lines += [f"  {t.label}: {text}" for t, text in pending]
    shown = {t.label for t, _ in pending}
    lines += [f"  {r}" for r in _pod_reasons(api, {t.namespace for t, _ in pending if t.namespace})
              if r.split(":", 1)[0] not in shown]
    lines.append("Look closer with `kubectl -n <namespace> describe pod <name>`, or wait longer with a larger "
                 "timeout= (e.g. timeout=300 while images are pulled the first time).")
    raise ClusterError("\n".join(lines))


def wait_gone(api: KubeApi, paths: Sequence[tuple[str, str]], *, timeout: float, interval: float = 1.0,
              progress: Progress | None = None, clock: Callable[[], float] = time.monotonic) -> None:
    """Wait until each (label, path) answers 404, or raise after `timeout` seconds naming what remains."""
    bar = progress or NullProgress()
    deadline = clock() + timeout
    remaining = list(paths)
    try:
        while True:
            remaining = [(label, path) for label, path in remaining if api.get_or_none(path) is not None]
            bar.update(len(paths) - len(remaining), len(paths),
                       f"deleting {remaining[0][0]}" if remaining else "deleted")
            if not remaining or clock() >= deadline:
                break
            time.sleep(max(0.0, min(interval, deadline - clock())))
    finally:
        bar.close()
    if remaining:
        names = ", ".join(label for label, _ in remaining)
        raise ClusterError(f"Still being deleted after {timeout:g} s: {names}. Pods may take their grace period "
                           "(30 s by default) to stop; wait and retry, or pass a larger timeout=.")
