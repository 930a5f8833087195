"""One lint run: read the inputs, load the manifests, run every registered check, sort the findings.

Where it sits: `labs lint` (cli.py) and the policy editor widget call `lint_report` / `lint_text`; the
checks live in `labs.lint.checks`, one module per family. Invalid input is reported, not hidden:
the loader's problems come back in `LintReport.problems` (and as `CL000` findings from
`lint_sources`/`lint_text`), next to every finding the raw-document checks could still make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from labs.lint.context import LintContext
from labs.lint.finding import Finding
from labs.lint.registry import checks_in_order
from labs.lint.source import LintInputError, SourceFile, read_source, read_sources
from labs.manifests.errors import ManifestError, Problem

__all__ = ["LintReport", "lint_report", "lint_sources", "lint_text", "INVALID_INPUT_CODE"]

INVALID_INPUT_CODE = "CL000"
"""Code of the findings that carry the manifest loader's problems (input that is not valid)."""


@dataclass
class LintReport:
    """Findings plus the problems that make the input invalid (empty when it is valid)."""

    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    @property
    def exit_code(self) -> int:
        """2 for invalid input (it wins), 1 for an error-level finding, else 0."""
        return 2 if self.problems else 1 if self.has_errors else 0

    def all_findings(self) -> list[Finding]:
        """Findings with every problem turned into a `CL000` error finding, in file and line order."""
        invalid = [Finding(INVALID_INPUT_CODE, "error", p.message, p.file, p.line, p.path, "", p.document)
                   for p in self.problems]
        return sorted(self.findings + invalid, key=Finding.sort_key)


def _probe_dict(probe: Any) -> dict[str, Any]:
    if isinstance(probe, dict):
        return probe
    out: dict[str, Any] = {"from": getattr(probe, "source", None)}
    if getattr(probe, "target", None) is not None:
        out["to"] = str(probe.target)
    if getattr(probe, "dns", None):
        out["dns"] = probe.dns
    http = getattr(probe, "http", None)
    if http is not None:
        out["http"] = {"method": http.method, "path": http.path}
    return out


def _load(files: list[SourceFile], ctx: LintContext) -> list[Problem]:
    """Load the manifests of every file with the course's loader; return its problems."""
    from labs.manifests import load_text

    problems: list[Problem] = []
    for source in files:
        if not source.has_manifests:
            continue
        try:
            loaded = load_text(source.loader_text, name=source.name)
        except ManifestError as exc:
            problems.extend(exc.problems)
            continue
        ctx.policies.extend(loaded.policies)
        ctx.pods.extend(loaded.pods)
    return problems


def _run(files: list[SourceFile], probes: Iterable[Any] | None, problems: list[Problem]) -> LintReport:
    ctx = LintContext(files=files, probes=[_probe_dict(p) for p in probes or ()])
    report = LintReport(problems=problems + _load(files, ctx))
    seen: set[Finding] = set()
    for registered in checks_in_order():
        for finding in registered.function(ctx):
            if finding not in seen:
                seen.add(finding)
                report.findings.append(finding)
    report.findings.sort(key=Finding.sort_key)
    return report


def lint_report(sources: Iterable[str | Path], *, probes: Iterable[Any] | None = None) -> LintReport:
    """Lint files (paths) and/or YAML texts; `probes` are scenario-format dicts or `labs.probes.Probe`s."""
    files, problems = read_sources(sources)
    return _run(files, probes, problems)


def lint_sources(sources: Iterable[str | Path], *, probes: Iterable[Any] | None = None) -> list[Finding]:
    """Findings for files and/or texts; input that is not valid shows up as `CL000` error findings."""
    return lint_report(sources, probes=probes).all_findings()


def lint_text(text: str, name: str = "<policy editor>", *, probes: Iterable[Any] | None = None) -> list[Finding]:
    """Findings for one YAML text (the policy editor), every location named `name`."""
    try:
        files = [read_source(text, name)]
    except LintInputError as exc:
        return LintReport(problems=list(exc.problems)).all_findings()
    return _run(files, probes, []).all_findings()
