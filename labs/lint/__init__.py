"""`labs lint`: known mistakes in Cilium policies, Services and Cilium Helm values, each with the fix.

Use `lint_text(yaml_text)` in a notebook or the policy editor, `lint_sources([paths...])` for files,
`lint_report(...)` when the invalid-input problems are wanted apart, or `python -m labs lint FILE...`.
Every check has a stable code (CL101 ...) documented in docs/lint.md.
"""

from labs.lint.finding import SEVERITIES, Finding, Severity
from labs.lint.registry import REGISTRY, Check, checks_in_order
from labs.lint.run import INVALID_INPUT_CODE, LintReport, lint_report, lint_sources, lint_text

checks_in_order()  # registers every check family, so REGISTRY is complete once labs.lint is imported

__all__ = ["Finding", "Severity", "SEVERITIES", "Check", "REGISTRY", "checks_in_order", "LintReport",
           "lint_report", "lint_sources", "lint_text", "INVALID_INPUT_CODE"]
