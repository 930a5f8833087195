"""Build the control plane from the Go module proxy, once per version, into the user's cache.

k8s.io/kubernetes cannot be built as published: its go.mod replaces every k8s.io/<staging> module by a
./staging/src directory that the module zip leaves out. The build copies the module to a writable
directory and rewrites go.mod to require the published staging modules of the same release
(v0.<minor>.<patch>), which are cut from the same commit. etcd is built from go.etcd.io/etcd/server/v3
at the version the Kubernetes release names in build/dependencies.yaml, through a one-line wrapper module
(replace directives of a dependency are ignored, so the server module's own ../api replaces do not apply).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple, TextIO

import yaml

from labs.env.local.layout import LocalClusterError, Versions, cache_root

__all__ = ["COMPONENTS", "NODE_COMPONENTS", "Binaries", "NodeBinaries", "unstage_go_mod", "etcd_version_of",
           "coredns_version_of", "ensure_binaries", "ensure_node_binaries", "find_go", "go_module_dir"]

COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
NODE_COMPONENTS = ("kubelet", "kube-proxy")
STAMP = "BUILT.json"
HTTP_ECHO = ("github.com/hashicorp/http-echo", "1.0.0")
"""The server image the course's manifests name (hashicorp/http-echo:1.0.0), built from its Go module."""


@dataclass(frozen=True)
class Binaries:
    directory: Path
    kubernetes: str
    etcd: str

    def path(self, name: str) -> Path:
        return self.directory / name


def find_go() -> str:
    found = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if not found:
        raise LocalClusterError("Go is not installed (no `go` on PATH or in /usr/local/go/bin); the local cluster "
                                "is built from Go modules. Install Go >= 1.25 and run again.")
    return found


