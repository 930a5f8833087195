"""The simulated cluster the cilium command tests share: backend/api admits frontend/web only (CNP api-in)."""

from __future__ import annotations

import pytest

API_IN = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-in, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress: [{fromEndpoints: [{matchLabels: {app: web}}]}]
"""


@pytest.fixture
def api_in_policy() -> str:
    """The CNP `api-in` as YAML, for a test that applies it again (renamed) to change the agent's policy."""
    return API_IN


@pytest.fixture
def cluster(sim, api_in_policy):
    """The shared simulated cluster (`sim`) with `api-in` applied."""
    sim.apply(api_in_policy)
    return sim
