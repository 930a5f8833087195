"""`lab.yaml`: a lab's steps, the policies each step puts in force, and the probes that grade it.

Read by `labs.course.session.Lab` (notebooks), `python -m labs check` and the course tests. The
probe format is the scenario format of DESIGN.md (`from`, `to`, `port`, `protocol`, `http`, `dns`,
`expect`); a lab adds steps around it. Every problem names the file, line and field, and says what
is expected; a lab with a problem is not opened at all. The format is documented in docs/course.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from labs.course.located import CourseFileError, LocatedReader, one_mapping
from labs.course.probe_spec import ProbeSpec, read_probe
from labs.manifests.yaml_lines import LineMap
from labs.paths import manifests_dir

__all__ = ["LabSpec", "StepSpec", "ExternalName", "LabSpecError", "load_lab", "lab_ids", "STEP_KINDS"]

STEP_KINDS = ("observe", "exercise", "pitfall")
_LAB_KEYS = {"id", "title", "minutes", "objectives", "workloads", "external", "needs_internet", "steps"}
_STEP_KEYS = {"id", "kind", "title", "policies", "exercise", "solution", "hints", "why", "probes", "lint",
              "rejected", "enforcement", "fix"}
FIX_SUFFIX = "-fix"
"""A pitfall with `fix: FILE` is followed by the exercise `<pitfall id>-fix`: correct the wrong policy."""
_ENFORCEMENT = ("default", "always", "never")


class LabSpecError(CourseFileError):
    """A lab.yaml is not valid; `problems` lists every `file:line: field: message`."""

    noun = "lab definition"


@dataclass(frozen=True)
class ExternalName:
    """A name outside the cluster and the address the simulated DNS gives it."""

    fqdn: str
    ip: str


@dataclass(frozen=True)
class StepSpec:
    """One step of a lab: observe (given policies), exercise (the trainee's file) or pitfall (a wrong policy)."""

    id: str
    kind: str
    title: str
    policies: tuple[str, ...] = ()
    """Files, relative to the lab directory, in force during this step (besides the exercise)."""
    exercise: str | None = None
    """The starting point of the trainee's file (exercise steps)."""
    solution: str | None = None
    hints: tuple[str, ...] = ()
    why: str = ""
    """Pitfall steps: why the policy does not do what its author meant."""
    probes: tuple[ProbeSpec, ...] = ()
    lint: bool = False
    """Exercise steps: error-level lint findings keep the check from passing."""
    rejected: bool = False
    """Pitfall steps: the step's policy is expected to be refused by validation."""
    enforcement: str | None = None
    """A what-if step run on a simulated copy with this policy enforcement mode."""
    line: int = 1
    fix: str | None = None
    """Pitfall steps: the corrected policy (the solution of the `<id>-fix` exercise that follows)."""


@dataclass(frozen=True)
class LabSpec:
    """Everything lab.yaml says about one lab."""

    id: str
    title: str
    minutes: int
    objectives: tuple[str, ...]
    workloads: tuple[str, ...]
    steps: tuple[StepSpec, ...]
    directory: Path
    external: tuple[ExternalName, ...] = ()
    needs_internet: str = ""
    source: str = ""
    """The lab.yaml path as shown to trainees (relative to the repository, e.g. manifests/02-x/lab.yaml)."""
    namespaces: tuple[str, ...] = field(default=())
    """Filled in by the session from workloads.yaml (the Namespace documents)."""

    def step(self, step_id: str) -> StepSpec:
        for step in self.steps:
            if step.id == step_id:
                return step
        known = ", ".join(s.id for s in self.steps)
        raise KeyError(f"lab {self.id!r} has no step {step_id!r}; its steps are: {known}")

    def path(self, relative: str) -> Path:
        return self.directory / relative

    def where(self, step: StepSpec) -> str:
        """`manifests/02-segregation/lab.yaml:41 (step isolate-a)`: where a step's expectations live."""
        return f"{self.source}:{step.line} (step {step.id})"


def lab_ids(root: Path | None = None) -> list[str]:
    """Every lab that has a lab.yaml, in course order."""
    base = root or manifests_dir()
    return sorted(p.parent.name for p in base.glob("*/lab.yaml"))


def load_lab(lab_id: str, *, root: Path | None = None) -> LabSpec:
    """Read and check `manifests/<lab_id>/lab.yaml`; raise LabSpecError listing every problem."""
    base = root or manifests_dir()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", lab_id or ""):  # a folder name, never a path out of it
        raise LabSpecError([f"{lab_id!r} is not a lab id; labs are: {', '.join(lab_ids(base)) or '(none)'}"])
    path = base / lab_id / "lab.yaml"
    if not path.is_file():
        known = ", ".join(lab_ids(base)) or "(none)"
        raise LabSpecError([f"{path}: there is no lab {lab_id!r}; labs are: {known}"])
    return parse_lab(path.read_text(encoding="utf-8"), directory=path.parent, expected_id=lab_id,
                      source=_display(path))


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(manifests_dir().parent))
    except ValueError:
        return str(path)


