"""The catalogue of checks: each has a stable code, a fixed severity and the documentation it rests on.

Check modules register their functions with `@check(...)`; `labs.lint.run` calls every registered
function with a `LintContext`. Codes never change meaning; a retired check keeps its code reserved.
Hundreds group the families: 1xx peers and selectors, 2xx policy sections and default deny,
3xx DNS and FQDN, 4xx HTTP, 5xx API shape, 6xx Services, Helm values and kubeadm settings,
7xx install and debugging command lines (shell scripts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from labs.lint.finding import Finding, Severity

if TYPE_CHECKING:
    from labs.lint.context import LintContext

__all__ = ["Check", "REGISTRY", "check", "checks_in_order"]

CheckFunction = Callable[["LintContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    """One kind of mistake lint knows about."""

    code: str
    severity: Severity
    title: str
    """Short description of the mistake, as in the docs table."""
    source: str
    """Where Cilium (or Kubernetes, or the chart) documents the behaviour the check relies on."""
    function: CheckFunction


REGISTRY: dict[str, Check] = {}
_CODE = re.compile(r"^CL[1-9]\d\d$")


def check(code: str, severity: Severity, title: str, source: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under a stable code; refuses duplicate or malformed codes."""
    if not _CODE.match(code):
        raise ValueError(f"Lint code {code!r} is malformed; codes look like 'CL101'.")
    if code in REGISTRY:
        raise ValueError(f"Lint code {code!r} is registered twice; every check needs its own code.")

    def register(function: CheckFunction) -> CheckFunction:
        REGISTRY[code] = Check(code, severity, title, source, function)
        return function

    return register


def checks_in_order() -> list[Check]:
    """Every registered check, sorted by code (importing the check modules first)."""
    import labs.lint.checks  # noqa: F401  (registers every family)

    return [REGISTRY[code] for code in sorted(REGISTRY)]