def _go_env(static: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    env["GOFLAGS"] = "-mod=mod"
    env["GOTOOLCHAIN"] = "local"
    env["GOWORK"] = "off"
    if static:  # binaries that go into images run without the host's C library
        env["CGO_ENABLED"] = "0"
    return env


def _run(cmd: list[str], cwd: Path, what: str) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=_go_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise LocalClusterError(f"{what} failed ({' '.join(cmd)} in {cwd}, exit {proc.returncode}):\n{tail}")
    return proc.stdout


def go_module_dir(go: str, module: str, version: str, cwd: Path) -> dict:
    """`go mod download -json module@version`: the module's read-only directory, checksum and origin."""
    out = _run([go, "mod", "download", "-json", f"{module}@{version}"], cwd, f"Downloading {module}@{version}")
    info = json.loads(out)
    if info.get("Error"):
        raise LocalClusterError(f"Downloading {module}@{version} failed: {info['Error']}")
    return info


def unstage_go_mod(text: str, staging_version: str) -> str:
    """go.mod of k8s.io/kubernetes with the ./staging replaces dropped and their v0.0.0 requirements pinned.

    Only modules named in the replace block change; pseudo-versions such as k8s.io/utils
    v0.0.0-2025... stay as they are.
    """
    block = re.search(r"^replace \(\n(.*?)^\)\n", text, flags=re.S | re.M)
    if block is None:
        raise LocalClusterError("k8s.io/kubernetes go.mod has no replace block: the module layout changed; "
                                "this build recipe needs updating")
    staged = [line.split()[0] for line in block.group(1).splitlines()
              if "=> ./staging/" in line]
    text = text[:block.start()] + text[block.end():]
    for module in staged:
        text = re.sub(rf"(^\t{re.escape(module)}) v0\.0\.0(?=$| )", rf"\1 {staging_version}", text, flags=re.M)
    return text


def etcd_version_of(kubernetes_dir: Path) -> str:
    """The etcd version a Kubernetes release is built and tested with (build/dependencies.yaml)."""
    deps = yaml.safe_load((kubernetes_dir / "build" / "dependencies.yaml").read_text())
    for dep in deps.get("dependencies") or []:
        if dep.get("name") == "etcd":
            return str(dep["version"])
    raise LocalClusterError(f"{kubernetes_dir}/build/dependencies.yaml names no etcd version")


def _ldflags(version: str, commit: str) -> str:
    major, minor, _ = version.split(".")
    pairs = {"gitVersion": f"v{version}", "gitMajor": major, "gitMinor": minor, "gitCommit": commit,
             "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z"}
    flags = ["-s", "-w"]
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {package}.{key}={value}" for key, value in pairs.items()]
    return " ".join(flags)


def _go_build(cmd: list[str], cwd: Path, what: str, say: Callable[[str], None], every: float = 30.0,
              static: bool = False) -> None:
    """Run `go build -v`, printing how many packages were compiled every `every` seconds."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=_go_env(static), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines: list[str] = []
    done = threading.Event()

    def ticker() -> None:
        while not done.wait(every):
            say(f"   {what}: {len(lines)} packages compiled, {time.monotonic() - start:.0f} s")

    thread = threading.Thread(target=ticker, daemon=True)
    thread.start()
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip())
    code = proc.wait()
    done.set()
    if code != 0:
        errors = [ln for ln in lines if ":" in ln and not ln.startswith(("go: downloading", "#"))][-15:]
        raise LocalClusterError(f"Building {what} failed (exit {code}) in {cwd}:\n" + "\n".join(errors or lines[-15:]))
    say(f"   {what}: built in {time.monotonic() - start:.0f} s")


def _prepare_kubernetes(go: str, versions: Versions, work: Path, say: Callable[[str], None]) -> tuple[Path, str, str]:
    info = go_module_dir(go, "k8s.io/kubernetes", f"v{versions.kubernetes}", work)
    source = Path(info["Dir"])
    commit = str((info.get("Origin") or {}).get("Hash") or "")
    src = work / "kubernetes"
    ready = src / ".ciliumlab-unstaged"
    if not ready.exists():
        say(f">> copying k8s.io/kubernetes@v{versions.kubernetes} to a writable tree and pinning the staging "
            f"modules at {versions.staging}")
        if src.exists():
            shutil.rmtree(src)
        shutil.copytree(source, src, ignore=shutil.ignore_patterns("vendor", "go.work", "go.work.sum"))
        for path in [src, *src.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o200)
        gomod = src / "go.mod"
        gomod.write_text(unstage_go_mod(gomod.read_text(), versions.staging))
        ready.write_text(versions.staging + "\n")
    return src, commit, etcd_version_of(source)


def _wrapper_module(go: str, name: str, module: str, version: str, work: Path) -> Path:
    """A one-requirement module that builds `module`'s main package at `version` with its own go.mod's
    requirements (replace directives of a dependency are ignored by Go)."""
    src = work / name
    src.mkdir(parents=True, exist_ok=True)
    gomod = src / "go.mod"
    if not gomod.exists() or f"{module} v{version}" not in gomod.read_text():
        gomod.write_text(f"module ciliumlab.local/{name}\n\ngo 1.25\n")
        (src / "go.sum").unlink(missing_ok=True)
        _run([go, "get", f"{module}@v{version}"], src, f"Resolving {module} v{version}")
    return src


def _prepare_etcd(go: str, version: str, work: Path) -> Path:
    return _wrapper_module(go, "etcd", "go.etcd.io/etcd/server/v3", version, work)


def coredns_version_of(kubernetes_dir: Path) -> str:
    """The CoreDNS version kubeadm deploys with this Kubernetes release (build/dependencies.yaml)."""
    deps = yaml.safe_load((kubernetes_dir / "build" / "dependencies.yaml").read_text())
    for dep in deps.get("dependencies") or []:
        if dep.get("name") == "coredns-kubeadm":
            return str(dep["version"]).lstrip("v")
    raise LocalClusterError(f"{kubernetes_dir}/build/dependencies.yaml names no CoreDNS version")


def _cached(bin_dir: Path, versions: Versions) -> Binaries | None:
    stamp = bin_dir / STAMP
    if not stamp.exists():
        return None
    data = json.loads(stamp.read_text())
    names = [*COMPONENTS, "etcd"]
    if data.get("kubernetes") != versions.kubernetes or not all((bin_dir / n).is_file() for n in names):
        return None
    return Binaries(bin_dir, versions.kubernetes, str(data.get("etcd")))


def progress_printer(out: TextIO | None) -> Callable[[str], None]:
    """A build's progress lines, flushed at once (to stderr by default), so a long build shows it is alive."""
    stream = out or sys.stderr

    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    return say


def nice_prefix() -> list[str]:
    """Builds run at a lower priority where `nice` exists, so a build does not starve the machine's other work."""
    return ["nice", "-n", "10"] if shutil.which("nice") else []


class BuildStart(NamedTuple):
    """What a build of one version begins with, once its cache turned out to be missing."""

    say: Callable[[str], None]
    go: str
    work: Path
    """The version's source tree (`<base>/src`), shared by the control-plane and node builds."""
    started: float


def start_build(base: Path, out: TextIO | None) -> BuildStart:
    """The progress printer, the Go toolchain (or a clear error), the work tree (created) and the start time."""
    go = find_go()
    work = base / "src"
    work.mkdir(parents=True, exist_ok=True)
    return BuildStart(progress_printer(out), go, work, time.monotonic())


def publish_build(staging: Path, bin_dir: Path, stamp: dict[str, Any]) -> None:
    """Stamp the finished staging folder and put it in place of `bin_dir`: a half-built folder is never used."""
    (staging / STAMP).write_text(json.dumps(stamp) + "\n")
    if bin_dir.exists():
        shutil.rmtree(bin_dir)
    staging.rename(bin_dir)


def ensure_binaries(versions: Versions, *, out: TextIO | None = None, root: Path | None = None) -> Binaries:
    """The cached binaries of this version, building them first when they are missing."""
    base = (root or cache_root()) / versions.kubernetes
    bin_dir = base / "bin"
    found = _cached(bin_dir, versions)
    if found:
        return found
    say, go, work, started = start_build(base, out)
    say(f">> building the local cluster v{versions.kubernetes} into {bin_dir} (first time only; "
        "about 15 minutes on two idle cores, longer on a busy machine)")
    kube_src, commit, etcd = _prepare_kubernetes(go, versions, work, say)
    say(">> downloading the modules Kubernetes needs")
    _run([go, "mod", "download"], kube_src, "Downloading the Kubernetes dependencies")
    staging = base / "bin.partial"
    staging.mkdir(parents=True, exist_ok=True)
    nice = nice_prefix()
    say(f">> compiling {', '.join(COMPONENTS)} (nice, {os.cpu_count()} cores)")
    _go_build([*nice, go, "build", "-v", "-trimpath", "-ldflags", _ldflags(versions.kubernetes, commit),
               "-o", str(staging) + "/", *[f"./cmd/{c}" for c in COMPONENTS]], kube_src, "kubernetes", say)
    say(f">> compiling etcd v{etcd} (go.etcd.io/etcd/server/v3)")
    etcd_src = _prepare_etcd(go, etcd, work)
    _go_build([*nice, go, "build", "-v", "-trimpath", "-ldflags", "-s -w", "-o", str(staging / "etcd"),
               "go.etcd.io/etcd/server/v3"], etcd_src, "etcd", say)
    publish_build(staging, bin_dir, {"kubernetes": versions.kubernetes, "commit": commit, "etcd": etcd,
                                     "seconds": round(time.monotonic() - started)})
    say(f">> built in {time.monotonic() - started:.0f} s")
    return Binaries(bin_dir, versions.kubernetes, etcd)


COREDNS_PLUGINS = ("reload", "bind", "ready", "health", "errors", "log", "loadbalance", "cache", "kubernetes", "loop",
                   "forward")
"""CoreDNS is built the way its README describes for a custom set of plugins (a main package importing
coremain and the plugins): the stock main imports all of them, cloud providers' SDKs included, which
doubles the build for nothing the cluster DNS uses. The Corefile (`labs.env.local.dns`) uses only these."""


def coredns_main() -> str:
    imports = "\n".join(f'\t_ "github.com/coredns/coredns/plugin/{name}"' for name in COREDNS_PLUGINS)
    return ("// Generated by labs/env/local/build.py: CoreDNS with the plugins of the local cluster's DNS.\n"
            "package main\n\nimport (\n\t\"github.com/coredns/coredns/coremain\"\n" + imports + "\n)\n\n"
            "func main() {\n\tcoremain.Run()\n}\n")


@dataclass(frozen=True)
class NodeBinaries:
    """kubelet, kube-proxy, coredns, http-echo and the pause binary of one Kubernetes version."""

    directory: Path
    kubernetes: str
    coredns: str
    pause_version: str

    def path(self, name: str) -> Path:
        return self.directory / name


def pause_version_of(kubernetes_dir: Path) -> str:
    """The pause image tag this release's kubeadm uses (PauseVersion in cmd/kubeadm/app/constants)."""
    try:
        text = (kubernetes_dir / "cmd" / "kubeadm" / "app" / "constants" / "constants.go").read_text()
    except OSError:
        text = ""
    found = re.search(r'PauseVersion = "([^"]+)"', text)
    if not found:
        raise LocalClusterError(f"{kubernetes_dir}/cmd/kubeadm/app/constants/constants.go names no PauseVersion")
    return found.group(1)


def _cached_node(bin_dir: Path, versions: Versions) -> NodeBinaries | None:
    stamp = bin_dir / STAMP
    if not stamp.exists():
        return None
    data = json.loads(stamp.read_text())
    names = [*NODE_COMPONENTS, "coredns", "http-echo", "pause"]
    if data.get("kubernetes") != versions.kubernetes or not all((bin_dir / n).is_file() for n in names):
        return None
    return NodeBinaries(bin_dir, versions.kubernetes, str(data["coredns"]), str(data["pause"]))


def _build_pause(kube_src: Path, version: str, target: Path) -> None:
    """Kubernetes' own pause.c (build/pause/linux), linked statically so it runs in an empty image."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        raise LocalClusterError("no C compiler (gcc) for the pause binary: apt-get install gcc libc6-dev")
    source = kube_src / "build" / "pause" / "linux" / "pause.c"
    proc = subprocess.run([cc, "-Os", "-static", "-Wall", f'-DVERSION=v{version}', "-o", str(target), str(source)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise LocalClusterError(f"compiling {source} failed (exit {proc.returncode}); a static C library is needed "
                                f"(apt-get install libc6-dev):\n{proc.stderr[-1500:]}")


def ensure_node_binaries(versions: Versions, *, out: TextIO | None = None, root: Path | None = None) -> NodeBinaries:
    """The node's binaries, built once per version from the same Kubernetes tree as the control plane."""
    base = (root or cache_root()) / versions.kubernetes
    bin_dir = base / "node-bin"
    found = _cached_node(bin_dir, versions)
    if found:
        return found
    say, go, work, started = start_build(base, out)
    say(f">> building the node (kubelet, kube-proxy, CoreDNS, http-echo, pause) v{versions.kubernetes} into {bin_dir} "
        "(first time only; about 10 minutes on two idle cores)")
    kube_src, commit, _etcd = _prepare_kubernetes(go, versions, work, say)
    coredns = coredns_version_of(kube_src)
    pause = pause_version_of(kube_src)
    staging = base / "node-bin.partial"
    staging.mkdir(parents=True, exist_ok=True)
    nice = nice_prefix()
    say(f">> compiling {', '.join(NODE_COMPONENTS)}")
    _go_build([*nice, go, "build", "-v", "-trimpath", "-ldflags", _ldflags(versions.kubernetes, commit),
               "-o", str(staging) + "/", *[f"./cmd/{c}" for c in NODE_COMPONENTS]], kube_src, "kubelet", say)
    say(f">> compiling CoreDNS v{coredns} with the plugins the cluster DNS uses ({', '.join(COREDNS_PLUGINS)})")
    src = _wrapper_module(go, "coredns", "github.com/coredns/coredns", coredns, work)
    (src / "main.go").write_text(coredns_main())
    _go_build([*nice, go, "build", "-v", "-trimpath", "-ldflags", "-s -w", "-o", str(staging / "coredns"), "."],
              src, "coredns", say, static=True)
    module, echo_version = HTTP_ECHO
    say(f">> compiling http-echo v{echo_version} ({module})")
    src = _wrapper_module(go, "http-echo", module, echo_version, work)
    _go_build([*nice, go, "build", "-v", "-trimpath", "-ldflags", "-s -w", "-o", str(staging / "http-echo"), module],
              src, "http-echo", say, static=True)
    say(f">> compiling pause {pause} (build/pause/linux/pause.c)")
    _build_pause(kube_src, pause, staging / "pause")
    publish_build(staging, bin_dir, {"kubernetes": versions.kubernetes, "commit": commit, "coredns": coredns,
                                     "pause": pause, "seconds": round(time.monotonic() - started)})
    say(f">> node built in {time.monotonic() - started:.0f} s")
    return NodeBinaries(bin_dir, versions.kubernetes, coredns, pause)
