"""Write a single-layer OCI image archive from a directory tree, the format `ctr images import` reads.

No registry can be reached from the machines the local cluster runs on, so its images are assembled
here: one uncompressed layer (a tar of the root file system, files owned by root, times zeroed so the
same inputs give the same digest), an image config naming the entrypoint and user, one manifest, and an
index whose `io.containerd.image.name` annotation gives the image its name in containerd.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ImageSpec", "write_oci_archive", "go_arch"]

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def go_arch() -> str:
    """This machine's architecture in OCI terms (amd64, arm64)."""
    machine = platform.machine().lower()
    return _ARCH.get(machine, machine)


@dataclass(frozen=True)
class ImageSpec:
    name: str
    """Full reference, e.g. docker.io/curlimages/curl:8.11.1."""
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    user: str = ""
    env: list[str] = field(default_factory=lambda: [DEFAULT_PATH])
    workdir: str = "/"


def _layer(rootfs: Path) -> bytes:
    """Tar of `rootfs` (sorted, owner root, mtime 0), symlinks kept as symlinks."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(rootfs):
            dirnames.sort()
            for name in sorted([*dirnames, *filenames]):
                path = Path(dirpath) / name
                info = tar.gettarinfo(str(path), arcname=str(path.relative_to(rootfs)))
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 0
                if info.isreg():
                    with open(path, "rb") as handle:
                        tar.addfile(info, handle)
                else:
                    tar.addfile(info)
    return buffer.getvalue()


def _blob(tar: tarfile.TarFile, data: bytes) -> tuple[str, int]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo(f"blobs/sha256/{digest.split(':', 1)[1]}")
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))
    return digest, len(data)


def _file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def write_oci_archive(rootfs: Path, spec: ImageSpec, archive: Path) -> str:
    """Write the archive; returns the manifest digest (what containerd lists for the image)."""
    layer = _layer(rootfs)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = {"architecture": go_arch(), "os": "linux",
              "config": {"Env": spec.env, "Entrypoint": spec.entrypoint or None, "Cmd": spec.cmd or None,
                         "User": spec.user, "WorkingDir": spec.workdir},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]},
              "history": [{"created_by": "ciliumlab local-cluster (labs/env/local/images.py)"}]}
    tmp = archive.with_name(archive.name + ".tmp")
    with tarfile.open(tmp, "w") as tar:
        layer_digest, layer_size = _blob(tar, layer)
        config_bytes = json.dumps(config, sort_keys=True).encode()
        config_digest, config_size = _blob(tar, config_bytes)
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": config_digest, "size": config_size},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                "digest": layer_digest, "size": layer_size}]}
        manifest_digest, manifest_size = _blob(tar, json.dumps(manifest, sort_keys=True).encode())
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                "digest": manifest_digest, "size": manifest_size,
                                "platform": {"architecture": go_arch(), "os": "linux"},
                                "annotations": {"io.containerd.image.name": spec.name,
                                                "org.opencontainers.image.ref.name": spec.name.rsplit(":", 1)[-1]}}]}
        _file(tar, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        _file(tar, "index.json", json.dumps(index, sort_keys=True).encode())
    tmp.replace(archive)
    return manifest_digest
