from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from labs.flows import Flow, FlowParseError, parse_flow, parse_lines
from labs.flows.parse import parse_time

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "hubble-flows"

needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference captures not found at {REFERENCE}")


@needs_reference
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("01-l3l4-tcp-trace-forwarded.json",
         {"verdict": "FORWARDED", "type": "L3_L4", "event_type": 4, "event_subtype": 3, "direction": "INGRESS",
          "is_reply": True, "protocol": "TCP", "source_workload": "reviews-v1", "destination_reserved": ("host",),
          "flags": ("FIN", "ACK"), "destination_port": 42044}),
        ("03-l7-http-request-forwarded.json",
         {"verdict": "FORWARDED", "type": "L7", "event_type": 129, "direction": "EGRESS", "is_reply": False,
          "protocol": "HTTP", "source_workload": "prometheus", "destination_reserved": ("world",),
          "http": ("GET", "/metrics"), "destination_port": 9990}),
        ("05-l7-dns-response-nxdomain.json",
         {"verdict": "FORWARDED", "type": "L7", "event_type": 129, "is_reply": True, "protocol": "DNS",
          "source_workload": "kube-dns", "destination_reserved": (),
          "dns": ("istiod-istio-1611.istio-system.svc.istio-system.svc.cluster.local", 3)}),
    ],
    ids=["l3l4-trace", "l7-http", "l7-dns"],
)
def test_real_captures_parse_into_typed_flows(name, expected):
    result = parse_lines((REFERENCE / name).read_text().splitlines())
    assert result.errors == []
    (flow,) = result.flows
    assert flow.verdict == expected["verdict"]
    assert flow.type == expected["type"]
    assert flow.event_type == expected["event_type"]
    assert flow.is_reply is expected["is_reply"]
    assert flow.protocol == expected["protocol"]
    assert flow.source.workload == expected["source_workload"]
    assert flow.destination.reserved == expected["destination_reserved"]
    assert flow.time is not None and flow.time.tzinfo is not None
    if "flags" in expected:
        assert flow.l4.flags == expected["flags"]
        assert flow.event_subtype == expected["event_subtype"]
    if "http" in expected:
        assert (flow.http.method, flow.http.path) == expected["http"]
        assert ("User-Agent", "Prometheus/2.15.1") in flow.http.headers
    if "dns" in expected:
        assert (flow.dns.query, flow.dns.rcode) == expected["dns"]
    if "destination_port" in expected:
        assert flow.destination_port == expected["destination_port"]
    assert flow.extra["IP"]["ipVersion"] == "IPv4"


def test_sample_parses_every_flow_and_skips_the_lost_events_record(sample_lines):
    result = parse_lines(sample_lines, source="sample.jsonl")
    assert len(result.flows) == 14
    assert result.errors == []
    assert result.skipped == [(15, "sample.jsonl: line 15 is a lost_events record, not a flow.")]


def test_policy_names_and_reasons_are_typed(sample_records):
    allowed = parse_flow(sample_records[0])
    assert [str(p) for p in allowed.ingress_allowed_by] == ["CiliumNetworkPolicy backend/api-allow-client"]
    denied = parse_flow(sample_records[7])
    assert denied.drop_reason == "POLICY_DENY"
    assert [str(p) for p in denied.denied_by] == ["CiliumNetworkPolicy backend/db-deny-api"]
    fqdn = parse_flow(sample_records[10])
    assert fqdn.destination.names == ("api.github.com",)
    assert fqdn.destination.describe() == "api.github.com"


def test_legacy_bare_flow_gives_the_same_flow_as_the_envelope(sample_records):
    envelope = sample_records[3]
    assert parse_flow(envelope["flow"]) == parse_flow(envelope)


