"""hubble's flow printers, byte for byte.

Goldens: (1) the three real captures in `data/` (from the course's reference set) rendered in compact
form, each expected line derived from cilium/cilium `hubble/pkg/printer/printer.go`
(`Printer.WriteProtoFlow`, case CompactOutput: "%s%s: %s %s %s %s %s %s %s (%s)" of fmtTimestamp,
node, GetHostNames, fmtIdentity, arrow from GetIsReply, GetFlowType, getVerdict, getSummary);
(2) the flow and expected outputs of cilium's own `hubble/pkg/printer/printer_test.go`
(`TestPrinter_WriteProtoFlow`: tabular, compact, compact-reply, compact-policy-verdict-denied,
compact-direction-unknown, dict, dict-with-node, jsonpb), written here as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labs.commands.hubble.printer import FlowPrinter, flow_type, identity_text, stamp_milli
from labs.commands.tabwriter import tabwrite

DATA = Path(__file__).parent / "data"


def render(responses, output="compact", **options):
    printer = FlowPrinter(output, **options)
    return "".join(printer.write(r) for r in responses) + printer.close()


CAPTURES = {
    # to-stack trace; the capture predates is_reply (only the deprecated `reply`), so GetIsReply() is nil: `<>`
    "01-l3l4-tcp-trace-forwarded.json":
        "Jun 16 16:52:13.136: bookinfo/reviews-v1-545db77b95-s6jb8:15020 (ID:25339) <> 10.0.2.1:42044 (host) "
        "to-stack FORWARDED (TCP Flags: ACK, FIN)\n",
    # L7 request to world: `http-request`, identity 2 printed as (world)
    "03-l7-http-request-forwarded.json":
        "Oct  4 14:28:38.735: istio-system/prometheus-6655946b9f-6xcpf:48532 (ID:16781) -> 10.128.0.4:9990 (world) "
        "http-request FORWARDED (HTTP/1.1 GET http://10.128.0.4:9990/metrics)\n",
    # DNS response: is_reply true swaps source and destination and turns the arrow into `<-`
    "05-l7-dns-response-nxdomain.json":
        "Oct  4 11:22:26.593: kube-system/node-local-dns-88zrp:59102 (ID:1563) <- "
        "kube-system/kube-dns-b4f5c58c7-vnx5s:53 (ID:796) dns-response proxy FORWARDED "
        "(DNS Answer RCode: Non-Existent Domain TTL: 4294967295 "
        "(Proxy istiod-istio-1611.istio-system.svc.istio-system.svc.cluster.local. A))\n",
}


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_real_captures_print_as_hubble_prints_them(name):
    response = json.loads((DATA / name).read_text())
    assert render([response]) == CAPTURES[name]


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_jsonpb_of_a_capture_is_the_line_itself(name):
    text = (DATA / name).read_text().strip()
    assert render([json.loads(text)], "json") == text + "\n"


def test_captures_match_the_shared_reference_copy():
    shared = next((p / "shared" / "reference" / "hubble-flows" for p in Path(__file__).resolve().parents
                   if (p / "shared" / "reference" / "hubble-flows").is_dir()), None)
    if shared is None:
        pytest.skip("the shared reference set is not next to this checkout")
    for name in CAPTURES:
        assert (shared / name).read_text() == (DATA / name).read_text()


# cilium hubble/pkg/printer/printer_test.go, var f (a dropped TCP SYN from the health identity)
F = {"flow": {"time": "1970-01-01T00:20:34.567800Z", "verdict": "DROPPED",
              "IP": {"source": "1.1.1.1", "destination": "2.2.2.2"},
              "l4": {"TCP": {"source_port": 31793, "destination_port": 8080}},
              "source": {"identity": 4}, "destination": {"identity": 12345}, "Type": "L3_L4", "node_name": "k8s1",
              "event_type": {"type": 1, "sub_type": 133}, "is_reply": False, "Summary": "TCP Flags: SYN"}}


def _variant(**changes):
    flow = {**F["flow"], **changes}
    return {"flow": {k: v for k, v in flow.items() if v is not None}}


def test_tabular():
    assert render([F], "table") == (
        "TIMESTAMP             SOURCE          DESTINATION    TYPE            VERDICT   SUMMARY\n"
        "Jan  1 00:20:34.567   1.1.1.1:31793   2.2.2.2:8080   Policy denied   DROPPED   TCP Flags: SYN\n")


def test_tabular_with_node():
    assert render([F], "tab", node_name=True) == (
        "TIMESTAMP             NODE   SOURCE          DESTINATION    TYPE            VERDICT   SUMMARY\n"
        "Jan  1 00:20:34.567   k8s1   1.1.1.1:31793   2.2.2.2:8080   Policy denied   DROPPED   TCP Flags: SYN\n")


@pytest.mark.parametrize(("flow", "node", "expected"), [
    (F, False, "Jan  1 00:20:34.567: 1.1.1.1:31793 (health) -> 2.2.2.2:8080 (ID:12345) "
               "Policy denied DROPPED (TCP Flags: SYN)\n"),
    (F, True, "Jan  1 00:20:34.567 [k8s1]: 1.1.1.1:31793 (health) -> 2.2.2.2:8080 (ID:12345) "
              "Policy denied DROPPED (TCP Flags: SYN)\n"),
    (_variant(is_reply=True), True, "Jan  1 00:20:34.567 [k8s1]: 2.2.2.2:8080 (ID:12345) <- 1.1.1.1:31793 (health) "
                                    "Policy denied DROPPED (TCP Flags: SYN)\n"),
    (_variant(event_type={"type": 5}, is_reply=None, traffic_direction="EGRESS"), True,
     "Jan  1 00:20:34.567 [k8s1]: 1.1.1.1:31793 (health) <> 2.2.2.2:8080 (ID:12345) "
     "policy-verdict:none EGRESS DENIED (TCP Flags: SYN)\n"),
    (_variant(is_reply=None), True, "Jan  1 00:20:34.567 [k8s1]: 1.1.1.1:31793 (health) <> 2.2.2.2:8080 (ID:12345) "
                                    "Policy denied DROPPED (TCP Flags: SYN)\n"),
], ids=["compact", "compact-with-node", "compact-reply", "compact-policy-verdict-denied", "compact-direction-unknown"])
def test_compact(flow, node, expected):
    assert render([flow], node_name=node) == expected


def test_dict_and_its_separator():
    one = ("  TIMESTAMP: Jan  1 00:20:34.567\n     SOURCE: 1.1.1.1:31793\nDESTINATION: 2.2.2.2:8080\n"
           "       TYPE: Policy denied\n    VERDICT: DROPPED\n    SUMMARY: TCP Flags: SYN\n")
    assert render([F], "dict") == one
    assert render([F, F], "dict") == one + "------------\n" + one
    assert render([F], "dict", node_name=True) == one.replace("\n     SOURCE", "\n       NODE: k8s1\n     SOURCE", 1)


def test_jsonpb():
    assert render([F], "jsonpb") == (
        '{"flow":{"time":"1970-01-01T00:20:34.567800Z","verdict":"DROPPED",'
        '"IP":{"source":"1.1.1.1","destination":"2.2.2.2"},'
        '"l4":{"TCP":{"source_port":31793,"destination_port":8080}},'
        '"source":{"identity":4},"destination":{"identity":12345},'
        '"Type":"L3_L4","node_name":"k8s1","event_type":{"type":1,"sub_type":133},'
        '"is_reply":false,"Summary":"TCP Flags: SYN"}}\n')


@pytest.mark.parametrize(("verdict", "direction", "field", "expected"), [
    ("FORWARDED", "INGRESS", "ingress_allowed_by", "ALLOWED BY allow-api (CiliumNetworkPolicy)"),
    ("REDIRECTED", "EGRESS", "egress_allowed_by", "ALLOWED BY allow-api (CiliumNetworkPolicy)"),
    ("DROPPED", "INGRESS", "ingress_denied_by", "DENIED BY allow-api (CiliumNetworkPolicy)"),
    ("FORWARDED", "EGRESS", "ingress_allowed_by", "ALLOWED"),  # the other direction's policies are not named
])
def test_print_policy_names(verdict, direction, field, expected):
    # cilium PR #39453: `policy-verdict:L3-Only EGRESS ALLOWED BY allow-egress-test-cnp (CiliumNetworkPolicy)`
    policy = {"name": "allow-api", "namespace": "backend", "kind": "CiliumNetworkPolicy"}
    flow = _variant(event_type={"type": 5}, verdict=verdict, traffic_direction=direction, policy_match_type=2,
                    **{field: [policy, {"name": "no-kind"}]})
    line = render([flow], policy_names=True)
    assert line.endswith(f"policy-verdict:L3-L4 {direction} {expected} (TCP Flags: SYN)\n")
    assert " BY " not in render([flow])


@pytest.mark.parametrize(("event", "extra", "expected"), [
    ({"type": 4}, {}, "to-endpoint"),
    ({"type": 4, "sub_type": 1}, {}, "to-proxy"),
    ({"type": 1, "sub_type": 181}, {}, "Policy denied by denylist"),
    ({"type": 5}, {"policy_match_type": 3, "traffic_direction": "INGRESS"}, "policy-verdict:L4-Only INGRESS"),
    ({"type": 5}, {}, "policy-verdict:none TRAFFIC_DIRECTION_UNKNOWN"),
    ({"type": 9}, {}, "UNKNOWN"),
])
def test_flow_type(event, extra, expected):
    assert flow_type({"event_type": event, **extra}) == expected


def test_identity_time_and_tabwriter_helpers():
    assert [identity_text(i) for i in (1, 2, 6, 7, 9, 0, 256)] == [
        "(host)", "(world)", "(remote-node)", "(kube-apiserver)", "(world-ipv4)", "(ID:0)", "(ID:256)"]
    assert stamp_milli("2026-12-02T09:05:03.999999999Z") == "Dec  2 09:05:03.999"  # truncated, never rounded
    assert stamp_milli(None) == "N/A"
    assert tabwrite("a\tbb\tlast cell\nccc\td\tx\n", minwidth=2, padding=3) == "a     bb   last cell\nccc   d    x\n"


def test_terminal_control_characters_are_escaped_outside_json():
    # hubble/pkg/printer/terminal.go newTerminalEscaperBuilder: "\x1b" -> "^[", "\r" -> "\\r" (colour off)
    flow = _variant(Summary="HTTP/1.1 GET http://x/\x1b[31mred\r")
    assert render([flow]).endswith("(HTTP/1.1 GET http://x/^[[31mred\\r)\n")
    assert "^[[31mred\\r" in render([flow], "dict") and "^[[31mred\\r" in render([flow], "table")
    assert "\\u001b[31mred\\r" in render([flow], "json")


def test_json_escapes_html_characters_as_go_does():
    # hubble writes with encoding/json's Encoder, which HTML-escapes what a Marshaler (protojson) returns
    flow = _variant(Summary="HTTP/1.1 GET http://x/?a=1&b=<2>")
    assert '"Summary":"HTTP/1.1 GET http://x/?a=1\\u0026b=\\u003c2\\u003e"' in render([flow], "json")
    assert json.loads(render([flow], "json"))["flow"]["Summary"] == "HTTP/1.1 GET http://x/?a=1&b=<2>"
