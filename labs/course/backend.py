"""Which cluster a lab runs on: the project's backend selection, or the simulated cluster.

`labs.cluster.select.get_cluster()` decides between the live cluster and the simulator
(`LABS_BACKEND=auto|live|sim`) and says why; `backend="sim"` forces the simulator, e.g. as the
offline stand-in of a lab that needs the internet.
"""

from __future__ import annotations

import inspect
from typing import Any

from labs.cluster.base import Cluster

__all__ = ["choose_cluster", "sim_cluster"]


def sim_cluster(reason: str, **options: Any) -> Cluster:
    from labs.cluster.sim import SimCluster

    return SimCluster(reason=reason, **options)


def choose_cluster(backend: str | None = None) -> Cluster:
    """The cluster to use; `backend` is None (the project default), "auto", "live" or "sim"."""
    if backend not in (None, "auto", "live", "sim"):
        raise ValueError(f"backend {backend!r} is not one of auto, live, sim")
    if backend == "sim":
        return sim_cluster("the simulated backend was asked for (backend='sim')")
    try:
        from labs.cluster.select import get_cluster
    except ImportError:
        if backend == "live":
            raise RuntimeError("this version has no live backend selection (labs.cluster.select is missing); "
                               "use backend='sim'") from None
        return sim_cluster("simulated cluster: this version has no live backend selection")
    if backend is None:
        return get_cluster()
    params = inspect.signature(get_cluster).parameters
    if "backend" in params:
        return get_cluster(backend=backend)
    return get_cluster(backend)
