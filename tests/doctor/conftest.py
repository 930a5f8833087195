"""The doctor's cluster checks use the live backend's stub API server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "live"))


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.setenv("LABS_REPO", str(repo))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("LABS_KUBE_CONTEXT", raising=False)
    return tmp_path


@pytest.fixture
def stub():
    from live_stub import KubeStub

    server = KubeStub().start()
    yield server
    server.stop()
