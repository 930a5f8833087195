"""`-l/--selector` label selectors, parsed and matched as apimachinery `pkg/labels/selector.go` does.

Forms: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, comma-separated and ANDed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["Selector", "SelectorError", "parse_selector"]

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_REQ = re.compile(rf"^\s*(?:(?P<not>!)\s*(?P<nkey>{_KEY})|(?P<key>{_KEY})\s*(?:(?P<op>==|=|!=)\s*(?P<value>[^,\s]*)|"
                  rf"\s+(?P<setop>in|notin)\s*\((?P<values>[^)]*)\))?)\s*$")


class SelectorError(ValueError):
    pass


class Selector:
    def __init__(self, requirements: list[tuple[str, str, tuple[str, ...]]]):
        self.requirements = requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, op, values in self.requirements:
            present = key in labels
            if op == "=" and (not present or labels[key] != values[0]):
                return False
            if op == "!=" and present and labels[key] == values[0]:
                return False
            if op == "in" and (not present or labels[key] not in values):
                return False
            if op == "notin" and present and labels[key] in values:
                return False
            if op == "exists" and not present:
                return False
            if op == "!" and present:
                return False
        return True


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def parse_selector(text: str) -> Selector:
    requirements: list[tuple[str, str, tuple[str, ...]]] = []
    for part in _split(text):
        if not part.strip():
            continue
        m = _REQ.match(part)
        if m is None:
            raise SelectorError(f"unable to parse requirement: found '{part.strip()}', expected: in, notin, =, "
                                "==, !=, gt, lt")
        if m.group("not"):
            requirements.append((m.group("nkey"), "!", ()))
        elif m.group("op"):
            requirements.append((m.group("key"), "!=" if m.group("op") == "!=" else "=", (m.group("value"),)))
        elif m.group("setop"):
            values = tuple(v.strip() for v in m.group("values").split(",") if v.strip())
            requirements.append((m.group("key"), m.group("setop"), values))
        else:
            requirements.append((m.group("key"), "exists", ()))
    return Selector(requirements)
