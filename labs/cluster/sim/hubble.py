"""Hubble flows for simulated traffic, shaped like `hubble observe -o jsonpb` output.

One attempt yields the events a real agent would report: policy-verdict events (type 5) carrying
`*_allowed_by` / `*_denied_by` where a direction is enforced, a drop (type 1) with POLICY_DENIED or
POLICY_DENY, or traces (type 4) to the endpoint and the reply; L7 HTTP and DNS records (type 129)
when the proxy handled the request, the denied HTTP request DROPPED and its 403 response.
Field names and enums follow flow.proto with proto names (cilium-semantics §9).
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


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


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
        data: dict[str, Any] = {"identity": self.ctx.identity_of(ep), "labels": sorted(str(lb) for lb in ep.labels)}
        ep_id = self.ctx.endpoint_id_of(ep)
        if ep_id is not None:
            data = {"ID": ep_id, **data}
        if ep.is_pod:
            ns, pod = ep.name.split("/", 1)
            data.update(cluster_name="default", namespace=ns, pod_name=pod)
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

    def emit(self, flow: dict[str, Any], node: str, reply: bool = False) -> None:
        self.t = max(self.ctx.now(), self.t + timedelta(microseconds=1))
        src, dst = (self.dst, self.src) if reply else (self.src, self.dst)
        full = {"time": iso(self.t), "verdict": "FORWARDED",
                "IP": {"source": src.ip or "", "destination": dst.ip or "", "ipVersion": "IPv4"},
                "l4": self.l4(reply), "source": self.endpoint(src), "destination": self.endpoint(dst),
                "Type": "L3_L4", "node_name": node}
        full.update(flow)
        full["is_reply"] = reply
        self.out.append({"flow": full, "node_name": node, "time": full["time"]})

    def policy_verdict(self, d: DirectionVerdict, node: str) -> None:
        if not d.enforced:
            return
        allowed = d.outcome is not Outcome.DROPPED
        flow: dict[str, Any] = {"event_type": {"type": 5}, "traffic_direction": d.direction.upper(),
                                "verdict": ("REDIRECTED" if d.l7 else "FORWARDED") if allowed else "DROPPED",
                                "policy_match_type": 2 if d.rule is not None else 0}
        if not allowed:
            flow["drop_reason_desc"] = d.drop_reason
            flow["drop_reason"] = DROP_CODES.get(d.drop_reason or "", 0)
        if d.rule is not None:
            key = f"{d.direction}_{'allowed' if allowed else 'denied'}_by"
            flow[key] = [self.ctx.policy_labels(d.rule.kind, d.rule.name, d.rule.namespace)]
        self.emit(flow, node)

    def drop(self, d: DirectionVerdict, node: str) -> None:
        self.emit({"verdict": "DROPPED", "drop_reason": DROP_CODES.get(d.drop_reason or "", 0),
                   "drop_reason_desc": d.drop_reason, "event_type": {"type": 1, "sub_type": DROP_CODES.get(
                       d.drop_reason or "", 0)}, "traffic_direction": d.direction.upper(),
                   "Summary": f"{self.traffic.protocol} drop: {d.drop_reason}"}, node)

    def trace(self, point: str, node: str, reply: bool = False, direction: str = "EGRESS") -> None:
        self.emit({"event_type": {"type": 4, "sub_type": 0}, "trace_observation_point": point,
                   "traffic_direction": direction}, node, reply=reply)

    def http(self, d: DirectionVerdict, node: str, allowed: bool) -> None:
        req = self.traffic.http
        host = req.host or (self.dst.ip or "")
        url = f"http://{host}:{self.traffic.port}{req.path}" if ":" not in host else f"http://{host}{req.path}"
        http = {"method": req.method, "url": url, "protocol": "HTTP/1.1",
                "headers": [{"key": k, "value": v} for k, v in req.headers]}
        direction = d.direction.upper()
        self.emit({"Type": "L7", "event_type": {"type": 129}, "traffic_direction": direction,
                   "verdict": "FORWARDED" if allowed else "DROPPED",
                   "l7": {"type": "REQUEST", "http": http}}, node)
        code = 200 if allowed else 403
        self.emit({"Type": "L7", "event_type": {"type": 129}, "traffic_direction": direction,
                   "l7": {"type": "RESPONSE", "latency_ns": "1200000",
                          "http": {**http, "code": code, "headers": []}}}, node, reply=True)


def attempt_flows(ctx: FlowContext, verdict: Verdict, src: Endpoint, dst: Endpoint, traffic: Traffic,
                  src_port: int = 41000) -> list[dict[str, Any]]:
    """The flows of one connection attempt under `verdict`."""
    b = _Builder(ctx, src, dst, traffic, src_port)
    src_node, dst_node = ctx.node_of(src), ctx.node_of(dst)
    for d, node in ((verdict.egress, src_node), (verdict.ingress, dst_node)):
        if d is None:
            continue
        b.policy_verdict(d, node)
        if d.outcome is Outcome.DROPPED:
            b.drop(d, node)
            return b.out
        if d.outcome is Outcome.L7_DENIED and traffic.http is not None:
            b.http(d, node, allowed=False)
            return b.out
    b.trace("TO_ENDPOINT" if dst.is_pod else "TO_STACK", dst_node if dst.is_pod else src_node)
    for d, node in ((verdict.egress, src_node), (verdict.ingress, dst_node)):
        if d is not None and d.l7 == "http" and traffic.http is not None:
            b.http(d, node, allowed=True)
            break
    b.trace("TO_ENDPOINT" if src.is_pod else "TO_STACK", src_node, reply=True, direction="INGRESS")
    return b.out


def dns_flows(ctx: FlowContext, verdict: Verdict, src: Endpoint, dns_server: Endpoint, name: str,
              rcode: str, ips: list[str]) -> list[dict[str, Any]]:
    """A DNS lookup: L3/L4 events, and the proxy's request/response records when it was proxied."""
    traffic = Traffic("UDP", 53, dns_name=name)
    egress = verdict.egress
    proxied = egress is not None and egress.l7 == "dns"
    if not proxied or verdict.outcome is Outcome.DROPPED:
        flows = attempt_flows(ctx, verdict, src, dns_server, traffic, src_port=53000)
        if verdict.outcome is Outcome.DROPPED or not proxied:
            return flows
    b = _Builder(ctx, src, dns_server, traffic, 53000)
    node = ctx.node_of(src)
    if egress is not None:
        b.policy_verdict(egress, node)
    qname = name.rstrip(".") + "."
    refused = verdict.outcome is Outcome.REFUSED
    b.emit({"Type": "L7", "event_type": {"type": 129}, "traffic_direction": "EGRESS",
            "verdict": "DROPPED" if refused else "FORWARDED",
            "l7": {"type": "REQUEST", "dns": {"query": qname, "observation_source": "proxy", "qtypes": ["A"]}}}, node)
    dns: dict[str, Any] = {"query": qname, "rcode": RCODES["REFUSED" if refused else rcode],
                           "observation_source": "proxy", "qtypes": ["A"], "rrtypes": ["A"] if ips else []}
    if ips and not refused:
        dns.update(ips=ips, ttl=30)
    b.emit({"Type": "L7", "event_type": {"type": 129}, "traffic_direction": "EGRESS",
            "l7": {"type": "RESPONSE", "dns": dns}}, node, reply=True)
    return b.out


__all__ += ["RESERVED_IDENTITY"]
