"""Cross-check the engine's NetworkPolicy verdicts against network-config-analyzer (NCA).

NCA pins old versions of PyYAML and networkx, so it lives in its own virtual environment
(`.venv-nca`, created on demand, never by tests). It reads Namespaces and Deployments and prints one
line per (source, destination) deployment with the allowed connections (`-o txt_no_fw_rules
--output_endpoints deployments`); the grouped `csv`/`yaml` forms describe endpoints by label
expressions (`tier in (api,cache)`, `has(tier)`) instead of names, so this explicit form is used
and each deployment row is expanded to its pods.

Compared: pod to pod, between different Deployments, on the probed TCP/UDP ports. Not compared:
rows with IP ranges (Cilium gives addresses outside the cluster the world identity and never lets a
CIDR rule match a pod; NCA splits 0.0.0.0/0 into ranges), traffic from nodes (Cilium always allows
ingress from the local node; NCA has no nodes), pods of one Deployment talking to each other (NCA
prints no row for a deployment to itself), SCTP.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["NCA_PACKAGE", "NcaRun", "ensure_nca", "parse_connections", "parse_rows", "run_nca"]

NCA_PACKAGE = "network-config-analyzer==2.1.0"
_ROW = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conn>.*)$")
_DEPLOYMENT = re.compile(r"^(?P<ns>[^/\s]+)/(?P<name>[^\[\s]+)\[Deployment\]$")


def ensure_nca(venv: Path, *, timeout: float = 600.0) -> Path:
    """The `nca` executable in `venv`, creating the environment and installing NCA from PyPI if needed."""
    nca = venv / "bin" / "nca"
    if nca.exists():
        return nca
    print(f"installing {NCA_PACKAGE} into {venv} (once) ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=timeout)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", NCA_PACKAGE], check=True, timeout=timeout)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"could not install {NCA_PACKAGE} into {venv}: {exc}; remove {venv} and retry, "
                           "or check that PyPI is reachable") from exc
    if not nca.exists():
        raise RuntimeError(f"{NCA_PACKAGE} installed but {nca} is missing; remove {venv} and retry")
    return nca


@dataclass
class NcaRun:
    wall_seconds: float
    rows: list[tuple[str, str, str]]
    """(source, destination, connection) as printed."""
    stderr: str = ""
    ip_rows: int = 0


def run_nca(nca: Path, policies_dir: Path, resources_dir: Path, *, timeout: float = 900.0) -> NcaRun:
    """Run a connectivity query; the wall time includes NCA's start-up, as a user would see it."""
    cmd = [str(nca), "--connectivity", str(policies_dir), "-r", str(resources_dir),
           "-o", "txt_no_fw_rules", "--output_endpoints", "deployments"]
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"nca did not finish within {timeout:.0f} s; use a smaller --nca-namespaces/--nca-apps "
                           "or a larger --nca-timeout") from None
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"nca exited with {done.returncode}: {done.stderr.strip()[-2000:]}")
    rows, ip_rows = parse_rows(done.stdout)
    return NcaRun(wall, rows, done.stderr, ip_rows)


def parse_rows(text: str) -> tuple[list[tuple[str, str, str]], int]:
    """Deployment-to-deployment rows as ("ns/name", "ns/name", connection); also how many IP rows were skipped."""
    rows, ip_rows = [], 0
    for line in text.splitlines():
        m = _ROW.match(line.strip())
        if m is None:
            continue
        src, dst = _DEPLOYMENT.match(m["src"]), _DEPLOYMENT.match(m["dst"])
        if src is None or dst is None:
            ip_rows += 1
            continue
        rows.append((f"{src['ns']}/{src['name']}", f"{dst['ns']}/{dst['name']}", m["conn"].strip()))
    return rows, ip_rows


@dataclass(frozen=True)
class Connections:
    """Allowed (protocol, port) sets; `everything` for "All connections"."""

    everything: bool = False
    ports: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def merged(self, other: Connections) -> Connections:
        """Both rows' connections (NCA prints one row per protocol group for the same pair)."""
        if self.everything or other.everything:
            return Connections(everything=True)
        ports = {proto: list(ranges) for proto, ranges in self.ports.items()}
        for proto, ranges in other.ports.items():
            ports.setdefault(proto, []).extend(ranges)
        return Connections(ports=ports)

    def allows(self, protocol: str, port: int) -> bool:
        if self.everything:
            return True
        return any(lo <= port <= hi for lo, hi in self.ports.get(protocol, ()))


_GROUP = re.compile(r"\{([^}]*)\}")


def parse_connections(text: str) -> Connections:
    """`All connections`, `No connections` or `{protocols:TCP,UDP,dst_ports:53,8000-8090}` groups."""
    text = text.strip()
    if text == "All connections":
        return Connections(everything=True)
    if text in ("No connections", ""):
        return Connections()
    ports: dict[str, list[tuple[int, int]]] = {}
    groups = _GROUP.findall(text)
    if not groups:
        raise ValueError(f"unrecognised NCA connection {text!r}; expected 'All connections' or "
                         "'{protocols:...,dst_ports:...}' groups")
    for group in groups:
        protocols: list[str] = []
        ranges: list[tuple[int, int]] = []
        current = None
        for part in group.split(","):
            part = part.strip()
            if ":" in part:
                current, part = (s.strip() for s in part.split(":", 1))
            if current == "protocols":
                protocols.append(part.upper())
            elif current == "dst_ports":
                lo, _, hi = part.partition("-")
                ranges.append((int(lo), int(hi or lo)))
            else:
                raise ValueError(f"unrecognised NCA connection field {current!r} in {text!r}")
        for proto in protocols:
            ports.setdefault(proto, []).extend(ranges or [(0, 65535)])
    return Connections(ports=ports)
