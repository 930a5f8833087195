"""Choose the backend: `LABS_BACKEND=auto|live|sim` (default auto).

auto uses the live cluster when a kubeconfig (the VM's `.kube/config` first, then `KUBECONFIG`,
then `~/.kube/config`) reaches an API server with Cilium installed within `timeout` seconds, and
the simulated cluster otherwise. Either way the reason is one sentence, shown by every notebook
(`ClusterInfo.reason`) and by `python -m labs backend`.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from dataclasses import dataclass
from typing import Any

from labs.cluster.base import Cluster, ClusterError, ClusterInfo

__all__ = ["BACKEND_ENV", "BACKENDS", "Choice", "choose", "get_cluster", "describe_choice", "parse_backend"]

BACKEND_ENV = "LABS_BACKEND"
BACKENDS = ("auto", "live", "sim")


@dataclass(frozen=True)
class Choice:
    backend: str
    """"live" or "sim"."""
    reason: str
    connection: Any = None
    """The `labs.cluster.live.Connection` when live."""


def parse_backend(value: str | None) -> str:
    mode = (value if value is not None else os.environ.get(BACKEND_ENV, "")).strip().lower() or "auto"
    if mode not in BACKENDS:
        origin = "backend" if value is not None else BACKEND_ENV
        raise ValueError(f"{origin}={mode!r} is not a backend; use one of: {', '.join(BACKENDS)} "
                         "(auto picks the live cluster when one answers, else the simulated one).")
    return mode


def choose(backend: str | None = None, *, timeout: float = 5.0) -> Choice:
    """Decide live or sim and say why; with `live`, failures raise ClusterError instead of falling back."""
    mode = parse_backend(backend)
    origin = f"backend={mode!r}" if backend is not None else f"{BACKEND_ENV}={mode}"
    if mode == "sim":
        return Choice("sim", f"simulated: {origin} was asked for")
    from labs.cluster.live.api import ApiUnreachable, ClientUnsuitable
    from labs.cluster.live.connect import connect, no_kubeconfig_message
    from labs.cluster.live.kubeconfig import discover

    def fallback(why: str, exc: Exception) -> Choice:
        if mode == "live":
            raise exc
        return Choice("sim", f"simulated: {why}")

    try:
        found = discover()
    except ClusterError as exc:
        return fallback(str(exc), exc)
    if found is None:
        looked = no_kubeconfig_message()
        return fallback("no kubeconfig found (" + looked.split("(", 1)[1].split(")", 1)[0] + ")",
                        ClusterError(looked))
    try:
        conn = connect(found, timeout=timeout)
    except ClientUnsuitable:
        raise  # the course's own environment is wrong: say so, whatever the backend mode
    except ApiUnreachable as exc:
        return fallback(f"no cluster reachable at {found.server} ({found.label}): {exc.why}", exc)
    except ClusterError as exc:
        return fallback(f"the cluster at {found.server} ({found.label}) did not answer properly: {exc}", exc)
    if not conn.cilium_installed:
        missing = ClusterError(f"The cluster at {found.server!r} ({found.label}) answers, but Cilium is not "
                               "installed; provision it with `vagrant up --provision`, or set LABS_BACKEND=sim.")
        return fallback(f"the cluster at {found.server} ({found.label}) has no Cilium installed", missing)
    version = conn.cilium_version or "version unknown"
    return Choice("live", f"live: {found.server} ({found.label}, context {found.context!r}), Cilium {version}", conn)


class _Explained:
    """Wraps a cluster so that `info().reason` says why it was chosen (when it cannot take a reason itself)."""

    def __init__(self, inner: Any, reason: str):
        self._inner = inner
        self._reason = reason
        self.backend = inner.backend

    def info(self) -> ClusterInfo:
        return dataclasses.replace(self._inner.info(), reason=self._reason)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _simulated(reason: str) -> Cluster:
    from labs.cluster.sim import SimCluster

    try:
        accepts_reason = "reason" in inspect.signature(SimCluster).parameters
    except (TypeError, ValueError):
        accepts_reason = False
    if accepts_reason:
        return SimCluster(reason=reason)
    return _Explained(SimCluster(), reason)


def get_cluster(backend: str | None = None, *, timeout: float = 5.0) -> Cluster:
    """The cluster the labs run on; `backend` overrides LABS_BACKEND."""
    choice = choose(backend, timeout=timeout)
    if choice.backend == "live":
        from labs.cluster.live import LiveCluster

        return LiveCluster(choice.connection, reason=choice.reason)
    return _simulated(choice.reason)


def describe_choice(backend: str | None = None, *, timeout: float = 5.0) -> str:
    """The sentence saying which backend the labs will use and why, without building the cluster."""
    try:
        return choose(backend, timeout=timeout).reason
    except ClusterError as exc:
        return f"live backend unavailable: {exc}"
