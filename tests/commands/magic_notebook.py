"""A real notebook kernel running the course's magics on a simulated cluster: the set-up the magic tests share.

The first cell builds the cluster (the shared workloads plus DENY_API), hands it to the magics and sends one
dropped probe (frontend/other -> backend/api:8080), so `hubble observe` has a flow to print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DENY_API = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-from-web, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress: [{fromEndpoints: [{matchLabels: {app: web, k8s:io.kubernetes.pod.namespace: frontend}}]}]
"""


def sim_cluster_cell(workloads: str) -> str:
    """The first cell: a SimCluster with `workloads` and DENY_API, set as the magics' cluster, one drop sent."""
    return ("import labs.commands\nfrom labs.cluster.sim import SimCluster\n"
            "from labs.probes import Probe, parse_target\n"
            f"cluster = SimCluster()\ncluster.apply({workloads!r})\ncluster.apply({DENY_API!r})\n"
            "labs.commands.CLUSTER = cluster\n"
            "cluster.probe(Probe('frontend/other', parse_target('backend/api'), 8080))")


def execute_cells(cells: list[str], path: Path) -> Any:
    """Run `cells` in a fresh python3 kernel in `path` (the course's hermetic environment); the executed notebook."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    from labs.course.notebook_run import hermetic_env

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path)}})
    client.execute(env=hermetic_env(path / "scratch", solve=False))
    return nb
