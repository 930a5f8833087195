"""Strict, typed reading of one document's fields, collecting located problems instead of raising.

`Field` wraps one value with its path; its `mapping`/`string`/`integer`/`items` accessors check the
type, report a `Problem` naming the path and line when it is wrong, and return None so that parsing
can continue and find every problem in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from labs.manifests.errors import Problem, shown
from labs.manifests.go_yaml import describe_plain
from labs.manifests.yaml_lines import FieldPath, LineMap, format_path

__all__ = ["DocContext", "Field", "type_name"]


def type_name(value: Any) -> str:
    """How YAML calls the type of a value, for messages ("a string", "a list")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


@dataclass
class DocContext:
    """Where a document came from and the problems found in it so far."""

    file: str
    document: int
    lines: LineMap
    kind: str | None = None
    name: str | None = None
    problems: list[Problem] = field(default_factory=list)
    custom_resource: bool = False
    """True for Cilium's kinds: the API server prunes `null` map values of custom resources (their schema
    has no nullable field), while a built-in kind's `null` map value decodes to the empty string."""
    api_server_only: bool = False
    """Report only what the API server rejects; leave what Cilium's agent refuses to the policy status."""
    agent_refusals: list[tuple[FieldPath, str, str]] = field(default_factory=list)
    """With api_server_only: (path, Cilium's error text, stage) of each check the API server does not make
    but Cilium does. Stage "sanitize": the operator's `Rule.Sanitize()` refuses it, so the Valid condition
    says False with that text; "parse": only the agent's parsing refuses it (the condition stays True)."""

    def line(self, path: FieldPath) -> int:
        return self.lines.line(path)

    def yaml_hint(self, path: FieldPath, value: Any) -> str:
        """' Kubernetes reads YAML 1.1, where ...' when an unquoted value was not read as text."""
        text = self.lines.plain.get(tuple(path))
        return f" {describe_plain(text, value)}" if text is not None else ""

    def refused_by_agent(self, path: FieldPath, message: str, cilium_error: str, stage: str = "sanitize") -> None:
        """A check Cilium makes and the API server does not: a problem for `labs validate` (the course's
        words), or, for what `kubectl apply` sees, a refusal the policy's status reports (Cilium's words)."""
        if self.api_server_only:
            self.agent_refusals.append((tuple(path), cilium_error, stage))
        else:
            self.problem(path, message)

    def problem(self, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(message=message, file=self.file, document=self.document,
                                     line=self.line(path), path=format_path(path), kind=self.kind,
                                     name=self.name))


@dataclass
class Field:
    """One value of a document with its path; accessors check types and report problems."""

    ctx: DocContext
    value: Any
    path: FieldPath = ()

    @property
    def where(self) -> str:
        return format_path(self.path)

    @property
    def line(self) -> int:
        return self.ctx.line(self.path)

    def child(self, key: str | int, value: Any) -> Field:
        return Field(self.ctx, value, (*self.path, key))

    def problem(self, message: str) -> None:
        self.ctx.problem(self.path, message)

    def refused_by_agent(self, message: str, cilium_error: str, stage: str = "sanitize") -> None:
        """See DocContext.refused_by_agent: `message` for labs validate, `cilium_error` for the policy status."""
        self.ctx.refused_by_agent(self.path, message, cilium_error, stage)

    def _wrong(self, expected: str) -> None:
        hint = self.ctx.yaml_hint(self.path, self.value) if "string" in expected else ""
        self.problem(f"Expected {expected} here, found {type_name(self.value)} {shown(self.value)}.{hint}")

    def mapping(self, allowed: Iterable[str], *, what: str = "", hints: dict[str, str] | None = None,
                ) -> dict[str, Field] | None:
        """The children of a mapping; unknown keys are problems (with a hint when one is known).

        A known field set to `null` is left out, as if it were not written: the API server decodes
        `null` into a Go struct field as "not set", and prunes it from custom resources.
        """
        if self.value is None and self.path and isinstance(self.path[-1], int) and not self.ctx.custom_resource:
            return {}  # a null list item of a built-in kind decodes to the zero struct, as if {} were written
        if not isinstance(self.value, dict):
            self._wrong("a mapping")
            return None
        allowed = tuple(allowed)
        children: dict[str, Field] = {}
        for key, value in self.value.items():
            child = self.child(str(key), value)
            if key in allowed:
                if value is not None:
                    children[str(key)] = child
            elif hints and key in hints:
                child.problem(hints[key])
            else:
                close = [a for a in allowed if a.lower() == str(key).lower()]
                hint = f" Did you mean {close[0]!r}?" if close else ""
                known = ", ".join(allowed) if allowed else "nothing"
                child.problem(f"Unknown field {key!r}{' in ' + what if what else ''}.{hint} "
                              f"Allowed fields here: {known}.")
        return children

    def items(self, *, max_items: int | None = None) -> list[Field] | None:
        if not isinstance(self.value, list):
            self._wrong("a list")
            return None
        if max_items is not None and len(self.value) > max_items:
            self.problem(f"This list has {len(self.value)} entries; at most {max_items} are allowed.")
        return [self.child(i, v) for i, v in enumerate(self.value)]

    def string(self, *, allow_empty: bool = True) -> str | None:
        if not isinstance(self.value, str):
            self._wrong("a string")
            return None
        if not allow_empty and not self.value:
            self.problem("This must not be empty.")
            return None
        return self.value

    def integer(self, *, low: int | None = None, high: int | None = None) -> int | None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            self._wrong("a whole number")
            return None
        if (low is not None and self.value < low) or (high is not None and self.value > high):
            self.problem(f"{self.value!r} is out of range; expected a number from {low} to {high}.")
            return None
        return self.value

    def boolean(self) -> bool | None:
        if not isinstance(self.value, bool):
            self._wrong("true or false")
            return None
        return self.value

    def string_map(self) -> dict[str, str] | None:
        """A mapping of strings to strings (labels, matchLabels).

        A `null` value is the empty string in built-in kinds (Go decodes it into a map[string]string
        entry as ""), and is pruned from custom resources (apiextensions-apiserver,
        `PruneNonNullableNullsWithoutDefaults`).
        """
        if not isinstance(self.value, dict):
            self._wrong("a mapping of strings")
            return None
        result: dict[str, str] = {}
        for key, value in self.value.items():
            child = self.child(str(key), value)
            if value is None:
                if not self.ctx.custom_resource:
                    result[key] = ""
                continue
            if not isinstance(key, str):
                child.problem(f"The key {key!r} must be a string; quote it.")
            elif not isinstance(value, str):
                hint = self.ctx.yaml_hint(child.path, value) or " Quote it (for example \"true\" or \"8080\")."
                child.problem(f"The value of {shown(key)} must be a string, found {type_name(value)} "
                              f"{shown(value)}.{hint}")
            else:
                result[key] = value
        return result
