"""Does the instructor's table show each trainee's steps, the live checks and the room's most failed step?"""

from __future__ import annotations

import json

import pytest

from labs.workshop.checks import LiveResult
from labs.workshop.progress import progress_path, read_progress
from labs.workshop.status import build_status


def write(tmp_path, trainee, labs, **extra):
    path = tmp_path / f"{trainee}.json"
    path.write_text(json.dumps({"version": 1, "trainee": trainee, "labs": labs, **extra}))
    return path


def step(status, attempts, when="2026-11-23T10:00:00Z", message=""):
    return {"status": status, "attempts": attempts, "last_change": when, "message": message}


@pytest.fixture
def room(tmp_path):
    write(tmp_path, "alice", {"04": {"steps": {"open": step("pass", 1), "isolate": step("pass", 3)}}})
    write(tmp_path, "bob", {"04": {"steps": {"open": step("pass", 1), "isolate": step("not-yet", 4)}}})
    write(tmp_path, "carol", {"04": {"steps": {"open": step("error", 2, message="pod missing")}}})
    (tmp_path / "dave.json").write_text("{not json")
    trainees = ["alice", "bob", "carol", "dave", "erin"]
    progress = {t: read_progress(progress_path(str(tmp_path), t), t) for t in trainees}
    live = {("bob", "04", "isolate"): LiveResult("pass", "4 probe(s) as expected")}
    return build_status(trainees, progress, live, order=[("04", "open"), ("04", "isolate")])


def test_text_table(room, tmp_path):
    assert room.render_text() == (
        "04\n"
        "  trainee  open    isolate\n"
        "  alice    pass 1  pass 3\n"
        "  bob      pass 1  no 4 (live pass)\n"
        "  carol    ERR 2   -\n"
        "  dave     -       -\n"
        "  erin     -       -\n"
        "\n"
        f"dave: {tmp_path}/dave.json is not readable JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))\n"
        f"erin: no progress file at {tmp_path}/erin.json yet\n"
        "Most failed step: 04/isolate (6 failed attempts; stuck: bob)\n")


def test_json_keeps_every_field(room):
    data = room.to_json()
    assert data["columns"] == ["04/open", "04/isolate"]
    assert data["trainees"]["bob"]["04/isolate"] == {
        "status": "not-yet", "attempts": 4, "last_change": "2026-11-23T10:00:00Z", "message": "",
        "live": "pass", "live_message": "4 probe(s) as expected"}
    assert data["most_failed_step"] == {"lab_id": "04", "step_id": "isolate", "stuck": ["bob"], "failed_attempts": 6}
    json.dumps(data)


@pytest.mark.parametrize(("content", "problem"), [
    ({"version": 2, "labs": {}}, "is not a version 1 progress file"),
    ({"version": 1, "trainee": "bob", "labs": {}}, "belongs to trainee 'bob', not 'alice'"),
    ({"version": 1, "labs": {"04": {"steps": []}}}, "labs.04.steps is missing or not a mapping"),
], ids=["version", "other-trainee", "steps-not-mapping"])
def test_bad_progress_files_become_problems(tmp_path, content, problem):
    path = tmp_path / "alice.json"
    path.write_text(json.dumps(content))
    assert problem in read_progress(path, "alice").problem


def test_unknown_status_is_shown_as_error(tmp_path):
    path = write(tmp_path, "alice", {"04": {"steps": {"x": {"status": "done", "attempts": "3"}}}})
    entry = read_progress(path, "alice").labs["04"]["x"]
    assert (entry.status, entry.attempts, entry.message) == ("error", 0, "unknown status 'done'")


@pytest.mark.parametrize(("template", "expected"), [
    ("/srv/progress", "/srv/progress/alice.json"),
    ("/home/jupyter-{trainee}/.labs/progress.json", "/home/jupyter-alice/.labs/progress.json"),
], ids=["folder", "template"])
def test_progress_layouts(template, expected):
    assert str(progress_path(template, "alice")) == expected


def test_no_failures_means_no_most_failed_step(tmp_path):
    write(tmp_path, "alice", {"04": {"steps": {"open": step("pass", 1)}}})
    room = build_status(["alice"], {"alice": read_progress(tmp_path / "alice.json", "alice")})
    assert room.most_failed is None
    assert room.render_text() == "04\n  trainee  open\n  alice    pass 1\n"


def test_reads_what_the_progress_store_writes(tmp_path):
    """The course's own ProgressStore and the instructor view agree on the file format."""
    from labs.progress import ProgressStore

    store = ProgressStore(tmp_path / "alice" / "progress.json")
    store.set_trainee("alice")
    store.record("04", "isolate", "not-yet", "test/probe reached backend/api")
    store.record("04", "isolate", "pass")
    progress = read_progress(progress_path(str(tmp_path / "{trainee}" / "progress.json"), "alice"), "alice")
    assert progress.problem is None
    entry = progress.labs["04"]["isolate"]
    assert (entry.status, entry.attempts) == ("pass", 2)
    assert entry.last_change.endswith(("Z", "+00:00"))
