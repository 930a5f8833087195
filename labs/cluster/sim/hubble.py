"""Hubble flows for simulated traffic, shaped like `hubble observe -o jsonpb` output.

One attempt yields the events a real agent would report: policy-verdict events (type 5) carrying
`*_allowed_by` / `*_denied_by` where a direction is enforced, a drop (type 1) with POLICY_DENIED or
POLICY_DENY, or traces (type 4) to the endpoint and the reply; L7 HTTP and DNS records (type 129)
when the proxy handled the request, the denied HTTP request DROPPED and its 403 response.
Field names and enums follow flow.proto with proto names (cilium-semantics §9), keys in flow.proto's
declaration order (what `hubble observe -o jsonpb` prints), and each event carries what the agent's
parser sets for it (cilium `pkg/hubble/parser/threefour/parser.go`, `pkg/hubble/parser/seven/`): the
trace observation point as `event_type.sub_type`, the drop reason as the drop's sub_type, `is_reply`
false on allowed policy verdicts and absent on drops and denied verdicts (the datapath does not know),
and the `Summary` text hubble's compact printer shows in brackets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from labs.outcomes import Outcome
from labs.policy.endpoints import RESERVED_IDENTITY, Endpoint, Traffic
from labs.policy.verdict import DirectionVerdict, Verdict

__all__ = ["FlowContext", "attempt_flows", "dns_flows", "iso"]

DROP_CODES = {"POLICY_DENIED": 133, "POLICY_DENY": 181}
RCODES = {"NOERROR": 0, "NXDOMAIN": 3, "REFUSED": 5}
OBSERVATION_POINTS = {"TO_ENDPOINT": 0, "TO_PROXY": 1, "TO_HOST": 2, "TO_STACK": 3, "TO_OVERLAY": 4,
                      "FROM_ENDPOINT": 5, "FROM_PROXY": 6, "FROM_HOST": 7, "FROM_STACK": 8}
"""flow.proto TraceObservationPoint name -> the datapath's trace point number (`event_type.sub_type`)."""

FLOW_KEY_ORDER = (
    "time", "uuid", "verdict", "drop_reason", "auth_type", "ethernet", "IP", "l4", "source", "destination",
    "Type", "node_name", "source_names", "destination_names", "l7", "reply", "event_type", "source_service",
    "destination_service", "traffic_direction", "policy_match_type", "trace_observation_point",
    "drop_reason_desc", "is_reply", "debug_capture_point", "interface", "proxy_port", "trace_context",
    "sock_xlate_point", "socket_cookie", "cgroup_id", "Summary", "extensions", "egress_allowed_by",
    "ingress_allowed_by", "egress_denied_by", "ingress_denied_by",
)
"""Flow fields in flow.proto's declaration order, the order protojson writes them in."""

_TCP_FLAG_ORDER = ("SYN", "ACK", "RST", "FIN", "PSH", "URG", "ECE", "CWR", "NS")
_ICMP4_NAMES = {0: "EchoReply", 3: "DestinationUnreachable", 8: "EchoRequest", 11: "TimeExceeded"}
_DNS_RCODE_TEXT = {0: "No Error", 1: "Format Error", 2: "Server Failure ", 3: "Non-Existent Domain",
                   4: "Not Implemented", 5: "Query Refused"}
"""gopacket's DNSResponseCode.String(), which the DNS summary prints (ServFail keeps its trailing space)."""


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def canonical(flow: dict[str, Any]) -> dict[str, Any]:
    """The flow's keys in flow.proto order (unknown keys last, in their own order)."""
    ordered = {k: flow[k] for k in FLOW_KEY_ORDER if k in flow}
    ordered.update((k, v) for k, v in flow.items() if k not in ordered)
    return ordered


def l4_summary(l4: dict[str, Any]) -> str:
    """What the agent's L3/L4 parser puts in `Summary` (threefour `DecodePacket`, `getTCPFlags` order)."""
    if "TCP" in l4:
        flags = l4["TCP"].get("flags") or {}
        return "TCP Flags: " + ", ".join(f for f in _TCP_FLAG_ORDER if flags.get(f))
    if "ICMPv4" in l4:
        kind = l4["ICMPv4"].get("type", 0)
        return f"ICMPv4 {_ICMP4_NAMES.get(kind, str(kind))}"
    return next(iter(l4), "")


