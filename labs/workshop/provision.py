"""Provision and tear down a workshop through the `Cluster` interface (either backend).

`provision` generates every object (`labs.workshop.rbac`), applies them in one call, asks a
`TokenSource` for each trainee's token and writes one kubeconfig per trainee. On the live backend the
token comes from the ServiceAccount's token Secret or a TokenRequest (`labs.workshop.live`); on the
simulated backend there is no API server, so the token is random and the kubeconfig says so.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

import yaml

from labs.cluster.base import ApplyResult, Cluster
from labs.workshop.kubeconfig import ClusterEndpoint, write_kubeconfig
from labs.workshop.labfile import LabSupport, assess_lab
from labs.workshop.rbac import (
    WORKSHOP_NAMESPACE,
    TraineeAccess,
    shared_objects,
    trainee_access,
    trainee_objects,
    workshop_objects,
)

__all__ = ["TokenSource", "SimulatedTokens", "ProvisionReport", "TeardownReport", "discover_labs", "plan",
           "provision", "teardown", "SIM_ENDPOINT"]

SIM_ENDPOINT = ClusterEndpoint(
    "https://simulated.invalid:6443",
    note="Simulated backend: no API server exists; this file shows the layout a live cluster gets.")


class TokenSource(Protocol):
    """Gives the bearer token of a trainee's ServiceAccount once it exists."""

    def token(self, access: TraineeAccess, *, timeout: float) -> str: ...


class SimulatedTokens:
    """Random tokens for the simulated backend, where nothing checks them."""

    def token(self, access: TraineeAccess, *, timeout: float) -> str:
        return "simulated-" + secrets.token_urlsafe(24)


def discover_labs(manifests_dir: Path, only: Sequence[str] = ()) -> tuple[dict[str, list[str]], list[LabSupport]]:
    """Lab namespaces of every lab folder (or of `only`), and each lab's workshop support."""
    if not manifests_dir.is_dir():
        raise FileNotFoundError(f"The manifests folder {str(manifests_dir)!r} does not exist; run from a course "
                                "checkout or pass --manifests.")
    folders = sorted(p for p in manifests_dir.iterdir()
                     if p.is_dir() and ((p / "lab.yaml").is_file() or (p / "workloads.yaml").is_file()))
    names = {p.name: p for p in folders}
    missing = [lab for lab in only if lab not in names]
    if missing:
        raise FileNotFoundError(f"No lab named {missing[0]!r} in {manifests_dir}; labs there: "
                                f"{', '.join(sorted(names)) or 'none'}.")
    chosen = [names[lab] for lab in only] if only else folders
    supports = [assess_lab(p) for p in chosen]
    return {s.lab_id: list(s.namespaces) for s in supports}, supports


def plan(trainees: Sequence[str], lab_namespaces: Mapping[str, Sequence[str]]) -> list[TraineeAccess]:
    return [trainee_access(t, lab_namespaces) for t in trainees]


@dataclass
class ProvisionReport:
    accesses: list[TraineeAccess]
    kubeconfigs: dict[str, Path]
    applied: ApplyResult
    objects: int
    seconds: float
    labs: list[LabSupport] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Provisioned {len(self.accesses)} trainee(s): {self.objects} objects ({self.applied.summary()}) "
               f"in {self.seconds:.2f} s."]
        out += [f"  {a.trainee}: {len(a.namespaces)} namespaces, kubeconfig {self.kubeconfigs[a.trainee]}"
                for a in self.accesses]
        out += [f"  lab {s.describe()}" for s in self.labs if s.mode != "full"]
        return out


def _yaml(objs: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(objs, sort_keys=False)


def provision(cluster: Cluster, accesses: Sequence[TraineeAccess], *, out_dir: Path, tokens: TokenSource,
              endpoint: ClusterEndpoint, timeout: float = 120.0, labs: Sequence[LabSupport] = ()) -> ProvisionReport:
    """Apply every object (all or nothing, as `Cluster.apply` promises), then write the kubeconfigs."""
    started = time.perf_counter()
    objs = workshop_objects(accesses)
    applied = cluster.apply(_yaml(objs), timeout=timeout)
    kubeconfigs: dict[str, Path] = {}
    deadline = time.monotonic() + timeout
    for access in accesses:
        remaining = max(0.1, deadline - time.monotonic())
        token = tokens.token(access, timeout=remaining)
        home = access.namespaces[0] if access.namespaces else None
        kubeconfigs[access.trainee] = write_kubeconfig(out_dir, access.trainee, token, endpoint, home)
    return ProvisionReport(list(accesses), kubeconfigs, applied, len(objs), time.perf_counter() - started, list(labs))


@dataclass
class TeardownReport:
    deleted: ApplyResult
    namespaces: ApplyResult
    removed_files: list[Path]

    def lines(self) -> list[str]:
        return [f"Deleted objects: {self.deleted.summary()}; namespaces: {self.namespaces.summary()}; "
                f"removed {len(self.removed_files)} kubeconfig file(s)."]


def teardown(cluster: Cluster, accesses: Sequence[TraineeAccess], *, out_dir: Path | None = None,
             shared: bool = False, timeout: float = 120.0) -> TeardownReport:
    """Delete the trainees' namespaces, identities and bindings; with `shared`, the workshop's own objects too."""
    objs = [o for a in accesses for o in trainee_objects(a)]
    if shared:
        objs += shared_objects()
    cluster_scoped_or_elsewhere = [o for o in objs if o["kind"] != "Namespace"]
    namespaces = sorted({o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"})
    deleted = cluster.delete(_yaml(cluster_scoped_or_elsewhere), timeout=timeout) if cluster_scoped_or_elsewhere \
        else ApplyResult()
    if shared and WORKSHOP_NAMESPACE not in namespaces:
        namespaces.append(WORKSHOP_NAMESPACE)
    ns_result = cluster.delete_namespaces(namespaces, timeout=timeout)
    removed: list[Path] = []
    if out_dir is not None:
        for access in accesses:
            path = out_dir / f"{access.trainee}.kubeconfig"
            if path.exists():
                path.unlink()
                removed.append(path)
    return TeardownReport(deleted, ns_result, removed)
