"""Flows as text: one readable line per flow (like `hubble observe` compact output), or a normalised dict."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from labs.flows.classify import FlowOutcome, classify
from labs.flows.model import Endpoint, Flow, PolicyRef

__all__ = ["flow_line", "flow_to_dict", "endpoint_text", "POLICY_VERDICT_EVENT"]

POLICY_VERDICT_EVENT = 5
"""Hubble's monitor message type of a policy verdict notification (a drop is 1, a trace 4)."""


def endpoint_text(endpoint: Endpoint, port: int | None = None) -> str:
    """`frontend/client-7d9f:41234`, `api.github.com:443`, `world 1.1.1.1:443`, `host`."""
    text = endpoint.describe()
    if port is not None:
        if endpoint.pod_name is None and endpoint.ip and not endpoint.names and "world" not in endpoint.reserved:
            text = f"{text} {endpoint.ip}"
        text += f":{port}"
    return text


def _what(flow: Flow) -> str:
    l7 = flow.l7
    if l7 is not None:
        kind = (l7.type or "").lower() or "event"
        if l7.http is not None:
            http = l7.http
            parts = [f"http-{kind}"]
            if http.code is not None:
                parts.append(str(http.code))
            if http.method:
                parts.append(http.method)
            if http.url:
                parts.append(http.url)
            return " ".join(parts)
        if l7.dns is not None:
            dns = l7.dns
            text = f"dns-{kind} {'/'.join(dns.qtypes) + ' ' if dns.qtypes else ''}{dns.query or ''}".rstrip()
            if dns.rcode:
                text += f" rcode {dns.rcode}"
            if dns.ips:
                text += f" -> {', '.join(dns.ips)}"
            return text
    l4 = flow.l4
    if l4 is None:
        return flow.type
    if l4.flags:
        return f"{l4.protocol} {'+'.join(l4.flags)}"
    if l4.icmp_type is not None:
        return f"{l4.protocol} type {l4.icmp_type}"
    return l4.protocol


def flow_line(flow: Flow) -> str:
    """One line: time, source -> destination, what, verdict, and why (drop reason or deciding policy)."""
    time = flow.time.strftime("%H:%M:%S.%f")[:-3] if flow.time else "--:--:--.---"
    l4 = flow.l4
    source = endpoint_text(flow.source, l4.source_port if l4 else None)
    destination = endpoint_text(flow.destination, l4.destination_port if l4 else None)
    outcome = classify(flow)
    # Hubble reports a decided connection twice, as a policy verdict and as the drop (or trace) itself;
    # `hubble observe` tells them apart, and so does this line
    event = "policy-verdict " if flow.event_type == POLICY_VERDICT_EVENT else ""
    text = f"{time} {source} -> {destination} {_what(flow)} {event}{flow.verdict}"
    if flow.is_reply:
        text += " (reply)"
    if outcome not in (FlowOutcome.FORWARDED, FlowOutcome.ERROR) or flow.drop_reason:
        text += f" [{outcome.value}" + (f", {flow.drop_reason}" if flow.drop_reason else "") + "]"
    refs = flow.denied_by if flow.verdict in ("DROPPED", "AUDIT") else flow.allowed_by
    if refs:
        text += " by " + ", ".join(str(r) for r in refs)
    return text


def _policies(refs: tuple[PolicyRef, ...]) -> list[dict[str, Any]]:
    return [asdict(ref) for ref in refs]


def _endpoint(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "namespace": endpoint.namespace,
        "pod_name": endpoint.pod_name,
        "workload": endpoint.workload,
        "labels": list(endpoint.labels),
        "identity": endpoint.identity,
        "ip": endpoint.ip,
        "names": list(endpoint.names),
        "workloads": [{"name": name, "kind": kind} for name, kind in endpoint.workloads],
        "endpoint_id": endpoint.endpoint_id,
        "reserved": list(endpoint.reserved),
    }


def flow_to_dict(flow: Flow) -> dict[str, Any]:
    """A JSON-ready, normalised view of a flow (the shape `python -m labs flows --json` prints)."""
    l4 = asdict(flow.l4) if flow.l4 else None
    if l4 is not None:
        l4["flags"] = list(l4["flags"])
    l7: dict[str, Any] | None = None
    if flow.l7 is not None:
        l7 = {"type": flow.l7.type, "latency_ns": flow.l7.latency_ns, "http": None, "dns": None}
        if flow.l7.http is not None:
            http = flow.l7.http
            l7["http"] = {"method": http.method, "url": http.url, "path": http.path, "code": http.code,
                          "protocol": http.protocol, "headers": [{"key": k, "value": v} for k, v in http.headers]}
        if flow.l7.dns is not None:
            dns = flow.l7.dns
            l7["dns"] = {"query": dns.query, "rcode": dns.rcode, "ips": list(dns.ips), "qtypes": list(dns.qtypes),
                         "observation_source": dns.observation_source}
    return {
        "time": flow.time.isoformat().replace("+00:00", "Z") if flow.time else None,
        "verdict": flow.verdict,
        "outcome": classify(flow).value,
        "drop_reason": flow.drop_reason,
        "type": flow.type,
        "event_type": flow.event_type,
        "event_subtype": flow.event_subtype,
        "direction": flow.direction,
        "is_reply": flow.is_reply,
        "source": _endpoint(flow.source),
        "destination": _endpoint(flow.destination),
        "l4": l4,
        "l7": l7,
        "ingress_allowed_by": _policies(flow.ingress_allowed_by),
        "egress_allowed_by": _policies(flow.egress_allowed_by),
        "ingress_denied_by": _policies(flow.ingress_denied_by),
        "egress_denied_by": _policies(flow.egress_denied_by),
        "node_name": flow.node_name,
        "summary": flow.summary,
        "trace_observation_point": flow.trace_observation_point,
        "uuid": flow.uuid,
        "extra": dict(flow.extra),
    }
