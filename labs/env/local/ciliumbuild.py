"""Build Cilium's agent, CNI plugin, debug CLI, Hubble CLI, Relay and operator from the Go module, once per version.

The binaries come from `github.com/cilium/cilium@v<CILIUM_VERSION>` (versions.lock), built the way Cilium's
Makefiles build them (the package of each, the operator with the `ipam_provider_operator` tag, the version
stamped into `pkg/version.ciliumVersion`, see Makefile.defs GO_BUILD_LDFLAGS). The module is copied to a
writable directory first: built as the main module, its own go.mod `replace` lines apply (a dependency's are
ignored), and the agent compiles its BPF programs at run time from that copy's `bpf/` directory.

No -trimpath: the Go build cache keys packages built without it by their directory, and the copy stays at
the same place under the cache, so a rebuild (a new Go toolchain, a removed binary) reuses every package.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from labs.env.local.build import _go_build, _run, go_module_dir, nice_prefix, publish_build, start_build
from labs.env.local.layout import LocalClusterError, Versions, cache_root

__all__ = ["CILIUM_PROGRAMS", "REQUIRED", "CiliumBinaries", "cilium_base", "ensure_cilium_binaries",
           "cached_cilium_binaries"]

MODULE = "github.com/cilium/cilium"
STAMP = "BUILT.json"
CILIUM_PROGRAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cilium-agent": ("./daemon", ()),
    "cilium-dbg": ("./cilium-dbg", ()),
    "cilium-cni": ("./plugins/cilium-cni", ()),
    "hubble": ("./hubble", ()),
    "hubble-relay": ("./hubble-relay", ()),
    "cilium-operator-generic": ("./operator", ("ipam_provider_operator",)),
}
"""Binary name -> (package in the module, build tags), as in the module's Makefiles (daemon/Makefile,
operator/Makefile: cilium-operator-generic is ./operator with the generic IPAM provider tag)."""
REQUIRED = ("cilium-agent", "cilium-dbg", "cilium-cni", "hubble")
"""What the node runs or the tests call; Relay is built for completeness (the tests read Hubble from the agent's
socket). The operator is in CILIUM_PROGRAMS, so `cached_cilium_binaries` requires it: `up --cilium` starts it."""


@dataclass(frozen=True)
class CiliumBinaries:
    directory: Path
    version: str
    source: Path
    """The writable copy of the module the binaries were built from."""

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def bpf_dir(self) -> Path:
        """The BPF C sources the agent compiles at run time (its `--lib-dir` holds them as `bpf/`)."""
        return self.source / "bpf"


def cilium_base(versions: Versions, root: Path | None = None) -> Path:
    return (root or cache_root()) / f"cilium-{versions.cilium}"


def cached_cilium_binaries(versions: Versions, root: Path | None = None) -> CiliumBinaries | None:
    """The built binaries of this version, or None when they are not (all) there."""
    base = cilium_base(versions, root)
    bin_dir, source = base / "bin", base / "src" / "cilium"
    try:
        data = json.loads((bin_dir / STAMP).read_text())
    except (OSError, ValueError):
        return None
    if data.get("cilium") != versions.cilium or not (source / "bpf").is_dir():
        return None
    if not all((bin_dir / name).is_file() for name in CILIUM_PROGRAMS):
        return None
    return CiliumBinaries(bin_dir, versions.cilium, source)


def _writable_copy(go: str, version: str, work: Path, say) -> Path:
    info = go_module_dir(go, MODULE, f"v{version}", work)
    src = work / "cilium"
    ready = src / ".ciliumlab-copied"
    if not ready.exists():
        say(f">> copying {MODULE}@v{version} to a writable tree")
        if src.exists():
            shutil.rmtree(src)
        shutil.copytree(Path(info["Dir"]), src)
        for path in [src, *src.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o200)
        ready.write_text(version + "\n")
    return src


def ensure_cilium_binaries(versions: Versions, *, out: TextIO | None = None,
                           root: Path | None = None) -> CiliumBinaries:
    """The cached Cilium binaries of the pinned version, building the missing ones first."""
    found = cached_cilium_binaries(versions, root)
    if found:
        return found
    base = cilium_base(versions, root)
    say, go, work, started = start_build(base, out)
    say(f">> building Cilium {versions.cilium} ({', '.join(CILIUM_PROGRAMS)}) into {base / 'bin'} (first time only; "
        "the agent alone is about 2100 packages: more than an hour cold on two busy cores, minutes when the Go "
        "build cache is warm)")
    src = _writable_copy(go, versions.cilium, work, say)
    if not (work / ".ciliumlab-downloaded").exists():
        say(">> downloading the modules Cilium needs")
        _run([go, "mod", "download"], src, "Downloading the Cilium dependencies")
        (work / ".ciliumlab-downloaded").write_text(versions.cilium + "\n")
    staging = base / "bin.partial"
    staging.mkdir(parents=True, exist_ok=True)
    nice = nice_prefix()
    ldflags = f"-s -w -X {MODULE}/pkg/version.ciliumVersion={versions.cilium}"
    seconds: dict[str, int] = {}
    for name, (package, tags) in CILIUM_PROGRAMS.items():
        if (staging / name).is_file():  # built by an earlier, interrupted run
            continue
        say(f">> compiling {name} ({package})")
        one = time.monotonic()
        argv = [*nice, go, "build", "-v", "-ldflags", ldflags, "-o", str(staging / f"{name}.tmp")]
        if tags:
            argv.append("-tags=" + ",".join(tags))
        _go_build([*argv, package], src, name, say)
        (staging / f"{name}.tmp").rename(staging / name)
        seconds[name] = round(time.monotonic() - one)
    bin_dir = base / "bin"
    publish_build(staging, bin_dir, {"cilium": versions.cilium, "seconds": seconds,
                                     "total": round(time.monotonic() - started)})
    say(f">> Cilium built in {time.monotonic() - started:.0f} s")
    found = cached_cilium_binaries(versions, root)
    if found is None:
        raise LocalClusterError(f"the Cilium build finished but {bin_dir} lacks a binary or {src}/bpf is missing")
    return found
