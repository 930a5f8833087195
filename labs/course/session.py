"""The Lab session a notebook holds: `lab = open_lab("02-segregation")`, then one call per cell.

It puts a step's policies in force, runs the step's lab.yaml probes on the chosen backend, grades
them (`labs.course.grading`), records progress, reveals hints one at a time, shows or loads
solutions, and resets the lab without ever deleting the trainee's files (those live under
`LABS_HOME`). Views (flows, graphs, explanations, editors) are in `labs.course.extras`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from labs.cluster.base import ApplyResult, Cluster, ClusterError
from labs.commands.magics import attach as attach_commands
from labs.course import trainee_files
from labs.course.agent_refused import store_what_the_api_server_accepts
from labs.course.backend import choose_cluster, sim_cluster
from labs.course.checks import CheckResult, compare
from labs.course.extras import LabExtras
from labs.course.grading import StepRun, grade
from labs.course.short_errors import shorten_cluster_errors
from labs.course.spec import LabSpec, StepSpec, load_lab
from labs.course.views import HintView, LabOverview, MatrixResult, Message, SolutionView
from labs.course.workshop_mode import course_sources, course_text, without_namespaces, workshop_trainee
from labs.manifests import ManifestError, load_sources

__all__ = ["Lab", "open_lab", "LAB_LABEL", "DEFAULT_TIMEOUT"]

LAB_LABEL = "ciliumlab.io/lab"
DEFAULT_TIMEOUT = 180.0
"""Seconds to wait for a lab's pods; pass `timeout=` to deploy() to change it."""


def open_lab(lab_id: str, *, backend: str | None = None, cluster: Cluster | None = None) -> Lab:
    """Open a lab on the project's backend (or `backend="sim"`, or a given cluster)."""
    spec = load_lab(lab_id)
    shorten_cluster_errors()  # in a notebook: "run lab.deploy()" rather than a traceback
    return attach_commands(Lab(spec, cluster if cluster is not None else choose_cluster(backend)))


