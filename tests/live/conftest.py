"""Fixtures for the live backend: an isolated environment, a stub API server, and a kubeconfig for it."""

from __future__ import annotations

import pytest
from live_stub import KubeStub


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real kubeconfig or agent can leak in: repository, HOME and KUBECONFIG point into tmp_path."""
    repo = tmp_path / "repo"
    home = tmp_path / "home"
    repo.mkdir()
    home.mkdir()
    monkeypatch.setenv("LABS_REPO", str(repo))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("LABS_KUBE_CONTEXT", raising=False)
    monkeypatch.delenv("LABS_BACKEND", raising=False)
    monkeypatch.delenv("LABS_TRAINEE", raising=False)
    monkeypatch.delenv("CILIUM_SOCK", raising=False)  # a sourced cilium.env would send waits to a host agent
    monkeypatch.delenv("HUBBLE_SERVER", raising=False)
    return tmp_path


@pytest.fixture
def stub():
    server = KubeStub().start()
    yield server
    server.stop()


@pytest.fixture
def live_api(stub, isolated):
    """A connected KubeApi to the stub through the repository's .kube/config."""
    from labs.cluster.live.connect import connect

    stub.write_kubeconfig(isolated / "repo" / ".kube" / "config")
    return connect(timeout=5.0).api
