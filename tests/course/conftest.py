"""Fixtures for the course tests: a private LABS_HOME and labs opened on the simulated backend."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """Every test gets its own LABS_HOME and starts outside solve mode."""
    home = tmp_path / "labs-home"
    monkeypatch.setenv("LABS_HOME", str(home))
    monkeypatch.delenv("LABS_SOLVE", raising=False)
    return home


@pytest.fixture
def open_sim():
    from labs.course import open_lab

    def _open(lab_id: str):
        lab = open_lab(lab_id, backend="sim")
        assert lab.deploy().ok
        return lab

    return _open