def http_summary(kind: str, http: dict[str, Any], latency_ns: int) -> str:
    """Seven parser `httpSummary`: `HTTP/1.1 GET url`, or `HTTP/1.1 403 1ms (GET url)` for a response."""
    request = f"{http['method']} {http['url']}"
    if kind == "REQUEST":
        return f"{http['protocol']} {request}"
    return f"{http['protocol']} {http['code']} {latency_ns // 1_000_000}ms ({request})"


def dns_summary(kind: str, dns: dict[str, Any]) -> str:
    """Seven parser `dnsSummary`: `DNS Query name. A`, or `DNS Answer ... TTL: n (Proxy name. A)`."""
    qtypes = ",".join(dns.get("qtypes") or [])
    if kind == "REQUEST":
        return f"DNS Query {dns['query']} {qtypes}"
    rcode = dns.get("rcode", 0)
    if rcode:
        answer = f"RCode: {_DNS_RCODE_TEXT.get(rcode, 'Unknown')}"
    else:
        answer = '"' + ",".join(dns.get("ips") or []) + '"' if dns.get("ips") else ""
    source = "Proxy" if dns.get("observation_source") == "proxy" else "Query"
    return f"DNS Answer {answer} TTL: {dns.get('ttl', 0)} ({source} {dns['query']} {qtypes})"


@dataclass
class FlowContext:
    """What the flow builder needs from the cluster: identities, endpoint IDs, nodes, the clock."""

    identity_of: Callable[[Endpoint], int]
    endpoint_id_of: Callable[[Endpoint], int | None]
    node_of: Callable[[Endpoint], str]
    workload_of: Callable[[Endpoint], dict[str, str] | None]
    policy_labels: Callable[[str, str, str | None], dict[str, Any]]
    """(kind, name, namespace) -> the Policy message Hubble prints in *_allowed_by."""
    now: Callable[[], datetime]


