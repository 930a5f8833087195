from __future__ import annotations

from pathlib import Path

import pytest

from labs.flows import parse_lines
from labs.outcomes import Outcome
from labs.viz import matrix_plot, verdict_timeline
from labs.viz.palette import OUTCOME_COLORS
from labs.viz.timeline import bucket_seconds

SAMPLE = Path(__file__).parents[1] / "flows" / "data" / "sample.jsonl"
ROWS = [
    ("frontend/client", "backend/api:8080", Outcome.ALLOWED, Outcome.ALLOWED, "allowed by api-allow-client"),
    ("frontend/client", "backend/db:5432", "allowed", "dropped", "no rule allows it"),
    ("backend/api", "backend/db:5432", Outcome.DROPPED, Outcome.DROPPED, ""),
    ("backend/api", "fqdn:api.github.com:443", None, Outcome.L7_DENIED, ""),
]


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]


def test_matrix_colours_cells_marks_mismatches_and_names_outcomes_in_the_legend():
    fig = matrix_plot(ROWS)
    texts = _texts(fig)
    assert "Connectivity: what was observed — 2 of 3 as expected" in texts
    assert "✗ dropped" in texts and "expected allowed" in texts
    assert "✓ allowed" in texts and "l7-denied" in texts and "not probed" in texts
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["allowed", "dropped", "l7-denied", "refused", "error", "not probed", "✗ not as expected"]
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["frontend/client", "backend/api"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["backend/api:8080", "backend/db:5432",
                                                            "fqdn:api.github.com:443"]
    assert ax.get_xlabel() == ("✗ frontend/client → backend/db:5432: expected allowed, observed dropped "
                               "(no rule allows it)")
    faces = {tuple(round(c, 3) for c in p.get_facecolor()[:3]) for p in ax.patches if p.get_fill()}
    import matplotlib.colors as mcolors

    for outcome in (Outcome.ALLOWED, Outcome.DROPPED, Outcome.L7_DENIED):
        assert tuple(round(c, 3) for c in mcolors.to_rgb(OUTCOME_COLORS[outcome])) in faces


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("a", "b", None)], "matrix row 0 has 3 items ('a', 'b', None); expected (source, destination, expected "
                             "outcome or None, observed outcome, reason)"),
        ([("a", "b", "allowed", "blocked", "")],
         "matrix row 0, observed: unknown outcome 'blocked'; expected one of: allowed, dropped, l7-denied, "
         "refused, error"),
    ],
    ids=["short-row", "bad-word"],
)
def test_matrix_rejects_bad_rows(rows, message):
    with pytest.raises(ValueError) as caught:
        matrix_plot(rows)
    assert str(caught.value) == message


def test_empty_matrix_says_so():
    assert "No probes to show yet." in _texts(matrix_plot([]))


def test_timeline_stacks_outcomes():
    fig = verdict_timeline(parse_lines(SAMPLE.read_text().splitlines()).flows)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["forwarded (6)", "dropped: default deny (3)", "dropped: deny rule (1)", "l7-denied (1)",
                      "refused (1)", "audit (1)"]
    assert fig.axes[0].get_ylabel() == "flows per 1 s"
    assert "No timed flows to plot yet" in " ".join(_texts(verdict_timeline([])))


@pytest.mark.parametrize(("span", "step"), [(10, 1), (100, 5), (1000, 30), (10**6, 3600)],
                         ids=["10s", "100s", "1000s", "huge"])
def test_bucket_seconds(span, step):
    assert bucket_seconds(span) == step
