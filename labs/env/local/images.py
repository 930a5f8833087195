"""The local cluster's images, assembled from Debian packages and locally built binaries, under the public names.

No image can be pulled here, so each image the course's manifests name is built once per version and
imported into the node's containerd **under the public name the manifests use** (for example
`docker.io/curlimages/curl:8.11.1`). The manifests are applied unchanged: with a tag (not `latest`) a pod's
`imagePullPolicy` defaults to IfNotPresent, so the kubelet finds the imported image and never pulls. The
contents are equivalents, not copies:

- curlimages/curl: BusyBox (Debian `busybox-static`: sh, nslookup, ping, sleep...) plus the host's curl and
  GNU wget with the shared libraries `ldd` lists; runs as uid 100 like the original.
- busybox: Debian's `busybox-static`, with GNU wget in place of its wget applet and dash as `sh` (see
  `_busybox_with_wget`).
- hashicorp/http-echo: built from its Go module at the same version; runs as uid 65532 like the original.
- registry.k8s.io/pause and registry.k8s.io/coredns/coredns: Kubernetes' pause.c and CoreDNS's Go module at
  the versions this Kubernetes release names.

`manifest_images` lists the images of the course's manifests so a test can hold every one to a recipe.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from labs.env.local.build import NodeBinaries
from labs.env.local.layout import LocalClusterError
from labs.env.local.oci import ImageSpec, write_oci_archive

__all__ = ["LocalImage", "Inputs", "local_images", "manifest_images", "normalised", "build_images", "shared_libraries",
           "BUSYBOX_PACKAGE"]

BUSYBOX_PACKAGE = "busybox-static"
RECIPE_REVISION = 3
"""Part of each archive's file name: raise it when a recipe changes, so cached archives are rebuilt."""
PASSWD = ("root:x:0:0:root:/root:/bin/sh\ncurl_user:x:100:101:curl:/home/curl_user:/bin/sh\n"
          "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n")
GROUP = "root:x:0:\ncurl_group:x:101:\nnonroot:x:65532:\nnobody:x:65534:\n"


@dataclass(frozen=True)
class LocalImage:
    spec: ImageSpec
    fill: Callable[[Path, Inputs], None]
    """Writes the root file system."""


@dataclass(frozen=True)
class Inputs:
    binaries: NodeBinaries
    busybox: Path
    """The static busybox binary extracted from the Debian package."""


def _base(root: Path) -> None:
    for sub in ("etc", "tmp", "root", "home/curl_user", "home/nonroot", "dev", "proc", "sys", "var/run"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    (root / "etc" / "nsswitch.conf").write_text("hosts: files dns\n")


def _install(source: Path, root: Path, target: str, mode: int = 0o755) -> None:
    dest = root / target.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)
    dest.chmod(mode)


def _busybox(root: Path, inputs: Inputs) -> None:
    _base(root)
    _install(inputs.busybox, root, "/bin/busybox")
    listed = subprocess.run([str(inputs.busybox), "--list-full"], capture_output=True, text=True, check=True)
    for applet in listed.stdout.split():
        link = root / applet
        if link.exists() or link.is_symlink() or applet == "bin/busybox":
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")


def shared_libraries(binary: Path) -> list[Path]:
    """The libraries `ldd` says `binary` loads, the dynamic loader included."""
    done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
    if done.returncode != 0:
        raise LocalClusterError(f"ldd {binary} failed: {done.stderr.strip()}")
    found: list[Path] = []
    for line in done.stdout.splitlines():
        match = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if match:
            found.append(Path(match.group(1)))
    return found


def _host_program(root: Path, name: str, package: str) -> None:
    """Copy the host's `name` into /usr/bin (replacing an applet link) with the libraries it loads."""
    found = shutil.which(name)
    if not found:
        raise LocalClusterError(f"the local images need the host's {name}: apt-get install {package}")
    for stale in (root / "usr" / "bin" / name, root / "bin" / name):
        stale.unlink(missing_ok=True)
    _install(Path(found).resolve(), root, f"/usr/bin/{name}")
    for lib in shared_libraries(Path(found)):
        _install(lib.resolve(), root, str(lib))


