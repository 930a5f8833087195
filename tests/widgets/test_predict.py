from __future__ import annotations

import pytest

from labs.outcomes import Outcome
from labs.widgets import PredictGrid

SOURCES = ["frontend/client", "backend/api"]
DESTINATIONS = ["backend/api:8080", "backend/db:5432"]
OBSERVED = {
    ("frontend/client", "backend/api:8080"): Outcome.ALLOWED,
    ("frontend/client", "backend/db:5432"): (Outcome.DROPPED, "no rule allows it"),
    ("backend/api", "backend/api:8080"): "allowed",
}


def test_check_compares_every_cell_and_scores():
    grid = PredictGrid(SOURCES, DESTINATIONS, lambda: OBSERVED)
    grid.predict("frontend/client", "backend/api:8080", "allowed")
    grid.dropdowns[("frontend/client", "backend/db:5432")].value = "allowed"
    grid.predict("backend/api", "backend/db:5432", Outcome.DROPPED)
    grid.check_button.click()
    assert grid.score == (1, 2)
    assert grid.output.value.endswith(">1 of 2 predictions right; 1 cell not predicted (not counted).</div>")
    marks = {cell: mark.value for cell, mark in grid.marks.items()}
    assert "✔ right" in marks[("frontend/client", "backend/api:8080")]
    assert "✘ was dropped" in marks[("frontend/client", "backend/db:5432")]
    assert 'title="no rule allows it"' in marks[("frontend/client", "backend/db:5432")]
    assert "not predicted; was allowed" in marks[("backend/api", "backend/api:8080")]
    assert "not observed" in marks[("backend/api", "backend/db:5432")]
    assert grid.matrix_rows() == [
        ("frontend/client", "backend/api:8080", Outcome.ALLOWED, Outcome.ALLOWED, ""),
        ("frontend/client", "backend/db:5432", Outcome.ALLOWED, Outcome.DROPPED, "no rule allows it"),
        ("backend/api", "backend/api:8080", None, Outcome.ALLOWED, ""),
    ]


def test_all_right_is_green():
    grid = PredictGrid(["a/x"], ["b/y:80"], lambda: {("a/x", "b/y:80"): Outcome.DROPPED})
    grid.predict("a/x", "b/y:80", "dropped")
    grid.check()
    assert "#2e7d32" in grid.output.value and "1 of 1 prediction right." in grid.output.value


def test_observe_failure_is_shown():
    def observe():
        raise RuntimeError("pod frontend/client is not ready")

    grid = PredictGrid(["a/x"], ["b/y:80"], observe)
    grid.predict("a/x", "b/y:80", "allowed")
    assert grid.check() == []
    assert "Could not observe: pod frontend/client is not ready" in grid.output.value
    assert grid.check_button.disabled is False


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: PredictGrid([], ["b"], dict), "a prediction grid needs at least one source and one destination; "
                                                "got sources [] and destinations ['b']"),
        (lambda: PredictGrid(["a"], ["b"], dict).predict("a", "c", "allowed"),
         "\"no cell 'a' -> 'c'; sources are ['a'], destinations ['b']\""),
        (lambda: PredictGrid(["a"], ["b"], dict).predict("a", "b", "fine"),
         "unknown outcome 'fine'; expected one of: allowed, dropped, l7-denied, refused, error"),
    ],
    ids=["empty", "unknown-cell", "unknown-word"],
)
def test_bad_use_is_explained(call, message):
    with pytest.raises((ValueError, KeyError)) as caught:
        call()
    assert str(caught.value) == message


def test_an_empty_grid_asks_for_predictions_and_reveals_nothing():
    seen = []
    grid = PredictGrid(SOURCES, DESTINATIONS, lambda: seen.append(1) or OBSERVED)
    assert grid.check() == []
    assert seen == [] and grid.results == []
    assert "Predict first" in grid.output.value
    assert all(mark.value == "" for mark in grid.marks.values())


def test_only_the_probed_cells_are_asked_and_scored():
    cells = [("frontend/client", "backend/api:8080"), ("backend/api", "backend/db:5432")]
    grid = PredictGrid(SOURCES, DESTINATIONS, lambda: OBSERVED, cells=cells)
    assert list(grid.dropdowns) == cells
    grid.predict("frontend/client", "backend/api:8080", "dropped")
    with pytest.raises(KeyError):
        grid.predict("frontend/client", "backend/db:5432", "allowed")
    grid.check()
    assert grid.score == (0, 1)
    assert "0 of 1 prediction right; 1 cell not predicted (not counted)." in grid.output.value


def test_labels_lose_their_shared_namespace_and_keep_the_full_text_on_hover():
    grid = PredictGrid(["shop/frontend", "world"], ["svc:shop/api:8080", "fqdn:api.stripe.com:443"],
                       lambda: {})
    heads = [child.value for child in grid.grid.children[:3]]
    assert 'title="svc:shop/api:8080"' in heads[1] and ">svc:<wbr>api:<wbr>8080<" in heads[1]
    assert ">fqdn:<wbr>api.<wbr>stripe.<wbr>com:<wbr>443<" in heads[2]  # it wraps at : and . first
    assert grid.layout == "matrix"


def test_a_wide_step_is_asked_as_a_list_that_fits():
    destinations = [f"shop/api:{8000 + i}" for i in range(9)]
    grid = PredictGrid(["shop/frontend"], destinations, lambda: {})
    assert grid.layout == "list"
    assert grid.widget.layout.max_width == "1000px"
    assert len(grid.grid.children) == 4 + 4 * 9
