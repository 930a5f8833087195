"""Does docs/lint.md document every check with the severity the registry gives it?"""

from __future__ import annotations

import re
from pathlib import Path

from labs.lint import INVALID_INPUT_CODE, REGISTRY

DOC = Path(__file__).resolve().parents[2] / "docs" / "lint.md"
ROW = re.compile(r"^\| (CL\d{3}) \| (info|warning|error) \|(.*)\|$")


def _rows() -> dict[str, tuple[str, list[str]]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match.group(1)] = (match.group(2), [c.strip() for c in match.group(3).split(" | ")])
    return rows


def test_docs_table_lists_exactly_the_registered_codes():
    """Is every registered code in the table, and nothing else (besides CL000)?"""
    assert set(_rows()) == set(REGISTRY) | {INVALID_INPUT_CODE}


def test_docs_severity_matches_registry():
    """Does the table give each code the severity its findings carry?"""
    rows = _rows()
    assert {code: rows[code][0] for code in REGISTRY} == {code: c.severity for code, c in REGISTRY.items()}


def test_every_row_fills_what_why_fix_and_source():
    """Does every row say what, why, the fix and the source (four non-empty cells)?"""
    assert all(len(cells) == 4 and all(cells) for _severity, cells in _rows().values())
