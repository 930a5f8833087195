"""The simulated cluster's flows have the shape of the real captures (tests/commands/hubble/data/).

Keys the two share come in the same order (protojson writes flow.proto's declaration order), trace events
carry the observation point both as `trace_observation_point` and as `event_type.sub_type` (capture 01:
TO_STACK, sub_type 3), L7 records carry `is_reply`, and replies the deprecated `reply` too (capture 05).
"""

from __future__ import annotations

import json
from pathlib import Path

from labs.probes import HttpRequest, Probe, parse_target

DATA = Path(__file__).parent / "data"

DNS_AND_L7 = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web-out, namespace: frontend}
spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]
  - toEntities: [world]
    toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {http: [{}]}}]
"""


def capture(name):
    return json.loads((DATA / name).read_text())["flow"]


def same_relative_order(ours, real):
    shared = [k for k in ours if k in real]
    assert shared == [k for k in real if k in ours], (list(ours), list(real))


def flows_of(sim, probe):
    return [f["flow"] for f in sim.probe(probe).flows]


def test_trace_to_world_matches_capture_01(sim):
    flows = flows_of(sim, Probe("frontend/web", parse_target("ip:1.1.1.1"), 443))
    trace = next(f for f in flows if f["event_type"]["type"] == 4 and not f.get("is_reply"))
    real = capture("01-l3l4-tcp-trace-forwarded.json")
    assert trace["event_type"] == real["event_type"] == {"type": 4, "sub_type": 3}
    assert trace["trace_observation_point"] == real["trace_observation_point"] == "TO_STACK"
    same_relative_order(trace, real)
    same_relative_order(trace["source"], real["source"])
    same_relative_order(trace["l4"]["TCP"], real["l4"]["TCP"])
    reply = next(f for f in flows if f.get("is_reply"))
    assert reply["reply"] is True and reply["event_type"] == {"type": 4}  # to-endpoint: sub_type 0, omitted


def test_http_request_matches_capture_03(sim):
    sim.apply(DNS_AND_L7)
    sim.add_external("example.org", "93.184.216.34")
    flows = flows_of(sim, Probe("frontend/web", parse_target("fqdn:example.org"), 80, http=HttpRequest("GET", "/")))
    request = next(f for f in flows if f.get("l7", {}).get("type") == "REQUEST" and "http" in f["l7"])
    real = capture("03-l7-http-request-forwarded.json")
    same_relative_order(request, real)
    same_relative_order(request["l7"]["http"], real["l7"]["http"])
    assert request["is_reply"] is False and request["Summary"] == f"HTTP/1.1 GET {request['l7']['http']['url']}"


def test_dns_response_matches_capture_05(sim):
    sim.apply(DNS_AND_L7)
    flows = flows_of(sim, Probe("frontend/web", None, dns="nothing-here.example"))
    response = next(f for f in flows if f.get("l7", {}).get("type") == "RESPONSE")
    real = capture("05-l7-dns-response-nxdomain.json")
    same_relative_order(response, real)
    same_relative_order(response["l7"]["dns"], real["l7"]["dns"])
    assert response["reply"] is True and response["is_reply"] is True
    assert response["l7"]["dns"]["rcode"] == real["l7"]["dns"]["rcode"] == 3
    assert response["Summary"] == "DNS Answer RCode: Non-Existent Domain TTL: 0 (Proxy nothing-here.example. A)"


def test_drops_and_denied_verdicts_leave_is_reply_unknown(sim):
    sim.apply("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: d, namespace: backend}\n"
              "spec: {endpointSelector: {}, ingress: [{fromEndpoints: [{matchLabels: {app: none}}]}]}\n")
    flows = flows_of(sim, Probe("frontend/web", parse_target("backend/api"), 8080))
    assert [f["event_type"]["type"] for f in flows] == [5, 1]
    assert all("is_reply" not in f for f in flows)
    assert flows[1]["event_type"] == {"type": 1, "sub_type": 133} and flows[1]["drop_reason_desc"] == "POLICY_DENIED"


def test_times_and_empty_lists_read_as_protojson_writes_them(sim):
    sim.apply(DNS_AND_L7)
    sim.add_external("example.org", "93.184.216.34")
    flows = flows_of(sim, Probe("frontend/web", parse_target("fqdn:example.org"), 80, http=HttpRequest("GET", "/")))
    real = capture("03-l7-http-request-forwarded.json")["time"]
    for flow in flows:
        # RFC 3339 with 9 fractional digits (protojson drops trailing zero groups, so the last 3 are not 000)
        assert len(flow["time"]) == len(real) and flow["time"][-4:-1] != "000", flow["time"]
        http = flow.get("l7", {}).get("http")
        if http is not None:
            assert "headers" not in http  # no headers sent: protojson omits the empty list
