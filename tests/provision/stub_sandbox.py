"""A fake machine for the provisioning scripts: stub commands on PATH, a file-system root, a cache
and a fake download server, so the scripts' logic runs for real without a VM or the network.

Every stub appends "name args" to calls.log; state the stubs share lives in `state/`.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import subprocess
import tarfile
from pathlib import Path

__all__ = ["Sandbox", "IP_ADDR_SEVERAL_INTERFACES", "FINGERPRINT"]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FINGERPRINT = "DE15B14486CD377B9E876E1A234654DA9A296436"

# Recorded shape of `ip -o -4 addr show` on a VirtualBox VM after Cilium started.
IP_ADDR_SEVERAL_INTERFACES = (FIXTURES / "ip-addr-several-interfaces.txt").read_text()

STUB = FIXTURES / "stub-command.sh"

STUBBED = [
    "uname", "ip", "swapon", "swapoff", "modprobe", "sysctl", "apt-mark", "chown", "id", "systemctl",
    "curl", "gpg", "apt-get", "dpkg-query", "kubeadm", "crictl", "ctr", "kubectl", "cilium",
]

FAKE_CONTAINERD = """#!/usr/bin/env bash
if [ "$1 $2" = "config default" ]; then
  cat <<'TOML'
version = 3
[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = 'registry.k8s.io/pause:3.10.2'
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  sandboxer = 'podsandbox'
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
    SystemdCgroup = false
TOML
fi
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def targz(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Sandbox:
    """One fake VM: `run("common.sh")` runs the real script against stubs in a temporary root."""

    def __init__(self, tmp: Path, repo: Path) -> None:
        self.repo = repo
        self.root = tmp / "root"
        self.cache = tmp / "cache"
        self.state = tmp / "state"
        self.bin = tmp / "bin"
        self.www = self.state / "www"
        for folder in (self.root, self.cache, self.bin, self.www, self.state / "dpkg", self.state / "images"):
            folder.mkdir(parents=True, exist_ok=True)
        (self.root / "etc").mkdir()
        (self.root / "etc" / "fstab").write_text(
            "UUID=abc / ext4 defaults 0 1\n/dev/mapper/vg-swap none swap sw 0 0\n"
        )
        (self.state / "swap-on").touch()
        (self.state / "fpr").write_text(FINGERPRINT)
        (self.state / "ip-addr.txt").write_text(IP_ADDR_SEVERAL_INTERFACES)
        (self.state / "Corefile").write_text((FIXTURES / "coredns-Corefile").read_text())
        stub = self.bin / "_stub"
        stub.write_text(STUB.read_text())
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
        for name in STUBBED:
            (self.bin / name).symlink_to(stub)
        self.lock = tmp / "versions.lock"
        # The fake release assets below are not the real downloads, so the real pinned checksums are
        # cleared here; tests that exercise a pin set one with set_lock.
        self.lock.write_text(
            "".join(
                re.sub(r"^(\w+_SHA256_\w+)=.*$", r"\1=", line) + "\n"
                for line in (repo / "versions.lock").read_text().splitlines()
            )
        )
        self.publish_release_assets()

    # -- versions.lock -------------------------------------------------------------------------
    def lock_value(self, key: str) -> str:
        for line in self.lock.read_text().splitlines():
            if line.startswith(f"{key}="):
                return line.split("=", 1)[1]
        raise KeyError(key)

    def set_lock(self, key: str, value: str) -> None:
        lines = self.lock.read_text().splitlines()
        self.lock.write_text("\n".join(f"{key}={value}" if ln.startswith(f"{key}=") else ln for ln in lines) + "\n")

    # -- fake download server ------------------------------------------------------------------
    def publish(self, name: str, data: bytes, sum_file: str | None = None) -> str:
        (self.www / name).write_bytes(data)
        digest = sha256(data)
        if sum_file:
            (self.www / sum_file).write_text(f"{digest}  {name}\n")
        return digest

    def publish_release_assets(self, arch: str = "amd64") -> None:
        containerd = f"containerd-{self.lock_value('CONTAINERD_VERSION')}-linux-{arch}.tar.gz"
        archive = targz({"bin/containerd": FAKE_CONTAINERD, "bin/ctr": "#!/bin/sh\n"})
        self.publish(containerd, archive, f"{containerd}.sha256sum")
        runc = {a: f"runc binary for {a}\n".encode() for a in ("amd64", "arm64")}
        for a, data in runc.items():
            (self.www / f"runc.{a}").write_bytes(data)
        (self.www / "runc.sha256sum").write_text(
            "".join(f"{sha256(data)}  runc.{a}\n" for a, data in runc.items())
        )
        for tool in ("cilium", "hubble"):
            name = f"{tool}-linux-{arch}.tar.gz"
            self.publish(name, targz({tool: "#!/bin/sh\necho fake\n"}), f"{name}.sha256sum")
        (self.www / "Release.key").write_text("-----BEGIN PGP PUBLIC KEY BLOCK----- KEY\n")

    # -- running -------------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "HOME": str(self.state),
            "STUB_STATE": str(self.state),
            "CILIUMLAB_ROOT": str(self.root),
            "CILIUMLAB_CACHE_DIR": str(self.cache),
            "CILIUMLAB_VERSIONS_FILE": str(self.lock),
            "CILIUMLAB_PROVISION_DIR": str(self.repo / "scripts" / "provision"),
            "CILIUMLAB_NODE_NAME": "ciliumlab-cp",
            "CILIUMLAB_MACHINE": "control-plane",
            "CILIUMLAB_NODE_ROLE": "control-plane",
            "CILIUMLAB_NODE_IP": "192.168.56.10",
            "CILIUMLAB_NODE_COUNT": "1",
            "CILIUMLAB_CONTROL_PLANE_IP": "192.168.56.10",
            "CILIUMLAB_POD_CIDR": "10.244.0.0/16",
            "CILIUMLAB_SERVICE_CIDR": "10.96.0.0/12",
            "CILIUMLAB_BOOTSTRAP_TOKEN": "abcdef.0123456789abcdef",
            "CILIUMLAB_EXPORT_DIR": str(self.root / "vagrant" / ".kube"),
        }
        env.update(extra)
        return env

    def run(self, script: str, **extra: str) -> subprocess.CompletedProcess[str]:
        path = self.repo / "scripts" / "provision" / script
        return subprocess.run(["bash", str(path)], env=self.env(**extra), capture_output=True, text=True, timeout=60)

    def bash(self, code: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run `code` after sourcing lib.sh and images.sh (to test single functions)."""
        lib = self.repo / "scripts" / "provision"
        program = f'set -euo pipefail\n. "{lib}/lib.sh"\n. "{lib}/images.sh"\n{code}\n'
        env = self.env(**extra)
        return subprocess.run(["bash", "-c", program], env=env, capture_output=True, text=True, timeout=60)

    def calls(self) -> list[str]:
        log = self.state / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def reset_calls(self) -> None:
        (self.state / "calls.log").unlink(missing_ok=True)

    def snapshot(self) -> dict[str, tuple[str, int, int]]:
        """Every file under the root and the cache: content hash, mode and modification time."""
        result: dict[str, tuple[str, int, int]] = {}
        for base in (self.root, self.cache):
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    info = path.stat()
                    result[str(path)] = (sha256(path.read_bytes()), info.st_mode, info.st_mtime_ns)
        return result
