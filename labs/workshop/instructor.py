"""The instructor notebook's one-call helpers (notebooks/90-instructor.ipynb).

`open_room()` reads the trainee list (`LABS_WORKSHOP_TRAINEES`, default
`$LABS_HOME/workshop/trainees.txt`) and connects to the cluster the labs would use. With no trainee
list it opens a rehearsal instead: three example trainees on the simulated backend, lab workloads
deployed and one trainee's solution applied, so every cell shows real output before the day.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from labs.cluster.base import Cluster
from labs.workshop.predictions import WrongPredictions, wrong_predictions
from labs.workshop.room import Room, default_workshop_dir
from labs.workshop.status import RoomStatus
from labs.workshop.verify import VerifyReport

__all__ = ["InstructorView", "open_room", "TRAINEES_ENV", "REHEARSAL_TRAINEES", "REHEARSAL_LAB"]

TRAINEES_ENV = "LABS_WORKSHOP_TRAINEES"
REHEARSAL_TRAINEES = ("alice", "bob", "carol")
REHEARSAL_LAB = "04-namespace-isolation"


@dataclass
class InstructorView:
    room: Room
    cluster: Cluster | None
    note: str
    last: RoomStatus | None = field(default=None, repr=False)

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.note)}</p>"

    def __repr__(self) -> str:
        return self.note

    def labs(self) -> str:
        """What each lab does in workshop mode."""
        return "\n".join(s.describe() for s in self.room.supports)

    def status(self, *, live: bool = True, steps: Sequence[str] = (), timeout: float = 5.0) -> RoomStatus:
        """The table of trainees by step; `live` also probes every step on the cluster now."""
        self.last = self.room.status(self.cluster if live else None, steps=steps, timeout=timeout)
        return self.last

    def most_failed_step(self) -> str:
        room = self.last or self.status(live=False)
        f = room.most_failed
        if f is None:
            return "No step has failed attempts yet."
        return (f"{f.lab_id}/{f.step_id}: {f.failed_attempts} failed attempts; stuck now: "
                f"{', '.join(f.stuck) or 'nobody'}")

    def wrong_predictions(self, *, labs: Sequence[str] = ()) -> WrongPredictions:
        """Which probes most trainees predicted wrongly, lab by lab, from their saved predictions."""
        return wrong_predictions(self.room.progress(), labs=labs, step_order=self.room.step_order())

    def help_bundle(self, trainee: str, *, doctor: bool = True) -> Path:
        """Write one trainee's help bundle and return its folder."""
        room = self.last or self.status(live=False)
        return self.room.help_bundles(room, cluster=self.cluster, trainees=[trainee], doctor=doctor)[0]

    def verify(self) -> str:
        """Offline proof from the generated RBAC (use `python -m labs workshop verify` on the live cluster)."""
        report: VerifyReport = self.room.verify()
        return "\n".join(report.lines())


def _rehearsal(manifests: Path | None) -> InstructorView:
    from labs.cluster.sim import SimCluster
    from labs.workshop.labfile import load_lab_spec
    from labs.workshop.provision import SIM_ENDPOINT, SimulatedTokens
    from labs.workshop.rewrite import rewrite_text
    from labs.workshop.scope import NamespaceMap

    kwargs: dict[str, Any] = {"labs": [REHEARSAL_LAB], "folder": default_workshop_dir() / "rehearsal"}
    if manifests is not None:
        kwargs["manifests"] = manifests
    room = Room(list(REHEARSAL_TRAINEES), **kwargs)
    lab = room.manifests / REHEARSAL_LAB
    spec = load_lab_spec(lab)
    cluster = SimCluster(external={e["fqdn"]: e["ip"] for e in spec.get("external") or []})
    room.provision(cluster, tokens=SimulatedTokens(), endpoint=SIM_ENDPOINT)
    files = list(spec.get("workloads") or ["workloads.yaml"])
    solution = next(s["solution"] for s in spec["steps"] if s.get("solution"))
    for i, trainee in enumerate(room.trainees):
        for name in files + ([solution] if i == 0 else []):
            cluster.apply(rewrite_text((lab / name).read_text(), NamespaceMap(trainee), name=name,
                                       strict=True).to_yaml())
    _rehearsal_predictions(room)
    note = (f"Rehearsal: no trainee list at ${TRAINEES_ENV} or {default_workshop_dir() / 'trainees.txt'}, so "
            f"trainees {', '.join(REHEARSAL_TRAINEES)} run lab {REHEARSAL_LAB} on the simulated backend; "
            f"{REHEARSAL_TRAINEES[0]} has applied the solution. Their predictions are example guesses "
            f"(what a pitfall's author meant, the truth, 'dropped' everywhere), checked against real matrices.")
    return InstructorView(room, cluster, note)


def _rehearsal_predictions(room: Room) -> None:
    """Give the rehearsal trainees predictions, saved the way a trainee's Check saves them.

    Each example trainee guesses by one rule (alice: what each probe was meant to do, so pitfalls catch
    her out; bob: what the cluster does; carol: `dropped` everywhere); the matrices are the lab's, run on
    the simulated backend. Files that already hold predictions are left alone.
    """
    from labs.course import open_lab
    from labs.course.predictions import save_predictions
    from labs.course.views import column_label
    from labs.progress import ProgressStore
    from labs.workshop.progress import progress_path, read_progress

    stores = {t: ProgressStore(progress_path(room.progress_template, t)) for t in room.trainees}
    if any(read_progress(store.path, t).predictions for t, store in stores.items()):
        return
    lab = open_lab(REHEARSAL_LAB, backend="sim")
    lab.deploy()
    steps = [s for s in lab.spec.steps if s.kind == "pitfall" and s.probes][:2]
    steps = [s for s in lab.spec.steps if s.kind == "observe"][:1] + steps
    for step in steps:
        checks = lab.matrix(step.id).checks
        for index, store in enumerate(stores.values()):
            guesses = {}
            for check in checks:
                cell = (check.spec.probe.source, column_label(check.spec.probe))
                meant = check.spec.intended or check.spec.expect[0]
                guesses[cell] = (meant, check.observed, "dropped")[index % 3]
            save_predictions(REHEARSAL_LAB, step.id, guesses, checks, store=store)


def open_room(trainees_file: str | Path | None = None, *, backend: str | None = None,
              manifests: Path | None = None, labs: Sequence[str] = ()) -> InstructorView:
    """The workshop described by the trainee list, on the cluster the labs would use (or a rehearsal)."""
    path = Path(trainees_file or os.environ.get(TRAINEES_ENV) or default_workshop_dir() / "trainees.txt")
    if not path.is_file():
        return _rehearsal(manifests)
    from labs.cluster.select import get_cluster

    kwargs: dict[str, Any] = {"labs": list(labs)}
    if manifests is not None:
        kwargs["manifests"] = manifests
    room = Room.from_file(path, **kwargs)
    cluster = get_cluster(backend)
    note = (f"Workshop of {len(room.trainees)} trainees from {path}; cluster: {cluster.info().reason}.")
    return InstructorView(room, cluster, note)