def _busybox_with_wget(root: Path, inputs: Inputs) -> None:
    """BusyBox, with GNU wget instead of the applet: Debian 12's BusyBox 1.35 wget dies of a segmentation
    fault (exit 139) as soon as it is given a timeout (`wget -T 3`), which every probe passes.

    `sh` is the host's dash, not BusyBox's ash: Debian builds `busybox-static` as a standalone shell (applets
    before PATH), so `sh -c 'wget ...'` ran the applet, not /usr/bin/wget, whenever /proc was mounted (in a
    pod, not in a chroot); lab 03's busybox probes ended in that segmentation fault on the Cilium node."""
    _busybox(root, inputs)
    _host_program(root, "wget", "wget")
    _host_program(root, "dash", "dash")
    shell = root / "bin" / "sh"
    shell.unlink(missing_ok=True)
    shell.symlink_to("/usr/bin/dash")


def _curl(root: Path, inputs: Inputs) -> None:
    _busybox_with_wget(root, inputs)
    _host_program(root, "curl", "curl")


def _single(binary: str, target: str) -> Callable[[Path, Inputs], None]:
    def fill(root: Path, inputs: Inputs) -> None:
        _base(root)
        _install(inputs.binaries.path(binary), root, target)
    return fill


def local_images(binaries: NodeBinaries) -> list[LocalImage]:
    """Every image the local cluster provides, by the name containerd gets."""
    return [
        LocalImage(ImageSpec(f"registry.k8s.io/pause:{binaries.pause_version}", entrypoint=["/pause"]),
                   _single("pause", "/pause")),
        LocalImage(ImageSpec(f"registry.k8s.io/coredns/coredns:v{binaries.coredns}", entrypoint=["/coredns"]),
                   _single("coredns", "/coredns")),
        LocalImage(ImageSpec("docker.io/hashicorp/http-echo:1.0.0", entrypoint=["/http-echo"], user="65532:65532"),
                   _single("http-echo", "/http-echo")),
        LocalImage(ImageSpec("docker.io/curlimages/curl:8.11.1", entrypoint=["curl"], user="100:101",
                             workdir="/home/curl_user"), _curl),
        LocalImage(ImageSpec("docker.io/library/busybox:1.36.1", cmd=["sh"]), _busybox_with_wget),
    ]


def manifest_images(manifests: Path) -> set[str]:
    """Every container image named by the YAML files under `manifests`."""
    images: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "image" and isinstance(value, str):
                    images.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in sorted(manifests.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            walk(doc)
    return images


def normalised(image: str) -> str:
    """`curlimages/curl:8.11.1` -> `docker.io/curlimages/curl:8.11.1` (containerd's full name)."""
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return image
    return f"docker.io/{image}" if "/" in image else f"docker.io/library/{image}"


def fetch_busybox(work: Path) -> Path:
    """The static busybox from Debian's package, downloaded with apt (no install) and unpacked under `work`."""
    target = work / "busybox-static" / "bin" / "busybox"
    if target.exists():
        return target
    debs = work / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{BUSYBOX_PACKAGE}_*.deb")):
        done = subprocess.run(["apt-get", "download", BUSYBOX_PACKAGE], cwd=debs, capture_output=True, text=True)
        if done.returncode != 0:
            raise LocalClusterError(f"`apt-get download {BUSYBOX_PACKAGE}` failed (run apt-get update first?): "
                                    f"{done.stderr.strip()[-800:]}")
    deb = sorted(debs.glob(f"{BUSYBOX_PACKAGE}_*.deb"))[-1]
    unpacked = work / "busybox-static"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True, capture_output=True)
    if not target.exists():
        raise LocalClusterError(f"{deb} holds no bin/busybox")
    return target


def build_images(binaries: NodeBinaries, out_dir: Path, say: Callable[[str], None]) -> list[tuple[ImageSpec, Path]]:
    """OCI archives of every local image under `out_dir` (built once; a stamp names the inputs)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    busybox = fetch_busybox(out_dir / "work")
    inputs = Inputs(binaries, busybox)
    archives = []
    for image in local_images(binaries):
        archive = out_dir / (re.sub(r"[^A-Za-z0-9_.-]+", "_", image.spec.name) + f".r{RECIPE_REVISION}.oci.tar")
        if not archive.exists():
            say(f"   image {image.spec.name}")
            with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
                image.fill(Path(tmp), inputs)
                write_oci_archive(Path(tmp), image.spec, archive)
        archives.append((image.spec, archive))
    return archives

