"""The callables a Lab gives the widgets of `labs.widgets` (the editor and the predict grid).

The widgets only draw and call back; what Validate, Apply, Check and Lint mean for an exercise is
decided here, on the trainee's file. Without ipywidgets (a terminal, a plain kernel) the same calls
return text that says where the file is and which calls to use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labs.course import trainee_files
from labs.course.views import Message

if TYPE_CHECKING:
    from labs.course.session import Lab

__all__ = ["policy_editor", "predict_grid", "editor_callbacks", "findings_text"]


def editor_callbacks(lab: Lab, step_id: str) -> dict[str, Any]:
    """validate(text), apply(text), check(text), lint(text) for an exercise, as `labs.widgets.PolicyEditor` takes them.

    Apply, Lint and Check save the text to the trainee's file first (the text it replaces is kept as
    `<file>.bak`), so Check grades exactly what the editor shows. Apply lints first and shows the
    findings above what was applied (a finding does not stop the apply: pitfalls are meant to be tried).
    """
    path = lab.exercise_path(step_id)
    name = str(path)

    def save(text: str) -> None:
        trainee_files.save_keeping_previous(path, text)

    def validate(text: str) -> list[Any]:
        from labs.manifests import ManifestError, load_text
        from labs.manifests.yaml_errors import explain_yaml_error

        syntax = explain_yaml_error(text)  # the course's words, at the editor's line and column
        if syntax is not None:
            return [syntax]
        try:
            load_text(text, name=name)
        except ManifestError as exc:
            return list(exc.problems)
        return []

    def lint(text: str) -> list[Any]:
        from labs.lint import lint_text

        save(text)
        return lint_text(text, name, probes=[p.probe for p in lab.step(step_id).probes])

    def apply(text: str) -> str:
        missing = lab.not_deployed()
        if missing:
            raise ValueError(missing)
        findings = lint(text)
        message = lab.apply(name)
        if not message.ok:
            raise ValueError("\n".join(findings_text(findings) + [message.text]))
        return "\n".join(findings_text(findings) + [message.text])

    def check(text: str) -> Any:
        save(text)
        return lab.check(step_id, answer=path)

    return {"validate": validate, "apply": apply, "check": check, "lint": lint}


def findings_text(findings: list[Any]) -> list[str]:
    """Lint findings as the lines Apply shows before its summary (none: nothing to say)."""
    if not findings:
        return []
    count = len(findings)
    lines = [f"lint: {count} finding{'s' if count != 1 else ''} (a finding does not stop the apply):"]
    for f in findings:
        where = f"line {f.line}" if f.line is not None else "(no line)"
        lines.append(f"  {where}: {f.code} ({f.severity}) {f.message}")
        if f.fix:
            first, *rest = f.fix.splitlines()
            lines.append(f"      fix: {first}")
            lines += [f"           {line}" for line in rest]
    return lines


def policy_editor(lab: Lab, step_id: str) -> Any:
    path = lab.exercise_path(step_id)
    try:
        from labs.widgets import PolicyEditor
    except ImportError:
        return Message(f"Edit {path} in JupyterLab's editor, then run lab.check({step_id!r}).",
                       title=f"Exercise {step_id}")
    # the file follows the editor as the trainee types, so the `%kubectl apply -f` and `lab.check`
    # cells under it (and a reload or a restarted kernel) meet the text the editor shows
    return PolicyEditor(initial_text=path.read_text(encoding="utf-8"), save=trainee_files.follow_editor(path),
                        **editor_callbacks(lab, step_id))


def predict_grid(lab: Lab, step_id: str) -> Any:
    from labs.course.views import column_label

    step = lab.step(step_id)
    sources = list(dict.fromkeys(p.probe.source for p in step.probes))
    destinations = list(dict.fromkeys(column_label(p.probe) for p in step.probes))
    try:
        from labs.widgets import PredictGrid
    except ImportError:
        lines = [f"  {p.label}: allowed, dropped, l7-denied or refused?" for p in step.probes]
        return Message("\n".join(lines), title=f"Predict, then run lab.matrix({step_id!r})")

    def observe() -> dict[tuple[str, str], Any]:
        from labs.course.predictions import save_predictions

        lab._predictions[step_id] = {cell: v for cell, v in grid.predictions.items() if v is not None}
        matrix = lab.matrix(step_id)  # raises with what to do when the lab is not deployed
        save_predictions(lab.id, step_id, lab._predictions[step_id], matrix.checks)  # for the room view
        return {(c.spec.probe.source, column_label(c.spec.probe)): c.observed for c in matrix.checks}

    cells = [(p.probe.source, column_label(p.probe)) for p in step.probes]
    # an exercise's title is its goal, i.e. the answer: its grid is named by the step instead
    title = (f"Predict: your answer to `{step.id}`, once applied" if step.kind == "exercise"
             else f"Predict: {step.title}")
    from labs.course.prediction_drafts import load_draft, save_draft

    def keep(predictions: dict[tuple[str, str], Any]) -> None:
        save_draft(lab.id, step_id, predictions)

    # the choices made so far survive a reload onto a new kernel: running the cell again restores them
    grid = PredictGrid(sources, destinations, observe, cells=cells, title=title,
                       initial=load_draft(lab.id, step_id), on_change=keep)
    return grid
