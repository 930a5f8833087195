"""The instructor's wrong-predictions view: does it count the room's real saved predictions, probe by probe?

Trainees' progress files are written the way the course writes them: a lab on the simulated backend runs a
step's matrix, and `save_predictions` (what the predict grid's Check calls) stores each trainee's guesses
beside the observed outcomes. The room then reads those files as the instructor notebook does.
"""

from __future__ import annotations

import json

import pytest

from labs.course import open_lab
from labs.course.predictions import save_predictions
from labs.course.views import column_label
from labs.progress import ProgressError, ProgressStore
from labs.workshop.predictions import wrong_predictions
from labs.workshop.progress import progress_path
from labs.workshop.room import Room

LAB = "03-identity-default-deny"
STEP = "pitfall-empty-ingress"


@pytest.fixture(scope="module")
def checks():
    """The observed matrix of lab 03's `ingress: []` pitfall: every probe allowed, though meant dropped."""
    lab = open_lab(LAB, backend="sim")
    assert lab.deploy().ok
    return lab.matrix(STEP).checks


def _guess(checks, rule):
    return {(c.spec.probe.source, column_label(c.spec.probe)): rule(c) for c in checks}


@pytest.fixture
def room(tmp_path, checks):
    room = Room(["alice", "bob", "carol", "dave"], labs=[LAB], folder=tmp_path / "workshop")
    rules = {"alice": lambda c: c.spec.intended,          # believes the policy does what it says
             "bob": lambda c: c.observed,                 # knows `ingress: []` denies nothing in a CNP
             "carol": lambda c: "dropped"}                # guesses like alice, by another route
    for trainee, rule in rules.items():
        store = ProgressStore(progress_path(room.progress_template, trainee))
        save_predictions(LAB, STEP, _guess(checks, rule), checks, store=store)
    return room  # dave has not predicted anything


def test_a_probe_most_of_the_room_got_wrong_is_flagged_with_the_common_guess(room, checks):
    view = wrong_predictions(room.progress(), step_order=room.step_order())
    rows = view.labs[LAB]
    assert len(rows) == len(checks)
    for row in rows:
        assert row.predicted_by == 3
        assert sorted(row.wrong) == ["alice", "carol"] and row.right == ["bob"]
        assert row.most_wrong and row.outcome == "allowed" and row.common_guess == "dropped"
    assert view.without_predictions == ["dave"]
    text = view.render_text()
    assert f"{LAB}: {len(checks)} of {len(checks)} predicted probes wrong for most" in text
    assert "MOST WRONG  2 of 3 wrong  pitfall-empty-ingress: identity/other -> identity/test-app:80/TCP -> allowed; " \
           "most said dropped (alice, carol)" in text
    assert "No prediction yet: dave" in text
    assert "<h4>03-identity-default-deny</h4>" in view._repr_html_()


def test_probes_few_got_wrong_come_after_those_most_got_wrong(room, checks):
    """dave guesses one probe wrongly alone: it is listed, not flagged, after the room-wide mistakes."""
    first = checks[0]
    store = ProgressStore(progress_path(room.progress_template, "dave"))
    guesses = _guess(checks, lambda c: c.observed)
    guesses[(first.spec.probe.source, column_label(first.spec.probe))] = "l7-denied"
    save_predictions(LAB, STEP, guesses, checks, store=store)
    for name in ("alice", "carol"):  # alice and carol learn: now right everywhere but the first probe
        save_predictions(LAB, STEP, _guess(checks, lambda c: c.observed), checks,
                         store=ProgressStore(progress_path(room.progress_template, name)))
    rows = wrong_predictions(room.progress()).labs[LAB]
    assert [len(r.wrong) for r in rows] == [1] + [0] * (len(rows) - 1)
    assert rows[0].probe == first.spec.label and rows[0].wrong == {"dave": "l7-denied"} and not rows[0].most_wrong


def test_workshop_namespaces_are_counted_as_one_probe(tmp_path, checks):
    """alice's probes name `alice-identity/...`: the same probe as everyone else's once her prefix is off."""
    room = Room(["alice", "bob"], labs=[LAB], folder=tmp_path / "workshop")
    for trainee in room.trainees:
        path = progress_path(room.progress_template, trainee)
        save_predictions(LAB, STEP, _guess(checks, lambda c: "dropped"), checks, store=ProgressStore(path))
    path = progress_path(room.progress_template, "alice")
    data = json.loads(path.read_text())
    for cell in data["labs"][LAB]["predictions"][STEP]["cells"]:
        cell["probe"] = cell["probe"].replace("identity/", "alice-identity/")
    path.write_text(json.dumps(data))
    rows = wrong_predictions(room.progress()).labs[LAB]
    assert len(rows) == len(checks) and all(r.predicted_by == 2 for r in rows)


def test_an_unreadable_file_does_not_hide_the_room(room):
    progress_path(room.progress_template, "dave").write_text("{ not json")
    view = wrong_predictions(room.progress())
    assert "dave" in view.without_predictions and view.labs[LAB][0].predicted_by == 3


def test_no_predictions_yet_says_how_they_are_made(tmp_path):
    room = Room(["alice"], labs=[LAB], folder=tmp_path / "workshop")
    assert "presses Check in a lab's predict grid" in wrong_predictions(room.progress()).render_text()


def test_the_predict_grid_saves_what_was_checked(tmp_path, monkeypatch):
    """A trainee filling in the grid and pressing Check leaves their guesses in their own progress file."""
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv("LABS_HOME", str(tmp_path / "home"))
    lab = open_lab(LAB, backend="sim")
    lab.deploy()
    grid = lab.predict(STEP)
    source, destination = next(iter(grid.predictions))
    grid.predict(source, destination, "dropped")
    grid.check()
    saved = ProgressStore().load()["labs"][LAB]["predictions"][STEP]["cells"]
    assert len(saved) == 1 and saved[0]["predicted"] == "dropped" and saved[0]["observed"] == "allowed"


@pytest.mark.parametrize("cells", [[{"probe": "a -> b"}], ["not a cell"]])
def test_a_prediction_without_its_outcomes_is_refused(tmp_path, cells):
    store = ProgressStore(tmp_path / "progress.json")
    with pytest.raises(ProgressError, match="needs the strings probe, predicted, observed"):
        store.record_predictions(LAB, STEP, cells)
    assert not store.path.exists()


def test_a_damaged_predictions_entry_is_named_when_the_file_is_read(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({"version": 1, "trainee": None,
                                "labs": {LAB: {"steps": {}, "predictions": {STEP: {"cells": "x"}}}}}))
    with pytest.raises(ProgressError, match=f"labs.{LAB}.predictions.{STEP}.cells"):
        ProgressStore(path).load()
