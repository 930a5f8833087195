"""Kubeconfig files of the local cluster, certificates embedded, written mode 0600."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

from labs.env.local.components import CLUSTER_NAME

__all__ = ["kubeconfig_text", "write_kubeconfig"]


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kubeconfig_text(port: int, pki: Path, identity: str, user: str) -> str:
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": CLUSTER_NAME, "cluster": {
            "server": f"https://127.0.0.1:{port}", "certificate-authority-data": _b64(pki / "ca.crt")}}],
        "users": [{"name": user, "user": {"client-certificate-data": _b64(pki / f"{identity}.crt"),
                                          "client-key-data": _b64(pki / f"{identity}.key")}}],
        "contexts": [{"name": CLUSTER_NAME, "context": {"cluster": CLUSTER_NAME, "user": user}}],
        "current-context": CLUSTER_NAME,
    }
    return yaml.safe_dump(config, sort_keys=False)


def write_kubeconfig(path: Path, text: str) -> None:
    """Replace `path` atomically; the file is never readable by others, not even for a moment."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
