"""Problems found in manifests: each names file, document, line and field path, and what is expected."""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["Problem", "ManifestError", "shown", "shorten"]

_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80
_REPR.maxlevel = 3
_LONG_RUN = re.compile(r"\S{121,}")


def shown(value: Any) -> str:
    """`repr(value)` for a message, cut to a readable length (a 50 MB value is not echoed whole).

    true, false and null are spelt as YAML and JSON spell them.
    """
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return _REPR.repr(value)


def shorten(message: str) -> str:
    """Cut every run of more than 120 non-space characters of a message (values written into it)."""
    if len(message) <= 120:
        return message
    return _LONG_RUN.sub(lambda m: f"{m.group()[:80]}...({len(m.group()) - 100} characters cut)...{m.group()[-20:]}",
                         message)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one document."""

    message: str
    """A full sentence: what is wrong with the value (shown with !r) and what is expected."""
    file: str | None = None
    document: int | None = None
    """0-based index of the document within its file."""
    line: int | None = None
    """1-based line of the offending field (or of the document when the field is missing)."""
    path: str = ""
    """Field path such as `spec.ingress[0].toPorts[0].ports[0].port`."""
    kind: str | None = None
    name: str | None = None
    severity: str = "error"

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", shorten(self.message))

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        what = []
        if self.document is not None:
            what.append(f"document {self.document}")
        if self.kind:
            what.append(f"{self.kind} {self.name}" if self.name else self.kind)
        head = f"{where}: " + (f"({', '.join(what)}) " if what else "")
        field = f"{self.path}: " if self.path else ""
        return f"{head}{field}{self.message}"


class ManifestError(ValueError):
    """The input is not valid; nothing was applied. `problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} found; nothing was applied:"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))
