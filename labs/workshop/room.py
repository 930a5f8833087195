"""The instructor's handle on one workshop: trainees, labs, output folder, and the calls a notebook makes.

`Room` ties the pure parts together (which namespaces each trainee gets, what each lab supports) and
runs the I/O ones on a cluster: provision, teardown, verify, status, help bundles. The CLI
(`labs.workshop.cli`), the instructor notebook and the benchmark all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from labs.cluster.base import DEFAULT_PROBE_TIMEOUT, Cluster
from labs.paths import labs_home, manifests_dir
from labs.workshop.bundle import write_help_bundle
from labs.workshop.checks import DEFAULT_PARALLEL, LiveStep, run_live_checks, trainee_steps
from labs.workshop.kubeconfig import ClusterEndpoint
from labs.workshop.labfile import LabSupport, load_lab_spec
from labs.workshop.names import load_trainees
from labs.workshop.progress import TraineeProgress, progress_path, read_progress
from labs.workshop.provision import (
    ProvisionReport,
    TeardownReport,
    TokenSource,
    discover_labs,
    plan,
    provision,
    teardown,
)
from labs.workshop.rbac import TraineeAccess, workshop_objects
from labs.workshop.rbac_eval import RbacAuthorizer
from labs.workshop.status import RoomStatus, build_status
from labs.workshop.verify import AccessReviewer, OfflineReviewer, VerifyReport, verify

__all__ = ["Room", "default_workshop_dir"]


def default_workshop_dir() -> Path:
    return labs_home() / "workshop"


@dataclass
class Room:
    """A workshop: who attends, which labs, and where its files go."""

    trainees: list[str]
    manifests: Path = field(default_factory=manifests_dir)
    labs: Sequence[str] = ()
    folder: Path = field(default_factory=default_workshop_dir)
    progress_template: str = ""

    def __post_init__(self) -> None:
        self.lab_namespaces, self.supports = discover_labs(self.manifests, self.labs)
        self.accesses: list[TraineeAccess] = plan(self.trainees, self.lab_namespaces)
        if not self.progress_template:
            self.progress_template = str(self.folder / "progress" / "{trainee}.json")

    @classmethod
    def from_file(cls, trainees_file: str | Path, **kwargs: Any) -> Room:
        return cls(load_trainees(trainees_file), **kwargs)

    @property
    def kubeconfig_dir(self) -> Path:
        return self.folder / "kubeconfigs"

    def access(self, trainee: str) -> TraineeAccess:
        for access in self.accesses:
            if access.trainee == trainee:
                return access
        raise KeyError(f"{trainee!r} is not in this workshop; trainees: {', '.join(self.trainees)}")

    def support(self, lab_id: str) -> LabSupport:
        return next(s for s in self.supports if s.lab_id == lab_id)

    def objects(self) -> list[dict[str, Any]]:
        return workshop_objects(self.accesses)

    # --- access ---------------------------------------------------------------------------------------

    def provision(self, cluster: Cluster, *, tokens: TokenSource, endpoint: ClusterEndpoint,
                  timeout: float = 120.0) -> ProvisionReport:
        return provision(cluster, self.accesses, out_dir=self.kubeconfig_dir, tokens=tokens, endpoint=endpoint,
                         timeout=timeout, labs=self.supports)

    def teardown(self, cluster: Cluster, *, shared: bool = False, timeout: float = 120.0) -> TeardownReport:
        return teardown(cluster, self.accesses, out_dir=self.kubeconfig_dir, shared=shared, timeout=timeout)

    def verify(self, reviewer: AccessReviewer | None = None, *, parallel: int = 16) -> VerifyReport:
        """With no reviewer, answer offline from the generated objects (what provisioning would create)."""
        return verify(self.accesses, reviewer or OfflineReviewer(RbacAuthorizer(self.objects())), parallel=parallel)

    # --- the room -------------------------------------------------------------------------------------

    def progress(self) -> dict[str, TraineeProgress]:
        return {t: read_progress(progress_path(self.progress_template, t), t) for t in self.trainees}

    def step_order(self) -> list[tuple[str, str]]:
        order = []
        for support in self.supports:
            spec = load_lab_spec(self.manifests / support.lab_id)
            for step in spec.get("steps") or []:
                if isinstance(step, dict) and step.get("id"):
                    order.append((support.lab_id, str(step["id"])))
        return order

    def live_steps(self, steps: Sequence[str] = ()) -> list[LiveStep]:
        out: list[LiveStep] = []
        for support in self.supports:
            if not support.runnable:
                continue
            for trainee in self.trainees:
                out += trainee_steps(self.manifests / support.lab_id, trainee,
                                     read_only_steps=list(support.read_only_steps), steps=steps)
        return out

    def status(self, cluster: Cluster | None = None, *, steps: Sequence[str] = (),
               timeout: float = DEFAULT_PROBE_TIMEOUT, parallel: int = DEFAULT_PARALLEL) -> RoomStatus:
        """Progress files, plus live checks of every step with probes when a cluster is given."""
        live = run_live_checks(cluster, self.live_steps(steps), timeout=timeout, parallel=parallel) \
            if cluster is not None else None
        return build_status(self.trainees, self.progress(), live, self.step_order())

    def help_bundles(self, room: RoomStatus, *, cluster: Cluster | None = None, out_dir: Path | None = None,
                     trainees: Sequence[str] = (), doctor: bool = True, doctor_timeout: float = 60.0) -> list[Path]:
        out = out_dir or self.folder / "help"
        progress = self.progress()
        folders = []
        for trainee in trainees or self.trainees:
            single = RoomStatus([trainee], room.columns, {k: v for k, v in room.cells.items() if k[0] == trainee},
                                {k: v for k, v in room.problems.items() if k == trainee})
            folders.append(write_help_bundle(
                trainee, out, namespaces=self.access(trainee).namespaces, cluster=cluster,
                progress=progress[trainee], status_text=single.render_text(),
                kubeconfig=self.kubeconfig_dir / f"{trainee}.kubeconfig", doctor=doctor, doctor_timeout=doctor_timeout))
        return folders