class _Builder:
    def __init__(self, ctx: FlowContext, src: Endpoint, dst: Endpoint, traffic: Traffic, src_port: int):
        self.ctx, self.src, self.dst, self.traffic, self.src_port = ctx, src, dst, traffic, src_port
        self.t = ctx.now() - timedelta(microseconds=1)
        self.out: list[dict[str, Any]] = []

    def endpoint(self, ep: Endpoint) -> dict[str, Any]:
        """flow.proto Endpoint, fields in declaration order: ID, identity, namespace, labels, pod_name, workloads."""
        data: dict[str, Any] = {}
        ep_id = self.ctx.endpoint_id_of(ep)
        if ep_id is not None:
            data["ID"] = ep_id
        data["identity"] = self.ctx.identity_of(ep)
        pod = ep.name.split("/", 1) if ep.is_pod else None
        if pod:
            data["namespace"] = pod[0]
        data["labels"] = sorted(str(lb) for lb in ep.labels)
        if pod:
            data["pod_name"] = pod[1]
            workload = self.ctx.workload_of(ep)
            if workload:
                data["workloads"] = [workload]
        return data

    def l4(self, reply: bool = False, flags: dict[str, bool] | None = None) -> dict[str, Any]:
        if self.traffic.protocol == "ICMP":
            return {"ICMPv4": {"type": 0 if reply else self.traffic.icmp_type}}
        sport, dport = (self.traffic.port, self.src_port) if reply else (self.src_port, self.traffic.port)
        body: dict[str, Any] = {"source_port": sport, "destination_port": dport}
        if self.traffic.protocol == "TCP":
            body["flags"] = flags or ({"SYN": True, "ACK": True} if reply else {"SYN": True})
        return {self.traffic.protocol: body}

    def emit(self, flow: dict[str, Any], node: str, reply: bool | None = False) -> None:
        """One event; `reply` None means the datapath does not know (drops, denied verdicts)."""
        self.t = max(self.ctx.now(), self.t + timedelta(microseconds=1))
        src, dst = (self.dst, self.src) if reply else (self.src, self.dst)
        # sub-microsecond digits as a real clock has them, so the time reads as protojson writes it (9 digits)
        stamp = iso(self.t)[:-4] + f"{len(self.out) % 999 + 1:03d}Z"
        full: dict[str, Any] = {"time": stamp, "verdict": "FORWARDED",
                "IP": {"source": src.ip or "", "destination": dst.ip or "", "ipVersion": "IPv4"},
                "l4": self.l4(bool(reply)), "source": self.endpoint(src), "destination": self.endpoint(dst),
                "Type": "L3_L4", "node_name": node}
        full.update(flow)
        if reply:
            full["reply"] = True
        if reply is not None:
            full["is_reply"] = reply
        if "Summary" not in full:
            full["Summary"] = l4_summary(full["l4"])
        full = canonical(full)
        self.out.append({"flow": full, "node_name": node, "time": full["time"]})

    def policy_verdict(self, d: DirectionVerdict, node: str) -> None:
        """The policy-verdict event. An audited drop (labs.policy.audit) has verdict AUDIT, no drop reason
        (the datapath's verdict is 0), `is_reply` false like every verdict >= 0 (threefour
        `decodeIsReply`), and the denying policy, if a deny rule matched, in `*_denied_by`."""
        if not d.enforced:
            return
        # Kafka: allowed at L4, then stuck in the proxy's parser; audited: a would-be drop let through.
        allowed = (d.outcome is not Outcome.DROPPED or d.l7 == "kafka") and not d.audited
        verdict = ("REDIRECTED" if d.l7 else "FORWARDED") if allowed else "AUDIT" if d.audited else "DROPPED"
        flow: dict[str, Any] = {"event_type": {"type": 5}, "traffic_direction": d.direction.upper(),
                                "verdict": verdict}
        if d.rule is not None:
            flow["policy_match_type"] = 2
        if verdict == "DROPPED":
            flow["drop_reason_desc"] = d.drop_reason
            flow["drop_reason"] = DROP_CODES.get(d.drop_reason or "", 0)
        if d.rule is not None:
            key = f"{d.direction}_{'allowed' if allowed else 'denied'}_by"
            flow[key] = [self.ctx.policy_labels(d.rule.kind, d.rule.name, d.rule.namespace)]
        self.emit(flow, node, reply=None if verdict == "DROPPED" else False)

    def drop(self, d: DirectionVerdict, node: str) -> None:
        code = DROP_CODES.get(d.drop_reason or "", 0)
        self.emit({"verdict": "DROPPED", "drop_reason": code, "drop_reason_desc": d.drop_reason,
                   "event_type": {"type": 1, "sub_type": code}, "traffic_direction": d.direction.upper()},
                  node, reply=None)

    def trace(self, point: str, node: str, reply: bool = False, direction: str = "EGRESS") -> None:
        number = OBSERVATION_POINTS[point]
        event: dict[str, Any] = {"type": 4, "sub_type": number} if number else {"type": 4}
        self.emit({"event_type": event, "trace_observation_point": point, "traffic_direction": direction},
                  node, reply=reply)

    def _http(self) -> dict[str, Any]:
        req = self.traffic.http
        assert req is not None
        host = req.host or (self.dst.ip or "")
        url = f"http://{host}:{self.traffic.port}{req.path}" if ":" not in host else f"http://{host}{req.path}"
        http: dict[str, Any] = {"method": req.method, "url": url, "protocol": "HTTP/1.1"}
        if req.headers:  # protojson leaves empty lists out
            http["headers"] = [{"key": k, "value": v} for k, v in req.headers]
        return http

    def http_request(self, d: DirectionVerdict, node: str, allowed: bool) -> None:
        http = self._http()
        self.emit({"Type": "L7", "event_type": {"type": 129}, "traffic_direction": d.direction.upper(),
                   "verdict": "FORWARDED" if allowed else "DROPPED", "l7": {"type": "REQUEST", "http": http},
                   "Summary": http_summary("REQUEST", http, 0)}, node)

    def http_response(self, d: DirectionVerdict, node: str, allowed: bool) -> None:
        request = self._http()
        http = {"code": 200 if allowed else 403, "method": request["method"], "url": request["url"],
                "protocol": request["protocol"]}
        latency = 1_200_000 if allowed else 150_000  # the proxy answers a denied request itself, at once
        self.emit({"Type": "L7", "event_type": {"type": 129}, "traffic_direction": d.direction.upper(),
                   "l7": {"type": "RESPONSE", "latency_ns": str(latency), "http": http},
                   "Summary": http_summary("RESPONSE", http, latency)}, node, reply=True)


