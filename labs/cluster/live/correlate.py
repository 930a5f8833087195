"""Attach Hubble flows to the probe that caused them, and let the flows say why a probe ended as it did.

A `dropped` probe whose flows carry `DROPPED` with `POLICY_DENIED` (no rule allows it) or `POLICY_DENY`
(a deny rule matched) is attributed to that, and to the policies named in the policy-verdict event
(`ingress_denied_by` / `egress_denied_by`). An `error` gets the drop reason Hubble reports (not a
policy one) or the TCP reset that refused it. A lookup the DNS proxy refused turns the probe `refused`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from labs.cluster.live.classify import Classified
from labs.outcomes import Outcome

__all__ = ["Endpoints", "flows_for", "attribute", "policy_names"]

POLICY_DROPS = ("POLICY_DENIED", "POLICY_DENY")


@dataclass(frozen=True)
class Endpoints:
    """What identifies a probe's traffic in flows."""

    source_namespace: str
    source_pod: str
    source_ips: frozenset[str] = frozenset()
    dest_ips: frozenset[str] = frozenset()
    dest_pods: frozenset[str] = frozenset()
    """`ns/name` of destination pods (the backends of a Service)."""
    port: int | None = None
    dns_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _pod(ep: dict[str, Any] | None) -> str | None:
    if ep and ep.get("pod_name"):
        return f"{ep.get('namespace', '')}/{ep['pod_name']}"
    return None


def _ports(flow: dict[str, Any]) -> tuple[int | None, int | None]:
    l4 = flow.get("l4") or {}
    for proto in ("TCP", "UDP", "SCTP"):
        if proto in l4:
            return l4[proto].get("source_port"), l4[proto].get("destination_port")
    return None, None


def _is_source(ep_pod: str | None, ip: str | None, ends: Endpoints) -> bool:
    return ep_pod == f"{ends.source_namespace}/{ends.source_pod}" or (ip is not None and ip in ends.source_ips)


def _is_dest(ep_pod: str | None, ip: str | None, ends: Endpoints) -> bool:
    return (ep_pod is not None and ep_pod in ends.dest_pods) or (ip is not None and ip in ends.dest_ips)


def _query_matches(query: str, name: str) -> bool:
    q = query.lower().rstrip(".")
    n = name.lower().rstrip(".")
    return q == n or q.startswith(n + ".")


def flows_for(flows: Iterable[dict[str, Any]], ends: Endpoints) -> list[dict[str, Any]]:
    """The flows (both directions) between the probe's source and its destination, or its DNS lookups."""
    picked = []
    for obj in flows:
        flow = obj.get("flow") or {}
        ip = flow.get("IP") or {}
        src_pod, dst_pod = _pod(flow.get("source")), _pod(flow.get("destination"))
        src_ip, dst_ip = ip.get("source"), ip.get("destination")
        sport, dport = _ports(flow)
        if ends.dns_name is not None:
            dns = (flow.get("l7") or {}).get("dns")
            from_me = _is_source(src_pod, src_ip, ends) or _is_source(dst_pod, dst_ip, ends)
            asked = bool(dns and _query_matches(str(dns.get("query", "")), ends.dns_name))
            if from_me and (asked or (not dns and 53 in (sport, dport))):
                picked.append(obj)
            continue
        fqdn = ends.extra.get("fqdn")
        if fqdn and (_is_source(src_pod, src_ip, ends) or _is_source(dst_pod, dst_ip, ends)):
            dns = (flow.get("l7") or {}).get("dns")
            names = flow.get("destination_names") or []
            if (dns and _query_matches(str(dns.get("query", "")), fqdn)) or any(
                    _query_matches(str(n), fqdn) for n in names):
                picked.append(obj)
                continue
        forward = _is_source(src_pod, src_ip, ends) and _is_dest(dst_pod, dst_ip, ends)
        backward = _is_source(dst_pod, dst_ip, ends) and _is_dest(src_pod, src_ip, ends)
        if ends.port is not None and (forward or backward):
            want = dport if forward else sport
            if want is not None and want != ends.port and not ends.extra.get("any_port"):
                continue
        if forward or backward:
            picked.append(obj)
    return picked


