"""Outcome colours are defined once, in labs/outcomes.py, and every display takes them from there.

Every Python module under labs/ is read (its source text, so strings inside f-strings and CSS count)
for colours written as `#rgb` or `#rrggbb`. Outside labs/outcomes.py only neutral colours (greys,
white, black, slate: no hue a trainee could read as a verdict) may be written, besides the namespace
and entity palettes of labs/viz/palette.py, which colour workloads, not verdicts. A display that writes
its own red for "dropped" or its own green for "pass" fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import labs
from labs import outcomes
from labs.outcomes import Outcome

LABS = Path(labs.__file__).resolve().parent
HOME = LABS / "outcomes.py"
COLOUR = re.compile(r"(?<![\w&/#])#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})(?![0-9A-Za-z])")
"""A CSS/matplotlib hex colour; `&#128161;` (an HTML entity) and `owner/repo#123` are not colours."""
IDENTITY_PALETTES = {"NAMESPACE_COLORS", "ENTITY_COLORS"}
"""labs/viz/palette.py: colours of workloads and entities in the flow graph, not of outcomes."""


def _rgb(text: str) -> tuple[int, int, int]:
    digits = text.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    r, g, b = (int(digits[i:i + 2], 16) for i in (0, 2, 4))
    return r, g, b


def _neutral(text: str) -> bool:
    """Grey, white, black or slate grey: the channels stay within 0x20 of each other."""
    rgb = _rgb(text)
    return max(rgb) - min(rgb) <= 0x20


def _home_colours() -> set[str]:
    found = {o.color.lower() for o in Outcome} | {o.tint.lower() for o in Outcome}
    found |= {v.lower() for k, v in vars(outcomes).items() if k.endswith("_COLOR")}
    return found


def _palette_lines(path: Path) -> set[int]:
    """Lines of the identity palettes' assignments in palette.py (allowed to hold hues)."""
    if path.name != "palette.py":
        return set()
    lines: set[int] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        if any(isinstance(t, ast.Name) and t.id in IDENTITY_PALETTES for t in targets):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def colours_outside_home() -> list[str]:
    """`file:line: #colour (why)` for every colour a module other than labs/outcomes.py writes itself."""
    home = _home_colours()
    wrong = []
    for path in sorted(LABS.rglob("*.py")):
        if path == HOME:
            continue
        allowed_lines = _palette_lines(path)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in COLOUR.finditer(line):
                colour = match.group(0).lower()
                where = f"{path.relative_to(LABS.parent)}:{number}: {colour}"
                if colour in home:
                    wrong.append(f"{where} (a colour of labs/outcomes.py written again: import it)")
                elif not _neutral(colour) and number not in allowed_lines:
                    wrong.append(f"{where} (a hue outside labs/outcomes.py)")
    return wrong


def test_no_display_defines_an_outcome_colour_of_its_own():
    assert colours_outside_home() == []


def test_the_outcome_colours_are_apart():
    colours = [o.color for o in Outcome]
    assert len(set(colours)) == len(colours)
    assert outcomes.DENY_RULE_COLOR not in colours and outcomes.AUDIT_COLOR not in colours


@pytest.mark.parametrize(("text", "caught"), [
    ('colour = "#1a7f37" if ok else "#cf222e"\n', 2),  # a second green and red
    (f'style = "color:{Outcome.DROPPED.color}"\n', 1),  # the right red, but written again
    ('grey = "#616161"; white = "#fff"; entity = "&#128161;"; ref = "cilium/cilium#1234"\n', 0),
])
def test_the_check_finds_colours_written_outside_the_one_place(tmp_path, monkeypatch, text, caught):
    fake = tmp_path / "labs"
    (fake / "viz").mkdir(parents=True)
    (fake / "outcomes.py").write_text("")
    (fake / "viz" / "display.py").write_text(text)
    monkeypatch.setitem(globals(), "LABS", fake)
    monkeypatch.setitem(globals(), "HOME", fake / "outcomes.py")
    assert len(colours_outside_home()) == caught
