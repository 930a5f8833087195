"""The simulated backend: `SimCluster`, an in-process cluster enforcing Cilium policy semantics."""

from labs.cluster.sim.cluster import CILIUM_VERSION, SimCluster

__all__ = ["CILIUM_VERSION", "SimCluster"]
