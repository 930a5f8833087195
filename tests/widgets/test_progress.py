from __future__ import annotations

import json
import os
import re
import threading

import pytest

from labs.progress import ProgressError, ProgressStore
from labs.widgets import ProgressTracker

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_default_location_follows_labs_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_HOME", str(tmp_path / "home"))
    assert ProgressStore().path == tmp_path / "home" / "progress.json"


def test_record_writes_the_documented_format(tmp_path):
    store = ProgressStore(tmp_path / "progress.json")
    store.record("04-l7-http", "exercise", "not-yet", "GET /admin is still allowed")
    entry = store.record("04-l7-http", "exercise", "pass")
    store.set_trainee("ada")
    data = json.loads((tmp_path / "progress.json").read_text())
    assert set(data) == {"version", "trainee", "labs"}
    assert data["version"] == 1 and data["trainee"] == "ada"
    stored = data["labs"]["04-l7-http"]["steps"]["exercise"]
    assert stored == entry
    assert (stored["status"], stored["attempts"], stored["message"]) == ("pass", 2, "")
    assert ISO.match(stored["last_change"])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".progress-")] == []


def test_summary(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    assert str(store.summary()) == "No progress recorded yet."
    store.record("01-basics", "predict", "pass")
    store.record("01-basics", "exercise", "error", "pod not ready")
    store.record("02-default-deny", "observe", "pass")
    summary = store.summary()
    assert str(summary) == ("Progress: 2 of 3 steps passed\n"
                            "  01-basics: 1/2 steps passed, 2 attempts\n"
                            "  02-default-deny: 1/1 steps passed, 1 attempts (done)")
    cells = '<td style="text-align:left">02-default-deny</td><td style="text-align:left">1 / 1</td>'
    assert cells in summary._repr_html_()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON (line 1)"),
        ('{"version": 2, "trainee": null, "labs": {}}', "has version = 2, expected 1."),
        ('{"version": 1, "trainee": null, "labs": {"a": {"steps": {"s": {"status": "done", "attempts": 1}}}}}',
         "has labs.a.steps.s.status = 'done', expected pass or not-yet or error."),
    ],
    ids=["not-json", "version", "status"],
)
def test_a_damaged_file_is_named_and_never_overwritten(tmp_path, content, message):
    path = tmp_path / "progress.json"
    path.write_text(content)
    store = ProgressStore(path)
    with pytest.raises(ProgressError) as caught:
        store.record("01-basics", "predict", "pass")
    assert str(path) in str(caught.value) and message in str(caught.value)
    assert "move it aside" in str(caught.value)
    assert path.read_text() == content


@pytest.mark.parametrize(
    ("args", "message"),
    [(("", "s", "pass"), "lab '' must be a non-empty name such as '04-l7-http'"),
     (("l", "s", "passed"), "status 'passed' is not one of pass, not-yet, error")],
    ids=["empty-lab", "bad-status"],
)
def test_bad_values_are_refused(tmp_path, args, message):
    store = ProgressStore(tmp_path / "p.json")
    with pytest.raises(ProgressError) as caught:
        store.record(*args)
    assert str(caught.value) == message
    assert not store.path.exists()


def test_concurrent_records_are_not_lost(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    threads = [threading.Thread(target=lambda i=i: [store.record("lab", f"s{i}", "pass") for _ in range(5)])
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    steps = store.load()["labs"]["lab"]["steps"]
    assert {k: v["attempts"] for k, v in steps.items()} == {f"s{i}": 5 for i in range(4)}


def test_tracker_lists_known_and_recorded_steps(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    store.record("04-l7-http", "predict", "pass")
    store.record("04-l7-http", "exercise", "not-yet", "GET /admin is still allowed")
    tracker = ProgressTracker(store, labs={"04-l7-http": ["predict", "observe", "exercise"]})
    html = tracker.table.value
    assert "Progress: 1 of 3 steps passed" in html
    assert html.index(">predict<") < html.index(">observe<") < html.index(">exercise<")
    assert "· not started" in html and "○ not yet" in html and "✔ pass" in html
    assert "GET /admin is still allowed" in html
    store.record("04-l7-http", "observe", "pass")
    tracker.refresh_button.click()
    assert "Progress: 2 of 3 steps passed" in tracker.table.value


def test_tracker_shows_a_damaged_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("[]")
    tracker = ProgressTracker(ProgressStore(path))
    assert "has the top level = &#x27;list&#x27;, expected an object" in tracker.table.value
    assert os.path.exists(path)
