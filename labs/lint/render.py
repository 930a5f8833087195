"""Lint results as text for a terminal or notebook, and as JSON for tools."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from labs.lint.finding import SEVERITIES, Finding
from labs.lint.run import LintReport

__all__ = ["format_finding", "format_text", "format_problems", "to_json", "summary_line"]


def format_finding(finding: Finding) -> str:
    """`file:line: severity CODE path` then the message and the fix, indented."""
    head = f"{finding.location}: {finding.severity} {finding.code}"
    if finding.path:
        head += f" {finding.path}"
    lines = [head, f"  {finding.message}"]
    if finding.fix:
        lines.append("  fix:")
        lines += [f"    {line}" if line else "" for line in finding.fix.splitlines()]
    return "\n".join(lines)


def _count(report: LintReport) -> dict[str, int]:
    return {severity: sum(1 for f in report.findings if f.severity == severity) for severity in SEVERITIES}


def summary_line(report: LintReport) -> str:
    counts = _count(report)
    total = len(report.findings)
    if not total:
        text = "No findings."
    else:
        parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in reversed(SEVERITIES) if counts[s]]
        text = f"{total} finding{'s' if total != 1 else ''}: {', '.join(parts)}."
    if report.problems:
        text += " The input is not valid (see the problems above); fix them first."
    return text


def format_problems(report: LintReport) -> str:
    count = len(report.problems)
    lines = [f"{count} problem{'s' if count != 1 else ''} make{'s' if count == 1 else ''} the input not valid:"]
    lines += [f"  {problem}" for problem in report.problems]
    return "\n".join(lines)


def format_text(report: LintReport) -> str:
    """Everything a trainee reads: problems first (if any), findings in file order, one summary line."""
    blocks = []
    if report.problems:
        blocks.append(format_problems(report))
    blocks += [format_finding(f) for f in report.findings]
    blocks.append(summary_line(report))
    return "\n\n".join(blocks) + "\n"


def to_json(report: LintReport) -> str:
    data: dict[str, Any] = {
        "findings": [f.to_dict() for f in report.findings],
        "problems": [asdict(p) for p in report.problems],
        "summary": _count(report),
        "valid": report.valid,
        "exit_code": report.exit_code,
    }
    return json.dumps(data, indent=2) + "\n"
