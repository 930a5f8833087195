"""The live backend: the `Cluster` interface on a real cluster running Cilium.

Modules, in the order a call flows through them: `kubeconfig` (which file and context),
`connect` (bounded reachability, Cilium detection), `api` (bounded REST), `apply` and `wait`,
`probe` (`commands` run by `execpod`, read by `classify`), `hubble` and `correlate`, `facts`,
and `cluster` (`LiveCluster`, which ties them together). Importing this package does not import
the kubernetes client; connecting does.
"""

from __future__ import annotations

from labs.cluster.live.cluster import LiveCluster
from labs.cluster.live.connect import Connection, connect
from labs.cluster.live.kubeconfig import KubeconfigChoice, discover

__all__ = ["LiveCluster", "Connection", "connect", "KubeconfigChoice", "discover"]
