"""The fast path and the validating path of the parser give equal flows, and the fast path steps aside on surprises."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from labs.flows import Flow, parse_lines
from labs.flows.fastpath import fast_flow
from labs.flows.parse import checked_flow

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "hubble-flows"


def assert_same(fast: Flow | None, checked: Flow) -> None:
    assert fast is not None, "the fast path declined a well-formed flow"
    assert fast == checked
    assert dict(fast.extra) == dict(checked.extra)  # extra is left out of ==


def test_sample_file_flows_are_equal_on_both_paths(sample_records):
    taken = 0
    for record in sample_records:
        if "flow" not in record:
            continue  # the lost_events record
        assert_same(fast_flow(record), checked_flow(record))
        taken += 1
    assert taken == len(sample_records) - 1


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference captures not found at {REFERENCE}")
@pytest.mark.parametrize("name", sorted(p.name for p in REFERENCE.glob("*.json")) if REFERENCE.is_dir() else [])
def test_real_captures_are_equal_on_both_paths(name):
    record = json.loads((REFERENCE / name).read_text())
    assert_same(fast_flow(record), checked_flow(record))


BASE = {
    "flow": {
        "time": "2026-05-04T10:00:01.123456789Z", "uuid": "u-1", "verdict": "FORWARDED",
        "IP": {"source": "10.0.1.5", "destination": "10.0.2.9", "ipVersion": "IPv4"},
        "l4": {"TCP": {"source_port": 41000, "destination_port": 8080, "flags": {"SYN": True, "ACK": True}}},
        "source": {"ID": 101, "identity": 20101, "namespace": "frontend", "pod_name": "client-6d8f9b7c4d-x2k9p",
                   "labels": ["k8s:app=client"], "workloads": [{"name": "client", "kind": "Deployment"}]},
        "destination": {"ID": 202, "identity": 20202, "namespace": "backend", "pod_name": "api-5f7b8c9d6b-m4n7q",
                        "labels": ["k8s:app=api"]},
        "Type": "L3_L4", "event_type": {"type": 4, "sub_type": 3}, "traffic_direction": "INGRESS",
        "is_reply": False, "Summary": "TCP Flags: SYN", "trace_observation_point": "TO_ENDPOINT",
    },
    "node_name": "lab-worker-1", "time": "2026-05-04T10:00:01.123456789Z",
}

VARIANTS = {
    "plain": {},
    "milliseconds": {"time": "2026-05-04T10:00:01.123Z"},
    "whole-second": {"time": "2026-05-04T10:00:01Z"},
    "microseconds": {"time": "2026-05-04T10:00:01.000042Z"},
    "uint64-strings": {"source": {"ID": "101", "identity": "20101", "namespace": "frontend"},
                       "event_type": {"type": "1", "sub_type": "133"}},
    "dropped": {"verdict": "DROPPED", "drop_reason_desc": "POLICY_DENIED", "event_type": {"type": 1, "sub_type": 133}},
    "policies": {"ingress_allowed_by": [{"name": "allow-api", "namespace": "backend", "kind": "CiliumNetworkPolicy"}],
                 "egress_denied_by": [{"name": "deny-all", "namespace": "", "kind": ""}]},
    "udp": {"l4": {"UDP": {"source_port": 5353, "destination_port": 53}}},
    "icmp": {"l4": {"ICMPv4": {"type": 8}}},
    "flag-false": {"l4": {"TCP": {"destination_port": 80, "flags": {"SYN": True, "ACK": False}}}},
    "http": {"Type": "L7", "l7": {"type": "REQUEST", "latency_ns": "1200", "http": {
        "method": "GET", "url": "http://api/x?y=1", "code": 403, "protocol": "HTTP/1.1",
        "headers": [{"key": "User-Agent", "value": "curl"}]}}},
    "dns": {"Type": "L7", "destination_names": ["API.GitHub.com."], "l7": {"type": "RESPONSE", "dns": {
        "query": "api.github.com.", "rcode": 5, "ips": ["1.2.3.4"], "qtypes": ["A"], "observation_source": "proxy"}}},
    "world": {"destination": {"identity": 2, "labels": ["reserved:world"]}, "IP": {"source": "10.0.1.5",
                                                                                  "destination": "1.1.1.1"}},
    "unknown-keys": {"interface": {"index": 7}, "source": {"ID": 101, "pod_name": "x", "extra_thing": 1}},
    "no-ip-no-l4": {"IP": None, "l4": None, "source": None},
    "legacy-reply": {"is_reply": None, "reply": True},
    "unknown-direction": {"traffic_direction": "TRAFFIC_DIRECTION_UNKNOWN"},
    "time-from-envelope": {"time": None},
}


def variant(changes: dict) -> dict:
    record = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            record["flow"].pop(key, None)
        else:
            record["flow"][key] = value
    return record


@pytest.mark.parametrize("changes", list(VARIANTS.values()), ids=list(VARIANTS))
def test_generated_flows_are_equal_on_both_paths(changes):
    record = variant(changes)
    assert_same(fast_flow(record), checked_flow(record))
    assert_same(fast_flow(record), checked_flow(record))  # again, from the caches


def test_random_flows_are_equal_on_both_paths():
    rng = random.Random(5)
    keys = list(VARIANTS)
    for _ in range(300):
        changes: dict = {}
        for key in rng.sample(keys, 3):
            changes.update(VARIANTS[key])
        record = variant(changes)
        record["flow"]["l4"] = {"TCP": {"source_port": rng.randrange(1, 65536), "destination_port": 80}}
        assert_same(fast_flow(record), checked_flow(record))


SURPRISES = {
    "bare-flow": lambda r: r["flow"],
    "float-id": lambda r: {**r, "flow": {**r["flow"], "source": {**r["flow"]["source"], "ID": 101.0}}},
    "bool-identity": lambda r: {**r, "flow": {**r["flow"], "source": {**r["flow"]["source"], "identity": True}}},
    "port-word": lambda r: {**r, "flow": {**r["flow"], "l4": {"TCP": {"destination_port": "eighty"}}}},
    "two-protocols": lambda r: {**r, "flow": {**r["flow"], "l4": {"TCP": {}, "UDP": {}}}},
    "bad-time": lambda r: {**r, "flow": {**r["flow"], "time": "2026-05-04T10:00:01.12345678xZ"}},
    "unicode-digits": lambda r: {**r, "flow": {**r["flow"], "event_type": {"type": "\u0663"}}},
    "labels-not-list": lambda r: {**r, "flow": {**r["flow"], "source": {**r["flow"]["source"], "labels": "app"}}},
}


@pytest.mark.parametrize("make", list(SURPRISES.values()), ids=list(SURPRISES))
def test_the_fast_path_steps_aside_on_surprises(make):
    fast_flow(BASE)  # the well-formed endpoints are cached first: a surprise must not hit that entry
    assert fast_flow(make(copy.deepcopy(BASE))) is None


def test_a_float_id_is_reported_even_after_the_whole_number_was_cached():
    good = json.dumps(BASE)
    bad = good.replace('"ID": 101,', '"ID": 101.0,')
    result = parse_lines([good, bad])
    assert len(result.flows) == 1
    assert result.errors == [(2, "line 2: field 'flow.source.ID' is 101.0, expected a whole number; "
                                 "the line was skipped.")]
