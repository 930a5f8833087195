"""What lint reports: one `Finding` per mistake, with where it is and what to write instead."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["Finding", "Severity", "SEVERITIES"]

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")
"""In increasing order; only `error` makes `labs lint` exit 1."""


@dataclass(frozen=True)
class Finding:
    """One known mistake at one place in one file."""

    code: str
    """Stable identifier such as `CL101`; listed with its rationale in docs/lint.md."""
    severity: Severity
    message: str
    """A full sentence: what was written (values as !r), what Cilium makes of it."""
    file: str | None = None
    line: int | None = None
    path: str = ""
    """Field path inside the document, e.g. `spec.ingress[0].fromEndpoints[0].matchLabels.namespace`."""
    fix: str = ""
    """What to write instead, usually a YAML snippet."""
    document: int | None = None
    """0-based index of the document within its file."""

    @property
    def location(self) -> str:
        where = self.file or "<input>"
        return f"{where}:{self.line}" if self.line is not None else where

    def sort_key(self) -> tuple[Any, ...]:
        return (self.file or "", self.line or 0, self.code, self.path, self.message)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
