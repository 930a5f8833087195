"""Shared fixtures: a small simulated cluster builder used across test areas."""

from __future__ import annotations

import textwrap

import pytest

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