def attempt_flows(ctx: FlowContext, verdict: Verdict, src: Endpoint, dst: Endpoint, traffic: Traffic,
                  src_port: int = 41000) -> list[dict[str, Any]]:
    """The flows of one connection attempt under `verdict`, in the order the agents report them.

    A proxied HTTP request goes to the proxy (`to-proxy`), is logged as `http-request`, reaches the
    endpoint, and its answer is logged as `http-response`; an L7 deny is the request DROPPED and the
    proxy's own 403 response.
    """
    b = _Builder(ctx, src, dst, traffic, src_port)
    src_node, dst_node = ctx.node_of(src), ctx.node_of(dst)
    proxied: tuple[DirectionVerdict, str] | None = None
    for d, node in ((verdict.egress, src_node), (verdict.ingress, dst_node)):
        if d is None:
            continue
        b.policy_verdict(d, node)
        if d.l7 == "kafka" and d.outcome is Outcome.DROPPED:
            # Redirected to Envoy's Kafka parser, which waits for the rest of a frame that never comes
            # (labs.policy.l7decide._kafka_port): the last event is the redirect, no drop is reported.
            b.trace("TO_PROXY", node, direction=d.direction.upper())
            return b.out
        if d.outcome is Outcome.DROPPED:
            b.drop(d, node)
            return b.out
        if d.l7 == "http" and traffic.http is not None and proxied is None:
            proxied = (d, node)
            b.trace("TO_PROXY", node, direction=d.direction.upper())
            if d.outcome is Outcome.L7_DENIED:
                b.http_request(d, node, allowed=False)
                b.http_response(d, node, allowed=False)
                return b.out
            b.http_request(d, node, allowed=True)
    b.trace("TO_ENDPOINT" if dst.is_pod else "TO_STACK", dst_node if dst.is_pod else src_node,
            direction="INGRESS" if dst.is_pod else "EGRESS")
    if proxied is not None:
        b.http_response(proxied[0], proxied[1], allowed=True)
    b.trace("TO_ENDPOINT" if src.is_pod else "TO_STACK", src_node, reply=True, direction="INGRESS")
    return b.out


def dns_flows(ctx: FlowContext, verdict: Verdict, src: Endpoint, dns_server: Endpoint, name: str,
              rcode: str, ips: list[str]) -> list[dict[str, Any]]:
    """A DNS lookup: L3/L4 events, and the proxy's request/response records when it was proxied."""
    traffic = Traffic("UDP", 53, dns_name=name)
    egress = verdict.egress
    proxied = egress is not None and egress.l7 == "dns"
    if not proxied or verdict.outcome is Outcome.DROPPED:
        return attempt_flows(ctx, verdict, src, dns_server, traffic, src_port=53000)
    b = _Builder(ctx, src, dns_server, traffic, 53000)
    node = ctx.node_of(src)
    assert egress is not None
    b.policy_verdict(egress, node)
    b.trace("TO_PROXY", node)
    qname = name.rstrip(".") + "."
    refused = verdict.outcome is Outcome.REFUSED
    request = {"query": qname, "observation_source": "proxy", "qtypes": ["A"]}
    b.emit({"Type": "L7", "event_type": {"type": 129}, "traffic_direction": "EGRESS",
            "verdict": "DROPPED" if refused else "FORWARDED", "l7": {"type": "REQUEST", "dns": request},
            "Summary": dns_summary("REQUEST", request)}, node)
    dns: dict[str, Any] = {"query": qname}
    if ips and not refused:
        dns.update(ips=ips, ttl=30)
    dns.update(observation_source="proxy")
    code = RCODES["REFUSED" if refused else rcode]
    if code:
        dns["rcode"] = code
    dns["qtypes"] = ["A"]
    if ips and not refused:
        dns["rrtypes"] = ["A"]
    b.emit({"Type": "L7", "event_type": {"type": 129}, "traffic_direction": "EGRESS",
            "l7": {"type": "RESPONSE", "dns": dns}, "Summary": dns_summary("RESPONSE", dns)}, node, reply=True)
    return b.out


__all__ += ["RESERVED_IDENTITY"]