def parse_lab(text: str, *, directory: Path, expected_id: str | None = None, source: str = "lab.yaml") -> LabSpec:
    """Parse lab.yaml text (exposed for tests and tools)."""
    doc = one_mapping(text, source, LabSpecError, "a lab.yaml is one YAML mapping (id, title, steps, ...)")
    from labs.course.workshop_mode import adapt_spec

    reader = _Reader(adapt_spec(doc.data, name=source), doc.lines, source, directory)
    spec = reader.lab(expected_id)
    if reader.problems:
        raise LabSpecError(reader.problems)
    return spec


class _Reader(LocatedReader):
    """Walks the parsed mapping, collecting every problem instead of stopping at the first."""

    def __init__(self, data: dict[str, Any], lines: LineMap, source: str, directory: Path):
        super().__init__(lines, source)
        self.data, self.directory = data, directory

    def text(self, value: Any, path: tuple[str | int, ...], *, required: bool = True) -> str:
        """A non-empty string; absent is fine when not required."""
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"expected a non-empty text, got {value!r}")
            return ""
        return value.strip()

    def texts(self, value: Any, path: tuple[str | int, ...]) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, f"expected a list of texts, got {value!r}")
            return ()
        return tuple(self.text(v, (*path, i)) for i, v in enumerate(value))

    def file(self, value: Any, path: tuple[str | int, ...]) -> str:
        name = self.text(value, path)
        if name and not (self.directory / name).is_file():
            self.problem(path, f"file {name!r} does not exist in {self.directory.name}/")
        return name

    def lab(self, expected_id: str | None) -> LabSpec:
        d = self.data
        for key in sorted(set(d) - _LAB_KEYS):
            self.problem((key,), f"unknown key {key!r}; known keys: {', '.join(sorted(_LAB_KEYS))}")
        lab_id = self.text(d.get("id"), ("id",))
        if expected_id and lab_id and lab_id != expected_id:
            self.problem(("id",), f"id {lab_id!r} must be the directory name {expected_id!r}")
        minutes = d.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
            self.problem(("minutes",), f"expected the time estimate in minutes (a positive number), got {minutes!r}")
            minutes = 0
        objectives = self.texts(d.get("objectives"), ("objectives",))
        if not objectives:
            self.problem(("objectives",), "a lab states at least one objective")
        raw_workloads = d.get("workloads") or ["workloads.yaml"]
        workloads = tuple(self.file(v, ("workloads", i)) for i, v in enumerate(raw_workloads))
        external = self.external(d.get("external"))
        steps = self.steps(d.get("steps"))
        return LabSpec(id=lab_id, title=self.text(d.get("title"), ("title",)), minutes=minutes,
                       objectives=objectives, workloads=workloads, steps=steps, directory=self.directory,
                       external=external, needs_internet=self.text(d.get("needs_internet"), ("needs_internet",),
                                                                   required=False),
                       source=self.source)

    def external(self, value: Any) -> tuple[ExternalName, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(("external",), f"expected a list of {{fqdn, ip}}, got {value!r}")
            return ()
        names = []
        for i, item in enumerate(value):
            if not isinstance(item, dict) or set(item) != {"fqdn", "ip"}:
                self.problem(("external", i), f"expected {{fqdn: NAME, ip: ADDRESS}}, got {item!r}")
                continue
            names.append(ExternalName(str(item["fqdn"]).lower().rstrip("."), str(item["ip"])))
        return tuple(names)

    def steps(self, value: Any) -> tuple[StepSpec, ...]:
        if not isinstance(value, list) or not value:
            self.problem(("steps",), "expected a non-empty list of steps")
            return ()
        steps, seen = [], set()
        for i, item in enumerate(value):
            path: tuple[str | int, ...] = ("steps", i)
            if not isinstance(item, dict):
                self.problem(path, f"expected a step (a mapping with id, kind, probes), got {item!r}")
                continue
            step = self.step(item, path)
            for made in (step, fix_step(step)) if step.fix else (step,):
                if made.id in seen:
                    self.problem((*path, "id"), f"step id {made.id!r} is used twice")
                seen.add(made.id)
                steps.append(made)
        return tuple(steps)

    def step(self, d: dict[str, Any], path: tuple[str | int, ...]) -> StepSpec:
        for key in sorted(set(d) - _STEP_KEYS):
            self.problem((*path, key), f"unknown key {key!r}; known keys: {', '.join(sorted(_STEP_KEYS))}")
        step_id = self.text(d.get("id"), (*path, "id"))
        kind = d.get("kind")
        if kind not in STEP_KINDS:
            self.problem((*path, "kind"), f"kind {kind!r} is not one of {', '.join(STEP_KINDS)}")
        policies = tuple(self.file(v, (*path, "policies", i)) for i, v in enumerate(d.get("policies") or []))
        exercise = solution = None
        hints: tuple[str, ...] = ()
        if kind == "exercise":
            exercise = self.file(d.get("exercise"), (*path, "exercise"))
            solution = self.file(d.get("solution"), (*path, "solution"))
            hints = self.texts(d.get("hints"), (*path, "hints"))
            if not hints:
                self.problem((*path, "hints"), "an exercise has at least one hint")
        else:
            for key in ("exercise", "solution", "hints", "lint"):
                if key in d:
                    self.problem((*path, key), f"{key!r} belongs to exercise steps, not {kind!r} steps")
        why = self.text(d.get("why"), (*path, "why"), required=kind == "pitfall")
        rejected = bool(d.get("rejected", False))
        if rejected and kind != "pitfall":
            self.problem((*path, "rejected"), "only a pitfall step can expect its policy to be rejected")
        fix = None
        if "fix" in d:
            if kind != "pitfall" or not policies:
                self.problem((*path, "fix"), "`fix` belongs to a pitfall step with a policy "
                                             "(its last `policies` file is what the trainee corrects)")
            else:
                fix = self.file(d.get("fix"), (*path, "fix"))
        enforcement = d.get("enforcement")
        if enforcement is not None and enforcement not in _ENFORCEMENT:
            self.problem((*path, "enforcement"), f"enforcement {enforcement!r} is not one of {', '.join(_ENFORCEMENT)}")
        probes = []
        raw_probes = d.get("probes")
        if raw_probes is None or not isinstance(raw_probes, list):
            self.problem((*path, "probes"), f"expected a list of probes (may be empty), got {raw_probes!r}")
            raw_probes = []
        if not raw_probes and not rejected:
            self.problem((*path, "probes"), "a step needs at least one probe to be checked")
        for i, raw in enumerate(raw_probes):
            probe_path = (*path, "probes", i)
            probe, problems = read_probe(raw, pitfall=kind == "pitfall")
            for p in problems:
                self.problem((*probe_path, *p.path), p.message)
            if probe is not None:
                probes.append(probe.at(self.lines.line(probe_path)))
        if fix is not None and not any(p.intended is not None for p in probes):
            self.problem((*path, "fix"), "a pitfall with `fix` needs probes with `intended` outcomes: they grade the "
                                         "fix exercise")
        return StepSpec(id=step_id, kind=str(kind), title=self.text(d.get("title"), (*path, "title")),
                        policies=policies, exercise=exercise, solution=solution, hints=hints, why=why,
                        probes=tuple(probes), lint=bool(d.get("lint", False)), rejected=rejected,
                        enforcement=enforcement, line=self.lines.line(path), fix=fix)


def fix_step(pitfall: StepSpec) -> StepSpec:
    """The exercise after a pitfall: start from its wrong policy, make every probe do what was meant.

    The trainee's file starts as the pitfall's own policy (its last `policies` file); the other files
    stay in force; each probe now expects its `intended` outcome; the pitfall's `why` is the hint.
    """
    return replace(pitfall, id=pitfall.id + FIX_SUFFIX, kind="exercise", title=f"Fix it: {pitfall.title}",
                   policies=pitfall.policies[:-1], exercise=pitfall.policies[-1], solution=pitfall.fix,
                   hints=(pitfall.why,), why="", fix=None, rejected=False,
                   probes=tuple(replace(p, expect=(p.intended,), intended=None) for p in pitfall.probes
                                if p.intended is not None))
