"""The fast paths (typed lines, dicts) and the validating path give equal flows; fast paths step aside on surprises."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from labs.flows import Flow, parse_lines
from labs.flows.fastpath import _FLOW_KEYS, fast_flow
from labs.flows.parse import checked_flow
from labs.flows.schema import UNMODELLED_FIELDS, FlowRecord
from labs.flows.typedpath import typed_flow

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "hubble-flows"


def assert_same(fast: Flow | None, checked: Flow) -> None:
    assert fast is not None, "the fast path declined a well-formed flow"
    assert fast == checked
    assert dict(fast.extra) == dict(checked.extra)  # extra is left out of ==


def typed(record: dict) -> Flow | None:
    """The typed fast path on the record's JSON line; None when it steps aside."""
    return typed_flow(json.dumps(record))


def only_declared_fields(record: dict) -> bool:
    """Whether typed decoding takes the record: the Structs declare every field, endpoints hold only modelled keys."""
    flow = record["flow"]
    endpoints = [flow.get(side) or {} for side in ("source", "destination")]
    return set(flow) <= set(FlowRecord.__struct_fields__) and all(set(e) <= ENDPOINT_KEYS for e in endpoints)


ENDPOINT_KEYS = {"ID", "identity", "namespace", "labels", "pod_name", "workloads", "cluster_name"}


def assert_all_paths_same(record: dict) -> None:
    checked = checked_flow(record)
    assert_same(fast_flow(record), checked)
    if only_declared_fields(record):
        assert_same(typed(record), checked)
    else:
        assert typed(record) is None
    (parsed,) = parse_lines([json.dumps(record)]).flows
    assert_same(parsed, checked)


def test_sample_file_flows_are_equal_on_both_paths(sample_records):
    taken = 0
    for record in sample_records:
        if "flow" not in record:
            continue  # the lost_events record
        assert only_declared_fields(record)  # so the typed path must take it
        assert_all_paths_same(record)
        taken += 1
    assert taken == len(sample_records) - 1


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference captures not found at {REFERENCE}")
@pytest.mark.parametrize("name", sorted(p.name for p in REFERENCE.glob("*.json")) if REFERENCE.is_dir() else [])
def test_real_captures_are_equal_on_both_paths(name):
    record = json.loads((REFERENCE / name).read_text())
    assert only_declared_fields(record)  # real Hubble lines stay on the typed path
    assert_all_paths_same(record)


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
    assert_all_paths_same(record)
    assert_all_paths_same(record)  # again, from the caches


def test_random_flows_are_equal_on_both_paths():
    rng = random.Random(5)
    keys = list(VARIANTS)
    for _ in range(300):
        changes: dict = {}
        for key in rng.sample(keys, 3):
            changes.update(VARIANTS[key])
        record = variant(changes)
        record["flow"]["l4"] = {"TCP": {"source_port": rng.randrange(1, 65536), "destination_port": 80}}
        assert_all_paths_same(record)


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
def test_the_fast_paths_step_aside_on_surprises(make):
    fast_flow(BASE)  # the well-formed endpoints are cached first: a surprise must not hit that entry
    typed(BASE)
    record = make(copy.deepcopy(BASE))
    assert fast_flow(record) is None
    assert typed(record) is None


TYPED_SURPRISES = {
    "unknown-flow-field": lambda r: {**r, "flow": {**r["flow"], "future_field": {"x": 1}}},
    "unknown-envelope-field": lambda r: {**r, "cluster": "c1"},
    "unknown-endpoint-field": lambda r: {**r, "flow": {**r["flow"], "source": {**r["flow"]["source"], "new": 7}}},
    "endpoint-not-object": lambda r: {**r, "flow": {**r["flow"], "destination": ["api"]}},
    "verdict-number": lambda r: {**r, "flow": {**r["flow"], "verdict": 1}},
    "reply-number": lambda r: {**r, "flow": {**r["flow"], "is_reply": 0}},
    "names-not-strings": lambda r: {**r, "flow": {**r["flow"], "destination_names": ["a", 1]}},
    "event-type-float": lambda r: {**r, "flow": {**r["flow"], "event_type": {"type": 4.0}}},
    "l4-empty": lambda r: {**r, "flow": {**r["flow"], "l4": {}}},
    "l4-null-protocol": lambda r: {**r, "flow": {**r["flow"], "l4": {"UDP": None}}},
    "l4-other-protocol": lambda r: {**r, "flow": {**r["flow"], "l4": {"VRRP": {"type": 1}}}},
    "l4-flags-list": lambda r: {**r, "flow": {**r["flow"], "l4": {"TCP": {"flags": []}}}},
    "envelope-node-name-number": lambda r: {"flow": {k: v for k, v in r["flow"].items() if k != "node_name"},
                                            "node_name": 7},
}


@pytest.mark.parametrize("make", list(TYPED_SURPRISES.values()), ids=list(TYPED_SURPRISES))
def test_the_typed_path_leaves_unknown_fields_and_wrong_types_to_the_dict_paths(make):
    typed(BASE)
    record = make(copy.deepcopy(BASE))
    assert typed(record) is None
    line = json.dumps(record)
    result = parse_lines([line])
    if result.flows:  # unknown fields: the dict path keeps them in extra
        (flow,) = result.flows
        assert_same(flow, checked_flow(record))
    else:
        assert len(result.errors) == 1
        with pytest.raises(ValueError):
            checked_flow(record)


def test_the_typed_and_dict_paths_model_the_same_flow_fields():
    declared = set(FlowRecord.__struct_fields__)
    assert set(UNMODELLED_FIELDS) <= declared
    assert declared - set(UNMODELLED_FIELDS) == _FLOW_KEYS


def test_an_endpoint_is_rebuilt_when_its_ip_or_names_differ():
    first = typed(BASE)
    other = copy.deepcopy(BASE)
    other["flow"]["IP"]["destination"] = "10.0.2.10"
    other["flow"]["destination_names"] = ["API.example.com."]
    second = typed(other)
    assert first is not None and second is not None
    assert first.destination.ip == "10.0.2.9" and first.destination.names == ()
    assert second.destination.ip == "10.0.2.10" and second.destination.names == ("api.example.com",)
    assert second.source is first.source  # same text, IP and names: the cached endpoint


def test_a_float_id_is_reported_even_after_the_whole_number_was_cached():
    good = json.dumps(BASE)
    bad = good.replace('"ID": 101,', '"ID": 101.0,')
    result = parse_lines([good, bad])
    assert len(result.flows) == 1
    assert result.errors == [(2, "line 2: field 'flow.source.ID' is 101.0, expected a whole number; "
                                 "the line was skipped.")]
