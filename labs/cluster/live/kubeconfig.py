"""Find the kubeconfig the course should use, and the context and server inside it.

Search order (first file that exists wins): the repository's `.kube/config` that the VM exports,
then `KUBECONFIG` (a list of files joined with the OS path separator, merged as kubectl does),
then `~/.kube/config`. The VM's export comes first so that a KUBECONFIG left pointing at another
cluster is not used by accident; in workshop mode (`LABS_TRAINEE` set) the trainee's KUBECONFIG
comes first, as the credentials the workshop handed out must never be overridden by an admin file.
The context is the one asked for (`LABS_KUBE_CONTEXT` or an argument), else the file's
current-context. Nothing here talks to the network.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labs.cluster.base import ClusterError
from labs.paths import repo_root, vm_kubeconfig
from labs.workshop.names import TRAINEE_ENV

__all__ = ["KubeconfigCandidate", "KubeconfigChoice", "candidates", "discover", "choose_context",
           "CONTEXT_ENV"]

CONTEXT_ENV = "LABS_KUBE_CONTEXT"


@dataclass(frozen=True)
class KubeconfigCandidate:
    """One place a kubeconfig may be: its files, and how a trainee would call it."""

    files: tuple[Path, ...]
    label: str
    """`.kube/config` for the VM's export, `KUBECONFIG=...`, or `~/.kube/config`."""

    @property
    def exists(self) -> bool:
        return any(f.is_file() for f in self.files)


@dataclass(frozen=True)
class KubeconfigChoice:
    """The kubeconfig and context that will be used, with the API server address they name."""

    files: tuple[Path, ...]
    label: str
    context: str
    server: str
    contexts: tuple[str, ...]
    data: dict[str, Any]
    """The merged kubeconfig (for `kubernetes.config.load_kube_config_from_dict`)."""

    @property
    def path_text(self) -> str:
        return os.pathsep.join(str(f) for f in self.files)

    def insecure_files(self) -> list[Path]:
        """Files readable by group or others (the kubeconfig holds admin credentials)."""
        bad = []
        for f in self.files:
            try:
                if f.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                    bad.append(f)
            except OSError:
                continue
        return bad


def _label_for_vm(path: Path) -> str:
    try:
        return str(path.relative_to(repo_root()))
    except ValueError:
        return str(path)


def candidates(env: Mapping[str, str] | None = None) -> list[KubeconfigCandidate]:
    """Every place searched, in order, whether it exists or not."""
    env = os.environ if env is None else env
    found = [KubeconfigCandidate((vm_kubeconfig(),), _label_for_vm(vm_kubeconfig()))]
    raw = env.get("KUBECONFIG", "")
    parts = tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip())
    if parts:
        explicit = KubeconfigCandidate(parts, f"KUBECONFIG={raw}")
        if env.get(TRAINEE_ENV, "").strip():
            found.insert(0, explicit)
        else:
            found.append(explicit)
    home = Path(env.get("HOME") or Path.home())
    found.append(KubeconfigCandidate((home / ".kube" / "config",), "~/.kube/config"))
    return found


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClusterError(f"Cannot read the kubeconfig {str(path)!r}: {exc.strerror}. "
                           "Check the file's permissions, or export it again with `vagrant up`.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ClusterError(f"The kubeconfig {str(path)!r} is not valid YAML{where}. "
                           "Export it again from the VM (`vagrant up` re-exports `.kube/config`).") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ClusterError(f"The kubeconfig {str(path)!r} is not a mapping (found {type(data).__name__}). "
                           "Export it again from the VM (`vagrant up` re-exports `.kube/config`).")
    return data


def _merge(files: tuple[Path, ...]) -> dict[str, Any]:
    """Merge like kubectl: the first file to define a name wins; current-context from the first that has one."""
    merged: dict[str, Any] = {"clusters": [], "contexts": [], "users": []}
    seen: dict[str, set[str | None]] = {k: set() for k in ("clusters", "contexts", "users")}
    for path in files:
        if not path.is_file():
            continue
        data = _read(path)
        if data.get("current-context") and "current-context" not in merged:
            merged["current-context"] = data["current-context"]
        for key in ("clusters", "contexts", "users"):
            for entry in data.get(key) or []:
                if isinstance(entry, dict) and entry.get("name") not in seen[key]:
                    seen[key].add(entry.get("name"))
                    merged[key].append(entry)
    return merged


def choose_context(data: dict[str, Any], wanted: str | None, where: str) -> tuple[str, str]:
    """Return (context name, server URL) of the wanted or current context, or raise naming the choices."""
    contexts = {c.get("name"): c.get("context") or {} for c in data.get("contexts") or [] if isinstance(c, dict)}
    names = ", ".join(repr(n) for n in contexts) or "none"
    name = wanted or data.get("current-context")
    if not name:
        raise ClusterError(f"The kubeconfig {where} has no current-context and none was asked for; "
                           f"its contexts are: {names}. Set {CONTEXT_ENV}=<name> or run "
                           "`kubectl config use-context <name>`.")
    if name not in contexts:
        origin = f"{CONTEXT_ENV}" if wanted else "current-context"
        raise ClusterError(f"The context {name!r} ({origin}) is not in the kubeconfig {where}; "
                           f"its contexts are: {names}. Set {CONTEXT_ENV} to one of them.")
    cluster_name = contexts[name].get("cluster")
    clusters = {c.get("name"): c.get("cluster") or {} for c in data.get("clusters") or [] if isinstance(c, dict)}
    server = (clusters.get(cluster_name) or {}).get("server")
    if not server:
        raise ClusterError(f"The context {name!r} in the kubeconfig {where} names the cluster "
                           f"{cluster_name!r}, which has no server address. Export the kubeconfig again "
                           "from the VM (`vagrant up`).")
    return str(name), str(server)


def discover(context: str | None = None, env: Mapping[str, str] | None = None) -> KubeconfigChoice | None:
    """The first existing kubeconfig in search order with its context, or None when there is none."""
    env = os.environ if env is None else env
    wanted = context or env.get(CONTEXT_ENV) or None
    for cand in candidates(env):
        if not cand.exists:
            continue
        data = _merge(cand.files)
        name, server = choose_context(data, wanted, f"{cand.label!r}")
        ctx_names = tuple(str(c.get("name")) for c in data.get("contexts") or [] if isinstance(c, dict))
        files = tuple(f for f in cand.files if f.is_file())
        return KubeconfigChoice(files, cand.label, name, server, ctx_names, data)
    return None
