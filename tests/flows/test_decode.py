"""Lines msgspec refuses or would read differently are parsed exactly as with the stdlib `json.loads`."""

from __future__ import annotations

import json

import pytest

from labs.flows import parse_lines
from labs.flows.parse import checked_flow

GOOD = json.dumps({
    "flow": {
        "time": "2026-05-04T10:00:01.123456789Z", "verdict": "FORWARDED", "Type": "L3_L4",
        "IP": {"source": "10.0.1.5", "destination": "10.0.2.9", "ipVersion": "IPv4"},
        "l4": {"TCP": {"source_port": 41000, "destination_port": 8080}},
        "source": {"ID": 101, "identity": 20101, "namespace": "frontend", "pod_name": "client-6d8f9b7c4d-x2k9p"},
        "destination": {"identity": 2, "labels": ["reserved:world"]},
        "event_type": {"type": 4, "sub_type": 3}, "Summary": "TCP Flags: SYN", "policy_match_type": 0,
    },
    "node_name": "lab-worker-1",
})


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


STDLIB_ONLY = {  # JSON the stdlib reads and msgspec refuses (or, for 65-bit integers, must read the same)
    "nan-unmodelled": edit('"policy_match_type": 0', '"policy_match_type": NaN'),
    "infinity-unmodelled": edit('"policy_match_type": 0', '"policy_match_type": -Infinity'),
    "1e400-unmodelled": edit('"policy_match_type": 0', '"policy_match_type": 1e400'),
    "1e400-in-endpoint-extra": edit('"identity": 2,', '"identity": 2, "weight": 1e400,'),
    "nan-in-l4-flags": edit('"destination_port": 8080}', '"destination_port": 8080, "flags": {"SYN": NaN}}'),
    "65-bit-integer-unmodelled": edit('"policy_match_type": 0', '"policy_match_type": 36893488147419103232'),
    "65-bit-integer-identity": edit('"identity": 20101', '"identity": 36893488147419103232'),
    "65-bit-integer-event-type": edit('"type": 4,', '"type": 36893488147419103232,'),
    "100-digit-integer-id": edit('"ID": 101', '"ID": ' + "9" * 100),
    "lone-surrogate-pod-name": edit('"pod_name": "client-6d8f9b7c4d-x2k9p"', '"pod_name": "client-\\ud800"'),
    "lone-low-surrogate-summary": edit('"Summary": "TCP Flags: SYN"', '"Summary": "\\udc00 SYN"'),
    "reversed-surrogates-label": edit('"reserved:world"', '"\\ude00\\ud83d"'),
    "lone-surrogate-character": edit('"Summary": "TCP Flags: SYN"', '"Summary": "\ud800"'),
}


@pytest.mark.parametrize("line", list(STDLIB_ONLY.values()), ids=list(STDLIB_ONLY))
def test_lines_only_the_stdlib_reads_give_the_flow_json_loads_gives(line):
    result = parse_lines(["", line])
    expected = checked_flow(json.loads(line))
    assert result.errors == []
    (flow,) = result.flows
    assert flow == expected
    assert repr(dict(flow.extra)) == repr(dict(expected.extra))  # repr: NaN is not equal to itself


def test_values_only_the_stdlib_reads_reach_the_flow():
    names = ["100-digit-integer-id", "65-bit-integer-unmodelled", "1e400-in-endpoint-extra", "lone-surrogate-pod-name"]
    flows = parse_lines([STDLIB_ONLY[name] for name in names]).flows
    assert flows[0].source.endpoint_id == int("9" * 100)
    assert flows[1].extra["policy_match_type"] == 2**65
    assert flows[2].extra["destination.weight"] == float("inf")
    assert flows[3].source.pod_name == "client-\ud800"


BROKEN = {
    "trailing-garbage": GOOD + " x",
    "trailing-brace": GOOD + "}",
    "trailing-nul": GOOD + "\x00",
    "second-object": GOOD + GOOD,
    "control-character": edit('"TCP Flags: SYN"', '"TCP\x01Flags"'),
    "byte-order-mark": "\ufeff" + GOOD,
    "leading-zero": edit('"sub_type": 3', '"sub_type": 03'),
    "trailing-comma": edit('["reserved:world"]', '["reserved:world",]'),
    "single-quotes": edit('"verdict"', "'verdict'"),
    "truncated": GOOD[:-5],
}


@pytest.mark.parametrize("line", list(BROKEN.values()), ids=list(BROKEN))
def test_broken_lines_report_the_stdlib_error_text(line):
    with pytest.raises(ValueError) as stdlib:
        json.loads(line)
    result = parse_lines([GOOD, line], source="f.jsonl")
    assert len(result.flows) == 1
    assert result.errors == [(2, f"f.jsonl: line 2 is not valid JSON ({stdlib.value}); the line was skipped.")]
