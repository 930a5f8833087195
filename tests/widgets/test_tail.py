from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from labs.flows import build_filter
from labs.widgets import FlowTail, parse_filter_text

SAMPLE = Path(__file__).parents[1] / "flows" / "data" / "sample.jsonl"
RECORDS = [json.loads(line) for line in SAMPLE.read_text().splitlines()][:-1]


def test_tail_stops_by_itself_and_deduplicates():
    calls = []

    def fetch():
        calls.append(1)
        return RECORDS[: 4 * len(calls)]  # a growing window, re-sent each time

    tail = FlowTail(fetch, filters={"verdict": "DROPPED"}, duration=0.4, interval=0.05)
    assert tail.join(timeout=5), "the tail did not stop within its duration"
    assert len(calls) >= 4
    assert [f.verdict for f in tail.flows] == ["DROPPED"] * 6
    assert "Stopped (time is up)" in tail.status.value and "6 flows shown, 6 not forwarded." in tail.status.value
    assert tail.log.value.count("DROPPED") == 6
    assert tail.start_button.disabled is False and tail.stop_button.disabled is True


def test_stop_button_ends_it_early():
    tail = FlowTail(lambda: RECORDS, duration=30, interval=0.05)
    tail.stop_button.click()
    assert tail.join(timeout=5)
    assert "Stopped (stopped)" in tail.status.value
    assert len(tail.flows) == 14


def test_unreachable_hubble_is_reported_and_retried():
    attempts = []

    def fetch():
        attempts.append(1)
        raise ConnectionError("connection refused on 127.0.0.1:4245")

    tail = FlowTail(fetch, duration=0.3, interval=0.05)
    assert tail.join(timeout=5)
    assert len(attempts) >= 3
    assert "Last problem: Hubble is unreachable: connection refused on 127.0.0.1:4245" in tail.status.value


def test_filter_box_text_is_used_on_start():
    tail = FlowTail(lambda: RECORDS, duration=0.2, interval=0.05, autostart=False)
    tail.filter_box.value = "--namespace kube-system --protocol dns"
    tail.start_button.click()
    assert tail.join(timeout=5)
    assert len(tail.flows) == 2
    tail.filter_box.value = "--verdict BLOCKED"
    tail.start()
    assert not tail.running
    assert "verdict &#x27;BLOCKED&#x27; is not one of" in tail.status.value


def test_unreadable_records_are_counted_not_fatal():
    tail = FlowTail(lambda: [{"nonsense": 1}, RECORDS[0]], duration=0.1, interval=0.05)
    assert tail.join(timeout=5)
    assert tail.unreadable == 1 and len(tail.flows) == 1
    assert "1 unreadable record(s) skipped" in tail.log.value


@pytest.mark.parametrize(
    ("text", "description"),
    [("--verdict DROPPED --to-namespace backend", "to-namespace backend and verdict DROPPED"),
     ("", "all flows"), ("--pod 'backend/db'", "pod backend/db")],
    ids=["two-options", "empty", "quoted"],
)
def test_parse_filter_text(text, description):
    assert parse_filter_text(text).describe() == description


@pytest.mark.parametrize(
    ("text", "message"),
    [("--colour red", "unknown filter option(s) '--colour red'; use hubble observe options such as "
                      "--namespace backend --verdict DROPPED"),
     ("--pod 'unclosed", "filter text \"--pod 'unclosed\" cannot be split into options: No closing quotation")],
    ids=["unknown", "quote"],
)
def test_parse_filter_text_errors(text, message):
    with pytest.raises(ValueError) as caught:
        parse_filter_text(text)
    assert str(caught.value) == message


def test_filter_object_and_bad_timing():
    tail = FlowTail(lambda: [], filters=build_filter(verdict="AUDIT"), autostart=False)
    assert tail.filter_box.placeholder == "verdict AUDIT"
    with pytest.raises(ValueError, match="must be positive seconds"):
        FlowTail(lambda: [], duration=0)
    assert threading.active_count() >= 1
