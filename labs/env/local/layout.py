"""Where the local cluster keeps its binaries (per version, shared) and its running state (per cluster)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Versions", "read_lock", "pinned_versions", "cache_root", "default_state_dir", "LocalClusterError"]


class LocalClusterError(Exception):
    """The local cluster cannot be built, started or stopped; the message says why and what to do."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Versions:
    kubernetes: str
    """Without the leading v, e.g. 1.35.8."""
    cilium: str

    @property
    def staging(self) -> str:
        """The published k8s.io/<staging> module version of this release: 1.35.8 -> v0.35.8."""
        _major, minor, patch = self.kubernetes.split(".")
        return f"v0.{minor}.{patch}"


def read_lock(path: Path) -> dict[str, str]:
    """versions.lock as a dict: KEY=VALUE lines, '#' comments, nothing sourced."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key:
            raise LocalClusterError(f"{path}:{number}: expected KEY=VALUE, got {line!r}", exit_code=2)
        values[key] = value
    return values


def pinned_versions(lock: Path | None = None) -> Versions:
    path = lock or Path(__file__).resolve().parents[3] / "versions.lock"
    values = read_lock(path)
    try:
        return Versions(kubernetes=values["KUBERNETES_VERSION"], cilium=values["CILIUM_VERSION"])
    except KeyError as exc:
        raise LocalClusterError(f"{path}: {exc.args[0]} is missing", exit_code=2) from None


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ciliumlab" / "local-cluster"


def default_state_dir() -> Path:
    """LABS_LOCAL_CLUSTER_DIR, or the user's state directory: one cluster per directory."""
    if os.environ.get("LABS_LOCAL_CLUSTER_DIR"):
        return Path(os.environ["LABS_LOCAL_CLUSTER_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ciliumlab" / "local-cluster"
