"""Turn a step's probe results into a verdict and the sentences a trainee reads.

Exercise steps pass when every probe is as expected, the trainee's file validates and (when the
step asks for it) lint finds no error. Observe steps pass when the cluster behaves as the lab says;
when it does not, that is an `error` of the environment, not of the trainee. Pitfall steps pass when
the wrong policy fails the way the lab describes ("pitfall shown"), with the reason why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labs.course.checks import ERROR, NOT_YET, PASS, CheckResult, ProbeCheck
from labs.course.spec import LabSpec, StepSpec

__all__ = ["StepRun", "grade"]


@dataclass
class StepRun:
    """What happened while a step was put in force and probed."""

    probes: tuple[ProbeCheck, ...] = ()
    problems: list[str] = field(default_factory=list)
    """Validation problems of the trainee's file (exercise) or of the step's policy (pitfall)."""
    lint: list[str] = field(default_factory=list)
    """Error-level lint findings, one line each."""
    notes: list[str] = field(default_factory=list)
    empty_exercise: str | None = None
    """The trainee's file when it holds no policy yet."""
    rejected: str | None = None
    """The validation message when the step's policy was refused."""
    stored_refused: list[str] = field(default_factory=list)
    """For a refused policy the API server accepts: how `kubectl get cnp` reports each one stored (VALID False)."""
    failure: str | None = None
    """A backend failure (not a policy verdict): cluster unreachable, pods missing."""


def grade(lab: LabSpec, step: StepSpec, run: StepRun) -> CheckResult:
    where = lab.where(step)
    base: dict[str, Any] = {"lab": lab.id, "step": step.id, "kind": step.kind, "title": step.title, "where": where,
            "probes": run.probes}
    if run.failure:
        return CheckResult(status=ERROR, summary=f"The check could not run: {run.failure}",
                           notes=tuple(run.notes), **base)
    if step.kind == "pitfall":
        return _pitfall(step, run, base)
    bad = [p for p in run.probes if not p.ok]
    total = len(run.probes)
    if step.kind == "observe":
        if not bad:
            return CheckResult(status=PASS, summary=f"All {total} probes behave as the lab says.",
                               notes=tuple(run.notes), **base)
        return CheckResult(status=ERROR, summary=(
            f"{len(bad)} of {total} probes do not behave as this lab expects: the cluster differs from the "
            "lab's assumptions (is every pod running? has a policy from elsewhere been left behind? "
            "lab.reset(confirm=True) then lab.deploy() starts again)."), notes=tuple(run.notes), **base)
    notes = list(run.notes)
    if run.empty_exercise:
        notes.insert(0, f"Your file {run.empty_exercise} holds no policy yet: write one there (or in the editor).")
    if run.problems:
        notes.insert(0, "Your file does not validate, so it was not applied:")
        notes[1:1] = [f"  {p}" for p in run.problems]
    if run.lint:
        notes.append("Lint found mistakes that must be fixed:")
        notes += [f"  {f}" for f in run.lint]
    if not bad and not run.problems and not run.lint and not run.empty_exercise:
        return CheckResult(status=PASS, summary=f"Well done: all {total} probes behave as required.",
                           notes=tuple(notes), **base)
    audited = [p for p in bad if _audited(p)]
    if audited:
        notes.insert(0, _AUDIT_NOTE.format(count=len(audited), s="" if len(audited) == 1 else "s"))
    if not run.problems and not run.empty_exercise:  # probe hints are about an answer that is in force
        # a probe that audit mode let through says nothing about the answer: its hint would mislead
        notes += [f"Hint: {h}" for h in dict.fromkeys(p.spec.hint for p in bad if p.spec.hint and p not in audited)]
    hint = f'lab.hint("{step.id}") gives a hint.'
    if bad:
        summary = f"Not yet: {len(bad)} of {total} probes are not as required. {hint}"
    elif run.problems or run.empty_exercise:
        summary = f"Not yet: nothing of yours is in force. {hint}"
    else:
        summary = f"Not yet: the probes are right, but lint found mistakes. {hint}"
    return CheckResult(status=NOT_YET, summary=summary, notes=tuple(notes), **base)


_AUDIT_NOTE = (
    "Policy audit mode is on where {count} of these probe{s} end: it lets through what the policies would "
    "drop (Hubble verdict AUDIT), so the check cannot tell whether your policy drops it. Turn audit mode off "
    "(cilium-dbg endpoint config ID PolicyAuditMode=Disabled; `cilium-dbg endpoint list` shows "
    "`Disabled (Audit)` where it is on), then check again.")


def _audited(check: ProbeCheck) -> bool:
    """The probe was let through by policy audit mode: a flow of it has Hubble's verdict AUDIT."""
    return any((f.get("flow") or f).get("verdict") == "AUDIT" for f in check.result.flows)


def _pitfall(step: StepSpec, run: StepRun, base: dict) -> CheckResult:
    why = f"Why: {step.why}"
    if step.rejected:
        if run.rejected and run.stored_refused:
            return CheckResult(status=PASS, summary=(
                "Pitfall shown: the API server stores this policy (`kubectl apply` says created), and Cilium "
                "refuses it (`kubectl get cnp`: VALID False), so none of it is enforced."),
                notes=(*run.stored_refused, f"Why Cilium refuses it, in the course's words: {run.rejected}", why),
                **base)
        if run.rejected:
            return CheckResult(status=PASS, summary="Pitfall shown: this policy is refused before it is applied.",
                               notes=(run.rejected, why), **base)
        return CheckResult(status=ERROR, summary="This policy was expected to be refused, but it was accepted.",
                           notes=(why,), **base)
    if run.problems:
        return CheckResult(status=ERROR, summary="The pitfall's policy did not validate, so it could not be shown.",
                           notes=(*run.problems, why), **base)
    missed = [p for p in run.probes if p.misses_intent]
    if all(p.ok for p in run.probes):
        what = (f"{len(missed)} of {len(run.probes)} probes do not do what the policy's author meant."
                if missed else "The probes behave as the lab describes.")
        return CheckResult(status=PASS, summary=f"Pitfall shown: {what}", notes=(*run.notes, why), **base)
    return CheckResult(status=ERROR, summary=(
        "The pitfall did not show as the lab describes: the cluster behaves differently "
        "(compare the lines below with the lab's `expect`)."), notes=(*run.notes, why), **base)
