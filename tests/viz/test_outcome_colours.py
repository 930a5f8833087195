"""One outcome, one colour: the graph, the matrix, explain, check tables and widgets read it from `Outcome`."""

from __future__ import annotations

import re
from pathlib import Path

from labs.outcomes import Outcome
from labs.paths import repo_root
from labs.viz.palette import FLOW_OUTCOME_COLORS, OUTCOME_COLORS
from labs.widgets import _common


def test_every_picture_uses_the_outcome_colour():
    assert {o: o.color for o in Outcome} == OUTCOME_COLORS
    assert len(set(OUTCOME_COLORS.values())) == len(Outcome)
    from labs.flows.classify import FlowOutcome

    assert FLOW_OUTCOME_COLORS[FlowOutcome.DEFAULT_DENY] == Outcome.DROPPED.color
    assert (Outcome.ALLOWED.color, Outcome.DROPPED.color) == (_common.GREEN, _common.RED)


def test_tint_is_a_light_shade_of_the_same_colour():
    assert Outcome.ALLOWED.tint == "#d5e5d6"
    for o in Outcome:
        base = [int(o.color[i:i + 2], 16) for i in (1, 3, 5)]
        tint = [int(o.tint[i:i + 2], 16) for i in (1, 3, 5)]
        assert all(t >= b for t, b in zip(tint, base)) and min(tint) >= 0xc0


def test_explain_page_uses_the_outcome_colour(sim):
    from labs.explain import explain
    from labs.probes import Probe, parse_target

    exp = explain(sim, Probe("frontend/web", parse_target("backend/api"), 8080))
    assert f"border-left:4px solid {Outcome.ALLOWED.color}" in exp._repr_html_()


def test_no_other_module_spells_an_outcome_colour():
    """A hex colour next to an outcome word outside labs/outcomes.py is a second definition."""
    words = "|".join(re.escape(o.value) for o in Outcome)
    pattern = re.compile(rf"[\"'](?:{words})[\"']\s*:\s*[\"']#[0-9a-fA-F]{{6}}")
    offenders = [str(p.relative_to(repo_root())) for p in Path(repo_root(), "labs").rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
