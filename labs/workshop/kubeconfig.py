"""Trainee kubeconfig files: one per trainee, token-authenticated, written with mode 0600.

The cluster entry (server address and CA) is copied from the instructor's kubeconfig, so trainees
reach the same API server the instructor provisioned through; the credentials are the trainee's own
ServiceAccount token, never the instructor's.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ClusterEndpoint", "WORKSHOP_CLUSTER_NAME", "endpoint_from_kubeconfig", "trainee_kubeconfig",
           "write_private", "write_kubeconfig"]

WORKSHOP_CLUSTER_NAME = "ciliumlab-workshop"


@dataclass(frozen=True)
class ClusterEndpoint:
    """Where trainees connect: the API server URL and the CA that signs its certificate (base64 PEM)."""

    server: str
    certificate_authority_data: str | None = None
    note: str | None = None
    """Shown at the top of every kubeconfig, e.g. that the simulated backend has no API server."""


def endpoint_from_kubeconfig(data: dict[str, Any], context: str | None = None, *, where: str = "kubeconfig",
                             ) -> ClusterEndpoint:
    """The server and CA of `context` (default: current-context) in a parsed kubeconfig."""
    name = context or data.get("current-context")
    contexts = {c.get("name"): c.get("context") or {} for c in data.get("contexts") or []}
    if name not in contexts:
        known = ", ".join(sorted(str(c) for c in contexts)) or "none"
        raise ValueError(f"The context {name!r} is not in {where}; contexts there: {known}.")
    cluster_name = contexts[name].get("cluster")
    clusters = {c.get("name"): c.get("cluster") or {} for c in data.get("clusters") or []}
    cluster = clusters.get(cluster_name)
    if not cluster or not cluster.get("server"):
        raise ValueError(f"The context {name!r} in {where} names cluster {cluster_name!r}, which has no server.")
    ca = cluster.get("certificate-authority-data")
    if not ca and cluster.get("certificate-authority"):
        ca = base64.b64encode(Path(cluster["certificate-authority"]).read_bytes()).decode()
    return ClusterEndpoint(str(cluster["server"]), ca)


def trainee_kubeconfig(trainee: str, token: str, endpoint: ClusterEndpoint, namespace: str | None) -> dict[str, Any]:
    """A kubeconfig dict whose only user is the trainee's ServiceAccount token."""
    cluster: dict[str, Any] = {"server": endpoint.server}
    if endpoint.certificate_authority_data:
        cluster["certificate-authority-data"] = endpoint.certificate_authority_data
    context_name = f"{trainee}@{WORKSHOP_CLUSTER_NAME}"
    context: dict[str, Any] = {"cluster": WORKSHOP_CLUSTER_NAME, "user": trainee}
    if namespace:
        context["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": WORKSHOP_CLUSTER_NAME, "cluster": cluster}],
        "users": [{"name": trainee, "user": {"token": token}}],
        "contexts": [{"name": context_name, "context": context}],
        "current-context": context_name,
        "preferences": {},
    }


def write_private(path: Path, text: str) -> Path:
    """Write `text` readable by the owner only (0600), also when the file existed with wider rights."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    return path


def write_kubeconfig(folder: Path, trainee: str, token: str, endpoint: ClusterEndpoint,
                     namespace: str | None) -> Path:
    """Write `<folder>/<trainee>.kubeconfig` (0600) in a folder only the owner can list (0700)."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    header = f"# Workshop kubeconfig for trainee {trainee!r}: keep it private.\n"
    if endpoint.note:
        header += f"# {endpoint.note}\n"
    body = yaml.safe_dump(trainee_kubeconfig(trainee, token, endpoint, namespace), sort_keys=False)
    return write_private(folder / f"{trainee}.kubeconfig", header + body)
