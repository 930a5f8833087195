"""Where the course keeps things on disk, in one place.

`LABS_HOME` (default `<repository>/.labs`, git-ignored) holds trainee state that a lab reset never
deletes: progress, the trainee's own policy files, generated graphs. The repository root is where
`manifests/`, `notebooks/` and the VM's exported `.kube/config` live.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["repo_root", "labs_home", "manifests_dir", "notebooks_dir", "vm_kubeconfig"]


def repo_root() -> Path:
    """The checkout this package runs from (`LABS_REPO` overrides it, e.g. for tests)."""
    override = os.environ.get("LABS_REPO")
    return Path(override).resolve() if override else Path(__file__).resolve().parent.parent


def labs_home() -> Path:
    """Trainee state that survives resets; created on first use."""
    home = Path(os.environ.get("LABS_HOME") or repo_root() / ".labs")
    home.mkdir(parents=True, exist_ok=True)
    return home


def manifests_dir() -> Path:
    return repo_root() / "manifests"


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"


def vm_kubeconfig() -> Path:
    """The kubeconfig the VM exports into the repository (git-ignored, mode 0600)."""
    return repo_root() / ".kube" / "config"