def test_unknown_fields_are_kept_in_extra():
    flow = parse_flow({"flow": {"verdict": "FORWARDED", "future_field": {"x": 1},
                                "source": {"identity": 2, "labels": ["reserved:world"], "new_key": 7}},
                       "node_name": "n1", "time": "2024-01-01T00:00:00Z", "cluster": "c1"})
    assert flow.extra == {"future_field": {"x": 1}, "source.new_key": 7, "response.cluster": "c1"}
    assert flow.node_name == "n1"
    assert flow.time == datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_uint64_strings_become_numbers():
    flow = parse_flow({"verdict": "FORWARDED", "l7": {"type": "REQUEST", "latency_ns": "1500"}})
    assert flow.l7.latency_ns == 1500


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"flow": {"verdict": "FORWARDED"', "line 2 is not valid JSON"),
        ("[1, 2]", "line 2 holds a JSON list, not an object; the line was skipped."),
        ('{"hello": "world"}', "line 2: the object is neither a GetFlowsResponse with a 'flow' key nor a bare flow "
                               "(keys: hello); expected `hubble observe -o jsonpb` output; the line was skipped."),
        ('{"flow": "nope"}', "line 2: field 'flow' must be an object, got str 'nope'; the line was skipped."),
        ('{"flow": {"source": {"labels": "k8s:app=x"}}}',
         "line 2: field 'flow.source.labels' is 'k8s:app=x', expected a list of strings like 'k8s:app=api'; "
         "the line was skipped."),
        ('{"flow": {"l4": {"TCP": {"destination_port": "eighty"}}}}',
         "line 2: field 'flow.l4.TCP.destination_port' is 'eighty', expected a whole number; the line was skipped."),
        ('{"flow": {"time": "yesterday", "verdict": "DROPPED"}}',
         "line 2: field 'flow.time' is 'yesterday', expected an RFC 3339 time such as "
         "'2024-05-01T10:00:00.123456789Z'; the line was skipped."),
        ('{"flow": {"is_reply": "yes"}}', "line 2: field 'flow.is_reply' is 'yes', expected true or false; "
                                          "the line was skipped."),
    ],
    ids=["truncated", "not-object", "not-a-flow", "flow-not-object", "labels-string", "port-string", "bad-time",
         "reply-string"],
)
def test_malformed_lines_are_reported_with_their_line_number_and_skipped(sample_lines, line, message):
    result = parse_lines([sample_lines[0], line, sample_lines[1]], source="f.jsonl")
    assert len(result.flows) == 2
    assert len(result.errors) == 1
    number, text = result.errors[0]
    assert number == 2
    assert text.startswith("f.jsonl: " + message) if message.startswith("line 2 is not") else text == (
        "f.jsonl: " + message)


def test_parse_flow_raises_a_clear_error_for_non_objects():
    with pytest.raises(FlowParseError, match=r"expected a JSON object, got list \[1\]"):
        parse_flow([1])  # type: ignore[arg-type]


def test_blank_lines_are_ignored_and_flows_are_frozen(sample_lines):
    result = parse_lines(["", "   ", sample_lines[0]])
    assert result.errors == [] and len(result.flows) == 1
    flow = result.flows[0]
    assert isinstance(flow, Flow)
    with pytest.raises(AttributeError):
        flow.verdict = "DROPPED"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-06-16T16:52:13.136834446Z", datetime(2021, 6, 16, 16, 52, 13, 136834, tzinfo=timezone.utc)),
        ("2021-06-16T16:52:13Z", datetime(2021, 6, 16, 16, 52, 13, tzinfo=timezone.utc)),
        ("2021-06-16T16:52:13.5+00:00", datetime(2021, 6, 16, 16, 52, 13, 500000, tzinfo=timezone.utc)),
    ],
    ids=["nanoseconds", "whole-seconds", "short-fraction-offset"],
)
def test_times(text, expected):
    assert parse_time(text) == expected


def test_round_trip_through_json_never_crashes_on_random_shapes():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=8)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["flow", "source", "labels", "l4", "TCP", "l7", "http", "dns", "verdict", "IP", "time",
                         "destination_port", "event_type", "type", "code", "headers", "ingress_allowed_by"]),
        inner, max_size=4), max_leaves=12)

    @settings(max_examples=60, deadline=None)
    @given(values)
    def check(value):
        result = parse_lines([json.dumps(value)])
        assert len(result.flows) + len(result.errors) + len(result.skipped) == 1

    check()
