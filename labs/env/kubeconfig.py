"""Exporting the cluster's kubeconfig to <repo>/.kube/config for the notebooks.

Provisioning already writes it through the synced folder; this copy goes over `vagrant ssh`, so it also
works with one-way (rsync) synced folders. The file is cluster-admin: written atomically, mode 0600.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from labs.env.errors import EnvError
from labs.env.vagrant import CONTROL_PLANE, Vagrant

__all__ = ["export_kubeconfig", "check_kubeconfig"]

ADMIN_CONF = "/etc/kubernetes/admin.conf"


def check_kubeconfig(text: str) -> str:
    """The API server URL of a kubeconfig; EnvError when `text` is not one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EnvError(f"the control plane returned something that is not YAML for {ADMIN_CONF}: {exc}") from exc
    clusters = data.get("clusters") if isinstance(data, dict) else None
    if not (isinstance(data, dict) and data.get("kind") == "Config" and clusters):
        raise EnvError(f"{ADMIN_CONF} on the control plane is not a kubeconfig (no kind: Config with clusters); "
                       "is the cluster initialised? Run 'vagrant provision control-plane'.")
    return str(clusters[0].get("cluster", {}).get("server", ""))


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 from the first byte, replacing any older copy atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config.")
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def export_kubeconfig(vagrant: Vagrant, destination: Path) -> str:
    """Copy admin.conf from the control plane to `destination`; returns the API server URL."""
    result = vagrant.capture("ssh", CONTROL_PLANE, "-c", f"sudo cat {ADMIN_CONF}")
    if result.returncode != 0:
        raise EnvError(f"could not read {ADMIN_CONF} from the control plane (vagrant ssh exit "
                       f"{result.returncode}): {result.stderr.strip()}. Is the VM up? 'python -m labs env status'.")
    server = check_kubeconfig(result.stdout)
    write_private(destination, result.stdout)
    return server
