"""Cilium's CustomResourceDefinitions from the github.com/cilium/cilium module, installed by server-side apply.

The module ships them under pkg/k8s/apis/cilium.io/client/crds/<version>/; with them installed, the API
server validates CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy against Cilium's own structural
schema and CEL rules.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import yaml

from labs.env.local.build import find_go, go_module_dir
from labs.env.local.layout import LocalClusterError, cache_root
from labs.env.local.rest import AdminClient

__all__ = ["cilium_crd_files", "install_crds", "CRD_VERSIONS"]

CRD_VERSIONS = ("v2", "v2alpha1")
CRD_PATH = "pkg/k8s/apis/cilium.io/client/crds"
FIELD_MANAGER = "ciliumlab-local-cluster"


def cilium_crd_files(version: str, root: Path | None = None) -> list[Path]:
    """The CRD files of Cilium `version`, copied once from the module into the cache."""
    target = (root or cache_root()) / f"cilium-{version}" / "crds"
    if not (target / ".complete").exists():
        work = target.parent
        work.mkdir(parents=True, exist_ok=True)
        info = go_module_dir(find_go(), "github.com/cilium/cilium", f"v{version}", work)
        source = Path(info["Dir"]) / CRD_PATH
        if target.exists():
            shutil.rmtree(target)
        for sub in CRD_VERSIONS:
            (target / sub).mkdir(parents=True)
            for file in sorted((source / sub).glob("*.yaml")):
                (target / sub / file.name).write_bytes(file.read_bytes())
        (target / ".complete").write_text(info.get("Sum", "") + "\n")
    return sorted(target.glob("*/*.yaml"))


def install_crds(client: AdminClient, files: list[Path], timeout: float) -> list[str]:
    """Apply every CRD and wait (bounded) until each is Established; returns their names."""
    names = []
    for file in files:
        crd = yaml.safe_load(file.read_text())
        name = crd["metadata"]["name"]
        path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        reply = client.request("PATCH", f"{path}?fieldManager={FIELD_MANAGER}&force=true", file.read_bytes(),
                               content_type="application/apply-patch+yaml")
        if reply.status >= 300:
            raise LocalClusterError(f"{file}: the API server refused the CRD {name} "
                                    f"(HTTP {reply.status}): {reply.body[:300]!r}")
        names.append(name)
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        still = []
        for name in pending:
            reply = client.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            conditions = ((reply.json() or {}).get("status") or {}).get("conditions") or []
            if not any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
                still.append(name)
        pending = still
        if pending and time.monotonic() > deadline:
            raise LocalClusterError(f"These CRDs were not Established within {timeout:g} s: {', '.join(pending)}")
        if pending:
            time.sleep(0.2)
    return names
