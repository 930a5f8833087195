"""Where the course keeps things on disk, in one place.

`LABS_HOME` (default `<repository>/.labs`, git-ignored) holds trainee state that a lab reset never
deletes: progress, the trainee's own policy files, generated graphs. The repository root is where
`manifests/`, `notebooks/` and the VM's exported `.kube/config` live.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["repo_root", "labs_home", "manifests_dir", "notebooks_dir", "vm_kubeconfig", "LabsHomeError",
           "lab_home", "inside_labs_home", "check_lab_id"]


class LabsHomeError(OSError):
    """LABS_HOME cannot be used (not creatable or writable), or a path would leave it; the message says which."""


_LAB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def repo_root() -> Path:
    """The checkout this package runs from (`LABS_REPO` overrides it, e.g. for tests)."""
    override = os.environ.get("LABS_REPO")
    return Path(override).resolve() if override else Path(__file__).resolve().parent.parent


def labs_home() -> Path:
    """Trainee state that survives resets; created on first use (LabsHomeError when it cannot be)."""
    home = Path(os.environ.get("LABS_HOME") or repo_root() / ".labs")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LabsHomeError(f"LABS_HOME {str(home)!r} cannot be created ({exc.strerror or exc}); set LABS_HOME to a "
                            "folder you can write, for example ~/.labs.") from None
    if not os.access(home, os.W_OK | os.X_OK):
        raise LabsHomeError(f"LABS_HOME {str(home)!r} is not writable; set LABS_HOME to a folder you can write, "
                            "for example ~/.labs.")
    return home


def check_lab_id(lab_id: str) -> str:
    """A lab id is a plain folder name (`04-namespace-isolation`): never a path, absolute or with `..`."""
    if not isinstance(lab_id, str) or not _LAB_ID.fullmatch(lab_id) or lab_id in (".", ".."):
        raise LabsHomeError(f"{lab_id!r} is not a lab id; a lab id is a folder name such as '04-namespace-isolation' "
                            "(letters, digits, '.', '_' and '-'; no '/').")
    return lab_id


def inside_labs_home(path: Path) -> Path:
    """`path` if it stays inside LABS_HOME once symbolic links are followed; LabsHomeError otherwise."""
    home = labs_home().resolve()
    real = Path(path).resolve()
    if real != home and home not in real.parents:
        raise LabsHomeError(f"{str(path)!r} leads to {str(real)!r}, outside LABS_HOME ({str(home)!r}), through a "
                            "symbolic link; nothing was written. Replace the link with a regular file.")
    return Path(path)


def lab_home(lab_id: str) -> Path:
    """The trainee's folder for one lab, `LABS_HOME/<lab_id>`, checked to stay inside LABS_HOME."""
    return inside_labs_home(labs_home() / check_lab_id(lab_id))


def manifests_dir() -> Path:
    return repo_root() / "manifests"


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"


def vm_kubeconfig() -> Path:
    """The kubeconfig the VM exports into the repository (git-ignored, mode 0600)."""
    return repo_root() / ".kube" / "config"
