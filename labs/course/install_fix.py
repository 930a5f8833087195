"""Lab 09's install exercise: correct the blog's install script and Relay Service until `labs lint` is quiet.

The install mistakes cannot be probed (the course's cluster is already installed), so this exercise is
graded by lint, the same checks `python -m labs lint` runs: the trainee's copies of the lab's
`install/` files (`LABS_HOME/<lab>/install/`, created on first use, never overwritten) pass when lint
finds no error and no warning, and the script still does what it was for (kubeadm init with a pod
range, a Cilium install with kube-proxy replacement, the Hubble CLI, a NodePort Relay Service), so
deleting a line is not a fix. In solve mode (LABS_SOLVE=1) the lab's `install/solutions/` are graded.
The result is a `CheckResult`, displayed and recorded in the progress store like every other check.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from labs.course.checks import ERROR, NOT_YET, PASS, CheckResult
from labs.course.trainee_files import follow_editor, solve_mode
from labs.lint import lint_report
from labs.lint.context import LintContext
from labs.lint.source import read_sources
from labs.paths import inside_labs_home, lab_home

__all__ = ["InstallFix", "STEP_ID", "required_parts_missing"]

STEP_ID = "fix-the-install"
TITLE = "Correct the blog's install"
_SOURCE_DIR = "install"
_SOLUTION_DIR = "install/solutions"


def required_parts_missing(paths: list[Path]) -> list[str]:
    """What the install must still do, described, for each part no longer found in `paths`."""
    files, _problems = read_sources(paths)
    ctx = LintContext(files=files)
    kinds = {d.kind for d in ctx.documents()}
    words = [tuple(d.data.get("words") or ()) for d in ctx.documents("shell")]
    flat = [" ".join(w) for w in words]
    missing = []
    if not any(d.get("networking", "podSubnet") for d in ctx.documents("kubeadm")):
        missing.append("`kubeadm init` with a pod range (--pod-network-cidr)")
    if "helm-values" not in kinds or not any("kubeProxyReplacement" in (d.data or {})
                                             for d in ctx.documents("helm-values")):
        missing.append("the Cilium install (helm install ... --set kubeProxyReplacement=...)")
    if not any("/cilium/hubble/releases/download/" in line for line in flat):
        missing.append("the Hubble CLI download")
    if not any(d.get("metadata", "name") == "hubble-relay" and d.get("spec", "type") == "NodePort"
               for d in ctx.manifests_of_kind("Service")):
        missing.append("the hubble-relay Service of type NodePort")
    return missing


class InstallFix:
    """The install exercise of one lab session: the trainee's files, lint on them, and the graded check."""

    def __init__(self, lab: Any):
        self.lab = lab

    def templates(self) -> list[Path]:
        folder = self.lab.spec.path(_SOURCE_DIR)
        return sorted(p for p in folder.iterdir() if p.is_file())

    def __repr__(self) -> str:
        return f"Your copies of the blog's install files, in {self.folder}: " + ", ".join(p.name for p in self.files())

    @property
    def folder(self) -> Path:
        """Where your copies live, `LABS_HOME/<lab>/install/` (created with them, by `files()`)."""
        return inside_labs_home(lab_home(self.lab.id) / _SOURCE_DIR)

    def files(self) -> list[Path]:
        """Your copies of the blog's install files (created from the lab's on first use, never overwritten)."""
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for template in self.templates():
            target = inside_labs_home(folder / template.name)
            if not target.exists():
                shutil.copyfile(template, target)
            out.append(target)
        return out

    def cluster_install(self) -> Path:
        """The folder holding what this lab's cluster was installed with, for `labs lint` (see vm_install)."""
        from labs.course.vm_install import cluster_install_files

        return cluster_install_files(self.lab.id, self.lab.cluster)[0].parent

    def graded_files(self) -> list[Path]:
        if solve_mode():
            folder = self.lab.spec.path(_SOLUTION_DIR)
            return sorted(p for p in folder.iterdir() if p.is_file())
        return self.files()

    def editor(self) -> Any:
        """Your copies in an editor, one tab per file, saved as you type, with Check and Lint.

        LABS_HOME is a hidden folder by default, which JupyterLab's file browser does not open, so
        this is the way to edit the files from the notebook (any text editor works as well).
        """
        files = self.files()
        try:
            from labs.widgets import FilesEditor
        except ImportError:
            from labs.course.views import Message

            return Message(f"Edit {', '.join(str(p) for p in files)} in a text editor, then run install.check().",
                           title="Exercise fix-the-install")
        saves = {p.name: follow_editor(p) for p in files}
        return FilesEditor([(p.name, p.read_text(encoding="utf-8")) for p in files],
                           save=lambda name, text: saves[name](text), check=self.check, lint=self.lint_text)

    def lint_text(self) -> str:
        """What `python -m labs lint` prints for your copies."""
        from labs.lint.render import format_text

        return format_text(lint_report(self.files()))

    def check(self) -> CheckResult:
        """PASS when lint finds nothing in your install files and they still install what they did."""
        paths = self.graded_files()
        where = f"{self.lab.spec.source} ({_SOURCE_DIR}/, graded by labs lint)"
        report = lint_report(paths)
        findings = _said_once([f for f in report.all_findings() if f.severity in ("error", "warning")])
        missing = required_parts_missing(paths)
        notes = [f"{f.location}: {f.severity} {f.code} {f.message}" for f in findings]
        notes += [f"Missing now: {m}; correct the line rather than deleting it." for m in missing]
        if not paths:
            status, summary = ERROR, f"No install files found in {self.lab.spec.path(_SOURCE_DIR)}."
        elif findings or missing:
            status = NOT_YET
            summary = (f"Not yet: {_count(len(findings), 'lint finding')} left in {paths[0].parent}"
                       + (f", {_count(len(missing), 'part')} of the install gone" if missing else "")
                       + ". Each finding names the line and the fix; edit the files and check again.")
        else:
            status, summary = PASS, "lint finds nothing left to fix, and the install still does what it did."
        result = CheckResult(lab=self.lab.id, step=STEP_ID, kind="exercise", title=TITLE, status=status,
                             summary=summary, where=where, notes=tuple(notes))
        _record(self.lab.id, result)
        return result


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _said_once(findings: list[Any]) -> list[Any]:
    """Drop a validation problem (CL000) when a lint finding on the same line says it with its fix.

    The Relay Service's `nodePort: 4245` is both a validation problem and lint's CL601; the check
    listed it twice and counted one finding more than `labs lint` prints.
    """
    lines = {str(f.location) for f in findings if f.code != "CL000"}
    return [f for f in findings if f.code != "CL000" or str(f.location) not in lines]


def _record(lab_id: str, result: CheckResult) -> None:
    try:
        from labs.progress import ProgressStore
    except ImportError:  # pragma: no cover - the progress store ships with the course
        return
    ProgressStore().record(lab_id, result.step, result.status, result.summary)