def policy_names(flow: dict[str, Any], key_suffix: str) -> list[str]:
    """`Kind ns/name` for each policy in `ingress_<suffix>` / `egress_<suffix>` of a policy-verdict flow."""
    names = []
    for direction in ("ingress", "egress"):
        for pol in flow.get(f"{direction}_{key_suffix}") or []:
            kind = pol.get("kind") or "policy"
            where = f"{pol['namespace']}/{pol.get('name', '')}" if pol.get("namespace") else pol.get("name", "")
            text = f"{kind} {where}".strip()
            if text not in names:
                names.append(text)
    return names


def _drops(flows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o["flow"] for o in flows if (o.get("flow") or {}).get("verdict") == "DROPPED"]


def attribute(found: Classified, flows: list[dict[str, Any]], ends: Endpoints) -> Classified:
    """Refine the reason (and, for a lookup the DNS proxy refused, the outcome) from the probe's flows."""
    detail = dict(found.detail)
    drops = _drops(flows)
    policy_drops = [f for f in drops if f.get("drop_reason_desc") in POLICY_DROPS]
    denied_by = [n for f in flows for n in policy_names(f.get("flow") or {}, "denied_by")]
    allowed_by = [n for f in flows for n in policy_names(f.get("flow") or {}, "allowed_by")]
    if allowed_by:
        detail["allowed_by"] = sorted(set(allowed_by))
    if found.outcome is Outcome.DROPPED and policy_drops:
        first = policy_drops[0]
        why = first["drop_reason_desc"]
        direction = str(first.get("traffic_direction", "")).lower() or "unknown direction"
        node = first.get("node_name") or ""
        names = sorted(set(denied_by))
        detail.update(drop_reason=why, denied_by=names, drop_direction=direction)
        if names:
            by = f"by {', '.join(names)}"
        elif why == "POLICY_DENIED":
            by = "because no policy allows it (default deny)"
        else:
            by = "by a deny rule"
        at = f" at {direction}" + (f" on {node}" if node else "")
        return replace(found, reason=f"{found.reason}; Hubble: DROPPED ({why}){at}, {by}", detail=detail)
    if found.outcome is Outcome.DROPPED:
        return replace(found, reason=f"{found.reason}; Hubble shows no policy drop for this traffic"
                       + (" (maybe the destination does not answer)" if flows else " (no flows seen)"),
                       detail=detail)
    if found.outcome is Outcome.ERROR:
        # L7 flows never carry drop_reason_desc; only L3/L4 drops with a reason say something here.
        other = [f for f in drops if f.get("drop_reason_desc") and f["drop_reason_desc"] not in POLICY_DROPS]
        if other:
            why = other[0].get("drop_reason_desc") or "unknown reason"
            detail["drop_reason"] = why
            return replace(found, reason=f"{found.reason}; Hubble: DROPPED for {why} (not a policy verdict)",
                           detail=detail)
        if ends.dns_name is None:
            for obj in flows:
                flow = obj.get("flow") or {}
                l7 = flow.get("l7") or {}
                dns = l7.get("dns") or {}
                if dns.get("rcode") == 5:
                    detail["rcode"] = "REFUSED"
                    return Classified(Outcome.REFUSED, f"the DNS proxy answered REFUSED for {dns.get('query')!r}, "
                                      f"so no connection was tried ({found.reason})", detail)
            for obj in flows:
                flags = (((obj.get("flow") or {}).get("l4") or {}).get("TCP") or {}).get("flags") or {}
                if flags.get("RST") and _is_dest(_pod((obj.get("flow") or {}).get("source")),
                                                 ((obj.get("flow") or {}).get("IP") or {}).get("source"), ends):
                    return replace(found, reason=f"{found.reason}; Hubble: the destination answered with a TCP "
                                   "reset (no process listens on that port)", detail=detail)
    if found.outcome is Outcome.L7_DENIED:
        for obj in flows:
            flow = obj.get("flow") or {}
            http = (flow.get("l7") or {}).get("http")
            if http and flow.get("verdict") == "DROPPED":
                detail["l7_flow"] = flow.get("Summary") or f"{http.get('method')} {http.get('url')}"
                return replace(found, reason=f"{found.reason}; Hubble: L7 request {http.get('method')} "
                               f"{http.get('url')} DROPPED by the HTTP rules", detail=detail)
    if allowed_by and found.outcome is Outcome.ALLOWED:
        return replace(found, reason=f"{found.reason}; allowed by {', '.join(sorted(set(allowed_by)))}",
                       detail=detail)
    return replace(found, detail=detail)