class Lab(LabExtras):
    """One lab on one cluster. Every method is safe to run again, in any order."""

    def __init__(self, spec: LabSpec, cluster: Cluster):
        self.spec = spec
        self.cluster = cluster
        self.namespaces = _lab_namespaces(spec)
        self._hints_shown: dict[str, int] = {}
        self._what_if: dict[str, Cluster] = {}
        self._since: datetime | None = None
        self.last_step: str | None = None
        self._matrices: dict[str, MatrixResult] = {}
        self._predictions: dict[str, dict[tuple[str, str], object]] = {}

    # ---- what this lab is -------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.spec.id

    def overview(self) -> LabOverview:
        info = self.cluster.info()
        notes = []
        if self.spec.needs_internet and info.backend != "sim":
            notes.append(f"Internet: {self.spec.needs_internet}")
        if trainee_files.solve_mode():
            notes.append("Solve mode (LABS_SOLVE=1): exercises are answered with their solutions.")
        return LabOverview(self.id, self.spec.title, self.spec.minutes, self.spec.objectives, info.backend,
                           info.reason, tuple((s.id, s.kind, s.title) for s in self.spec.steps), tuple(notes))

    def __repr__(self) -> str:
        return repr(self.overview())

    def _repr_html_(self) -> str:
        return self.overview()._repr_html_()

    # ---- workloads and policies ---------------------------------------------------------------
    def deploy(self, *, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Apply the lab's workloads and wait (bounded) until the pods are ready."""
        released = self._release_foreign_namespaces(timeout)
        for name in self.spec.external:
            _add_external(self.cluster, name.fqdn, name.ip)
        print(f"Deploying {self.id} on the {self.cluster.backend} backend (waiting up to {timeout:.0f} s)...",
              flush=True)
        try:
            result = self.cluster.apply(self._workloads(), timeout=timeout)
        except (ManifestError, ClusterError, ValueError) as exc:
            return Message(str(exc), ok=False, title=f"Deploying {self.id} failed")
        pods = sum(len(self.cluster.pods(ns)) for ns in self.namespaces)
        return Message(f"{result.summary()}; {pods} pods in namespaces {', '.join(self.namespaces)}." + released,
                       title=f"{self.id} deployed")

    def apply(self, source: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Apply a YAML file (a path, relative to the lab directory or not) or YAML text."""
        return self._change("apply", source, timeout)

    def delete(self, source: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> Message:
        return self._change("delete", source, timeout)

    def _change(self, action: str, source: str | Path, timeout: float) -> Message:
        try:
            resolved = self._resolve_source(source)
            result: ApplyResult = getattr(self.cluster, action)(resolved, timeout=timeout)
        except (ManifestError, ClusterError, ValueError) as exc:
            return Message(str(exc), ok=False, title=f"Nothing was {action.rstrip('e')}ed")
        return Message(result.summary(), title=f"{action} done")

    def _resolve_source(self, source: str | Path) -> str:
        """A path stays a path (messages name it); in workshop mode both become the trainee's YAML text."""
        text = str(source)
        if "\n" in text or text.lstrip().startswith(("apiVersion", "kind", "---")):
            if workshop_trainee() is None:
                return text
            from labs.workshop import adapt_text

            return adapt_text(text, name="<your text>")
        path = Path(text)
        if not path.is_absolute() and not path.exists() and self.spec.path(text).exists():
            path = self.spec.path(text)
        return course_sources([path])[0] if workshop_trainee() else str(path)

    def _workloads(self) -> list[str]:
        return course_sources(self.spec.path(w) for w in self.spec.workloads)

    def reset(self, *, confirm: bool = False, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Delete the lab's policies and namespaces (in workshop mode: empty them). Your files are kept.

        Nothing happens without `confirm=True`: a notebook's Run All must not tear the lab down.
        """
        if not confirm:
            return Message(f"Nothing was deleted. lab.reset(confirm=True) deletes the pods and policies of "
                           f"{self.id} (namespaces {', '.join(self.namespaces)}); your files in "
                           f"{trainee_files.labs_home() / self.id} are kept, and lab.deploy() brings the lab back.",
                           title="Reset needs confirm=True")
        try:
            policies = self.cluster.delete_policies(namespaces=self.namespaces)
            if workshop_trainee() is None:
                self.cluster.delete_namespaces(self.namespaces, timeout=timeout)
                gone = f"namespace{'s' if len(self.namespaces) != 1 else ''} {', '.join(self.namespaces)}"
            else:
                result = self.cluster.delete(without_namespaces(self._workloads()), timeout=timeout)
                gone = f"{len(result.deleted)} workload object{'s' if len(result.deleted) != 1 else ''}"
        except (ClusterError, ManifestError, ValueError) as exc:
            return Message(str(exc), ok=False, title=f"Reset of {self.id} failed")
        self._what_if.clear()
        self._matrices.clear()
        count = len(policies.deleted)
        return Message(f"Deleted {gone} and {count} polic{'ies' if count != 1 else 'y'}. Your files in "
                       f"{trainee_files.labs_home() / self.id} are kept; lab.deploy() starts the lab again.",
                       title=f"{self.id} reset")

    def _release_foreign_namespaces(self, timeout: float) -> str:
        """Namespaces of this lab still owned by another lab (same names) are reset first."""
        foreign = {ns.name: ns.labels.get(LAB_LABEL) for ns in self.cluster.namespaces()
                   if ns.name in self.namespaces and ns.labels.get(LAB_LABEL) not in (None, self.id)}
        if not foreign:
            return ""
        self.cluster.delete_policies(namespaces=list(foreign))
        if workshop_trainee() is None:
            self.cluster.delete_namespaces(list(foreign), timeout=timeout)
        else:  # a trainee empties the namespaces of the other labs they ran there, and keeps the namespaces
            for owner in sorted(set(filter(None, foreign.values()))):
                other = load_lab(str(owner))
                self.cluster.delete(without_namespaces(course_sources(other.path(w) for w in other.workloads)),
                                    timeout=timeout)
        owners = ", ".join(sorted(set(filter(None, foreign.values()))))
        return f" Namespaces {', '.join(sorted(foreign))} of lab {owners} were reset first (your files are kept)."

    def not_deployed(self) -> str | None:
        """What to do when the lab's pods are not there (never deployed, or reset), else None."""
        try:
            empty = [ns for ns in self.namespaces if not self.cluster.pods(ns)]
        except ClusterError as exc:
            return f"The cluster cannot be asked for the lab's pods: {exc}"
        if not empty:
            return None
        return (f"Lab {self.id} is not deployed (no pods in namespace{'s' if len(empty) != 1 else ''} "
                f"{', '.join(empty)}): run lab.deploy(), the cell near the top of the notebook, then try again.")

    # ---- steps -------------------------------------------------------------------------------
    def step(self, step_id: str) -> StepSpec:
        return self.spec.step(step_id)

    def exercise_path(self, step_id: str) -> Path:
        """Your file for an exercise step (created from the lab's template on first use)."""
        step = self._exercise(step_id)
        return trainee_files.exercise_file(self.id, self.spec.path(step.exercise or ""))

    def answer_path(self, step_id: str) -> Path:
        """The file an exercise is checked with: yours, or the solution in solve mode."""
        step = self._exercise(step_id)
        if trainee_files.solve_mode():
            return self.spec.path(step.solution or "")
        return self.exercise_path(step_id)

    def _exercise(self, step_id: str) -> StepSpec:
        step = self.step(step_id)
        if step.kind != "exercise":
            raise ValueError(f"step {step_id!r} of lab {self.id!r} is a {step.kind} step, not an exercise")
        return step

    def cluster_for(self, step: StepSpec) -> Cluster:
        """The step's cluster: ours, or a simulated copy for an enforcement-mode what-if on a live cluster."""
        if not step.enforcement:
            _set_enforcement(self.cluster, "default")
            return self.cluster
        if hasattr(self.cluster, "set_enforcement"):
            _set_enforcement(self.cluster, step.enforcement)
            return self.cluster
        if step.id not in self._what_if:
            copy = sim_cluster(f"simulated copy with policy enforcement {step.enforcement!r}: changing the mode "
                               "of a real cluster restarts every Cilium agent", enforcement=step.enforcement)
            for name in self.spec.external:
                _add_external(copy, name.fqdn, name.ip)
            copy.apply(self._workloads())
            self._what_if[step.id] = copy
        return self._what_if[step.id]

    def enter(self, step_id: str, *, answer: Path | None = None) -> StepRun:
        """Put a step's policies in force (the lab's policies are replaced, not added to).

        An exercise adds the trainee's answer: `answer`, else `answer_path(step_id)`.
        """
        step = self.step(step_id)
        run = StepRun()
        cluster = self.cluster_for(step)
        cluster.delete_policies(namespaces=self.namespaces)
        try:
            files = course_sources(self.spec.path(p) for p in step.policies)
            if files:
                cluster.apply(files)
        except ManifestError as exc:
            if step.rejected:
                run.rejected = str(exc)
                run.stored_refused = store_what_the_api_server_accepts(cluster, files)
                if run.stored_refused:  # stored after all: the loader's "nothing was applied" would be wrong
                    run.rejected = "\n".join(str(p) for p in exc.problems)
            else:
                run.problems += [str(p) for p in exc.problems]
        except ValueError as exc:  # a document a trainee cannot own on a shared cluster (workshop mode)
            run.failure = str(exc)
            return run
        if step.kind == "exercise":
            if step.policies:
                run.notes.append("Also in force in this step, with your answer: "
                                 + ", ".join(step.policies) + f" (from {self.spec.source.rsplit('/', 1)[0]}/).")
            self._enter_answer(step, cluster, run, answer or self.answer_path(step.id))
        self.last_step = step.id
        return run

    def _enter_answer(self, step: StepSpec, cluster: Cluster, run: StepRun, path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        if not trainee_files.has_documents(text):
            run.empty_exercise = _display(path)
            return
        try:
            load_sources([str(path)])
            cluster.apply(course_sources([path]))
        except ManifestError as exc:
            run.problems += [str(p) for p in exc.problems]
            return
        except ValueError as exc:  # workshop mode: a document the trainee cannot own
            run.problems.append(str(exc))
            return
        if step.lint:
            run.lint += self._lint_errors(path, step)

    def _lint_errors(self, path: Path, step: StepSpec) -> list[str]:
        from labs.lint import lint_text

        findings = lint_text(course_text(path), str(path), probes=[p.probe for p in step.probes])
        return [f"{f.location}: {f.code} {f.message}" for f in findings if f.severity == "error"]

    def _probe(self, step: StepSpec, run: StepRun) -> None:
        cluster = self.cluster_for(step)
        self._since = datetime.now(timezone.utc)
        try:
            results = cluster.probe_many([p.probe for p in step.probes])
        except ClusterError as exc:
            run.failure = str(exc)
            return
        run.probes = compare(step.probes, results)

    def matrix(self, step: str | None = None, *, plot: bool = False) -> MatrixResult:
        """Put a step in force and run its probes concurrently; None probes the current state.

        The coloured table is the display; `plot=True` adds the matplotlib figure under it.
        """
        step_id = step or self.last_step or self.spec.steps[0].id
        spec = self.step(step_id)
        missing = self.not_deployed()
        if missing:
            raise ClusterError(missing)
        run = self.enter(step_id) if step else StepRun()
        self._probe(spec, run)
        if run.failure:
            raise ClusterError(run.failure)
        result = MatrixResult(f"{self.id} / {step_id}: {spec.title}", run.probes, self.cluster.backend, plot)
        self._matrices[step_id] = result
        return result

    def check(self, step_id: str, *, answer: Path | None = None) -> CheckResult:
        """Grade a step against lab.yaml and record the result in your progress.

        Exercises grade `answer` when given (the editor's Check passes the file it just saved).
        """
        step = self.step(step_id)
        missing = self.not_deployed()
        try:
            run = StepRun(failure=missing) if missing else self.enter(step_id, answer=answer)
        except ClusterError as exc:
            run = StepRun(failure=str(exc))
        if not run.failure and not run.rejected:
            self._probe(step, run)
        result = grade(self.spec, step, run)
        _record(self.id, step_id, result)
        return result

    def check_all(self) -> list[CheckResult]:
        return [self.check(s.id) for s in self.spec.steps]

    # ---- help --------------------------------------------------------------------------------
    def hint(self, step_id: str) -> HintView:
        """The next hint of an exercise (one more each call)."""
        step = self._exercise(step_id)
        shown = self._hints_shown.get(step_id, 0) + 1
        self._hints_shown[step_id] = min(shown, len(step.hints) + 1)
        text = step.hints[shown - 1] if shown <= len(step.hints) else ""
        return HintView(step_id, shown, len(step.hints), text)

    def solution(self, step_id: str, apply: bool = False) -> SolutionView:
        """Show an exercise's solution; `apply=True` also puts it in your file (old text kept) and applies it."""
        step = self._exercise(step_id)
        path = self.spec.path(step.solution or "")
        text = course_text(path)
        note = ""
        if apply:
            backup = trainee_files.keep_and_replace(self.exercise_path(step_id), text)
            self.enter(step_id)
            note = f"loaded into {_display(self.exercise_path(step_id))} and applied"
            if backup:
                note += f"; your previous text is in {_display(backup)}"
        return SolutionView(step_id, self.spec.source.rsplit("/", 1)[0] + "/" + (step.solution or ""), text, note)


def _lab_namespaces(spec: LabSpec) -> tuple[str, ...]:
    loaded = load_sources(course_sources(spec.path(w) for w in spec.workloads))
    return tuple(ns.name for ns in loaded.namespaces)


def _display(path: Path) -> str:
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home):] if text.startswith(home + "/") else text


def _add_external(cluster: Cluster, fqdn: str, ip: str) -> None:
    """Simulated clusters learn the lab's external names; a real cluster asks real DNS."""
    add = getattr(cluster, "add_external", None)
    if add is not None:
        add(fqdn, ip)


def _set_enforcement(cluster: Cluster, mode: str) -> None:
    setter = getattr(cluster, "set_enforcement", None)
    if setter is not None:
        setter(mode)


def _record(lab: str, step: str, result: CheckResult) -> None:
    """Record in the progress store (labs.progress) when this version has one."""
    try:
        from labs.progress import ProgressStore
    except ImportError:
        return
    ProgressStore().record(lab, step, result.status, result.summary)
