"""Shared fixtures: a small simulated cluster builder used across test areas."""

from __future__ import annotations

import textwrap

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep `xdist_group` working under pytest 9: pytest-xdist 3.8 (`--dist loadgroup`) puts the group into
    `item._nodeid`, which pytest 9 no longer reads (`Node.nodeid` is `str(self._id)`), so every group was
    silently spread over the workers: the node-cluster tests ran on two workers at once against one cluster,
    one worker's teardown deleting the namespace and policies the other was probing (docs/live.md). The suffix
    `@<group>` is what xdist's LoadGroupScheduling splits on."""
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import coerce_node_id
    except ImportError:  # pytest 8: xdist's own suffix is read
        return

    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix):
            item._id = coerce_node_id(item.nodeid + suffix)

WORKLOADS = textwrap.dedent("""
    apiVersion: v1
    kind: Namespace
    metadata: {name: frontend, labels: {team: web}}
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: backend}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: frontend, labels: {app: web}}
    spec: {containers: [{name: c, image: "curlimages/curl:8.10.1"}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: other, namespace: frontend, labels: {app: other}}
    spec: {containers: [{name: c, image: "curlimages/curl:8.10.1"}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: api, namespace: backend, labels: {app: api}}
    spec: {containers: [{name: c, image: "nginx:1.27", ports: [{containerPort: 8080, name: http}]}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: api, namespace: backend}
    spec: {selector: {app: api}, ports: [{port: 80, targetPort: http}]}
""")


@pytest.fixture
def workloads_yaml() -> str:
    """The YAML text the `sim` fixture applies."""
    return WORKLOADS


@pytest.fixture
def sim():
    """A SimCluster with frontend/web, frontend/other, backend/api (+ Service) and two external names."""
    from labs.cluster.sim import SimCluster

    cluster = SimCluster(external={"api.stripe.com": "198.51.100.20", "evil.example.com": "198.51.100.66"})
    cluster.apply(WORKLOADS)
    return cluster
