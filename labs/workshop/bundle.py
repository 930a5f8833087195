"""A help bundle per trainee: everything an instructor needs to answer a question, in one folder.

`<out>/<trainee>/` holds `versions.json` (Python, packages, the cluster's backend and Cilium version),
`doctor.txt` (`python -m labs doctor` run as the trainee, when that command exists), `policies.yaml`
(the policies in force in the trainee's namespaces), `flows.jsonl` (their last Hubble flows, the same
JSON lines `hubble observe -o jsonpb` prints), `progress.json` (a copy) and `status.txt` (their row).
Nothing is sent anywhere: the instructor opens the folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata, util
from pathlib import Path
from typing import Any, Sequence

import yaml

from labs.cluster.base import Cluster
from labs.workshop.kubeconfig import write_private
from labs.workshop.progress import TraineeProgress

__all__ = ["write_help_bundle", "flows_for", "policies_for", "versions", "run_doctor"]


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and mappings as plain YAML/JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions(cluster: Cluster | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {d: _version(d) for d in ("ciliumlab", "kubernetes", "jupyterlab", "ipywidgets", "PyYAML")},
    }
    if cluster is not None:
        try:
            data["cluster"] = _plain(cluster.info())
        except Exception as exc:  # the bundle still helps when the cluster does not answer
            data["cluster"] = {"error": str(exc)}
    return data


def policies_for(cluster: Cluster, namespaces: Sequence[str]) -> list[dict[str, Any]]:
    wanted = set(namespaces)
    return [{"kind": getattr(p, "kind", type(p).__name__), **_plain(p)}
            for p in cluster.policies() if getattr(p, "namespace", None) in wanted]


def flows_for(cluster: Cluster, namespaces: Sequence[str], *, limit: int = 200) -> list[dict[str, Any]]:
    """The last `limit` flows whose source or destination is in one of the namespaces."""
    wanted = set(namespaces)
    picked = []
    for entry in cluster.flows(limit=10_000):
        flow = entry.get("flow") or {}
        ends = {(flow.get("source") or {}).get("namespace"), (flow.get("destination") or {}).get("namespace")}
        if ends & wanted:
            picked.append(entry)
    return picked[-limit:]


def run_doctor(trainee: str, kubeconfig: Path | None, *, timeout: float = 60.0) -> str:
    """`python -m labs doctor` as the trainee would run it, or a line saying why it was not run."""
    if util.find_spec("labs.doctor.cli") is None:
        return "labs doctor is not available in this version of the course.\n"
    env = dict(os.environ, LABS_TRAINEE=trainee)
    if kubeconfig is not None and kubeconfig.is_file():
        env["KUBECONFIG"] = str(kubeconfig)
    try:
        done = subprocess.run([sys.executable, "-m", "labs", "doctor"], capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return f"labs doctor did not finish within {timeout:.0f} s (raise --doctor-timeout).\n"
    return f"$ python -m labs doctor   (exit {done.returncode})\n{done.stdout}{done.stderr}"


def write_help_bundle(trainee: str, out_dir: Path, *, namespaces: Sequence[str], cluster: Cluster | None = None,
                      progress: TraineeProgress | None = None, status_text: str = "",
                      kubeconfig: Path | None = None, doctor: bool = True, doctor_timeout: float = 60.0,
                      flow_limit: int = 200) -> Path:
    """Write the bundle folder (owner-only files, as it may show tokens' owners and pod addresses)."""
    folder = out_dir / trainee
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    write_private(folder / "versions.json", json.dumps(versions(cluster), indent=2) + "\n")
    write_private(folder / "doctor.txt", run_doctor(trainee, kubeconfig, timeout=doctor_timeout) if doctor
                  else "labs doctor was not run (--no-doctor).\n")
    if cluster is not None:
        write_private(folder / "policies.yaml", yaml.safe_dump_all(policies_for(cluster, namespaces), sort_keys=False)
                      or "# no policies in force in the trainee's namespaces\n")
        flows = flows_for(cluster, namespaces, limit=flow_limit)
        write_private(folder / "flows.jsonl", "".join(json.dumps(f) + "\n" for f in flows))
    if progress is not None and progress.path.is_file():
        shutil.copyfile(progress.path, folder / "progress.json")
        os.chmod(folder / "progress.json", 0o600)
    elif progress is not None:
        write_private(folder / "progress.json", json.dumps({"problem": progress.problem}) + "\n")
    header = f"Help bundle for trainee {trainee!r}; namespaces: {', '.join(namespaces) or '(none)'}\n\n"
    write_private(folder / "status.txt", header + status_text)
    return folder
