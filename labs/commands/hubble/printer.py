"""Print flows exactly as the hubble CLI does: compact, dict, table (tab), json/jsonpb.

Each format follows cilium/cilium `hubble/pkg/printer/printer.go` (`Printer.WriteProtoFlow` and the
helpers it calls: `GetHostNames`/`Hostname`, `fmtIdentity`, `GetFlowType`, `getVerdict`, `getSummary`),
reading the GetFlowsResponse JSON (proto names) that both backends produce. Colour is off (notebook
output is not a terminal), as with `--color never`. The `--print-policy-names` suffix follows
cilium/cilium PR #39453 (`ALLOWED BY name (Kind)`, joined with ", ").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any

from labs.commands.tabwriter import tabwrite
from labs.flows.checked import parse_time

__all__ = ["FlowPrinter", "OUTPUTS", "escape_terminal", "flow_type", "hostname", "identity_text", "stamp_milli"]

OUTPUTS = ("compact", "dict", "json", "jsonpb", "table", "tab")
"""`-o` values hubble accepts for flows (`json` is an alias of `jsonpb`; `tab` of `table`)."""

RESERVED_IDENTITY_NAMES = {1: "host", 2: "world", 3: "unmanaged", 4: "health", 5: "init", 6: "remote-node",
                           7: "kube-apiserver", 8: "ingress", 9: "world-ipv4", 10: "world-ipv6"}
"""cilium `pkg/identity/numericidentity.go` reservedIdentityNames: printed as `(world)` instead of `(ID:2)`."""

TRACE_POINTS = {0: "to-endpoint", 1: "to-proxy", 2: "to-host", 3: "to-stack", 4: "to-overlay", 5: "from-endpoint",
                6: "from-proxy", 7: "from-host", 8: "from-stack", 9: "from-overlay", 10: "from-network",
                11: "to-network"}
"""cilium `pkg/monitor/api/types.go` TraceObservationPoints, keyed by `event_type.sub_type`."""

DROP_REASONS = {130: "Invalid source mac", 131: "Invalid destination mac", 132: "Invalid source ip",
                133: "Policy denied", 134: "Invalid packet", 151: "Stale or unroutable IP",
                158: "Service backend not found", 181: "Policy denied by denylist", 189: "Authentication required"}
"""cilium `pkg/monitor/api/drop.go` errors: the drop reason text of a drop event's sub_type."""

POLICY_MATCH = {0: "none", 1: "L3-Only", 2: "L3-L4", 3: "L4-Only", 4: "all"}
"""cilium `pkg/monitor/api/types.go` PolicyMatchType.String()."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_L4_PORTED = ("TCP", "UDP", "SCTP")
DICT_SEPARATOR = "------------"
_GO_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029"))


def stamp_milli(value: Any) -> str:
    """Go's `time.StampMilli` ("Jan _2 15:04:05.000") of the flow time in UTC, or N/A (`fmtTimestamp`)."""
    if not isinstance(value, str) or not value:
        return "N/A"
    try:
        ts = parse_time(value)
    except ValueError:
        return "N/A"
    ts = ts.astimezone(timezone.utc)
    millis = _nanos(value) // 1_000_000
    return f"{_MONTHS[ts.month - 1]} {ts.day:>2} {ts:%H:%M:%S}.{millis:03d}"


def _nanos(value: str) -> int:
    """Fractional seconds of an RFC 3339 time as nanoseconds (Go truncates, never rounds, when formatting)."""
    dot = value.find(".")
    if dot < 0:
        return 0
    digits = ""
    for ch in value[dot + 1:]:
        if not ch.isdigit():
            break
        digits += ch
    return int((digits + "000000000")[:9]) if digits else 0


def escape_terminal(text: str) -> str:
    """`terminalEscaperWriter` (terminal.go): ESC becomes `^[` and CR `\\r`, so flow data cannot drive the terminal."""
    return text.replace("\x1b", "^[").replace("\r", "\\r")


def identity_text(identity: Any) -> str:
    """`fmtIdentity`: `(world)` for a reserved identity, `(ID:1234)` otherwise."""
    number = int(identity or 0)
    if number in RESERVED_IDENTITY_NAMES:
        return f"({RESERVED_IDENTITY_NAMES[number]})"
    return f"(ID:{number})"


def _ports(flow: dict[str, Any]) -> tuple[str, str]:
    """`GetPorts`: TCP/UDP/SCTP ports as text, empty for ICMP and flows without L4."""
    l4 = flow.get("l4") or {}
    for proto in _L4_PORTED:
        if proto in l4:
            body = l4[proto] or {}
            return str(int(body.get("source_port") or 0)), str(int(body.get("destination_port") or 0))
    return "", ""


def hostname(ip: str, port: str, namespace: str, pod: str, svc: str, names: list[str]) -> str:
    """`Printer.Hostname` with IP translation on (hubble's default): pod or service, else DNS names, else IP."""
    host = ip
    if pod:
        host = f"{namespace}/{pod}" if namespace else pod
    elif svc:
        host = f"{namespace}/{svc}" if namespace else svc
    elif names:
        host = ",".join(names)
    if port and port != "0":
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return host


def host_names(flow: dict[str, Any]) -> tuple[str, str]:
    """`GetHostNames`: source and destination as printed (Ethernet addresses when there is no IP layer)."""
    ip = flow.get("IP")
    if not ip:
        eth = flow.get("ethernet")
        if eth:
            return eth.get("source", ""), eth.get("destination", "")
        return "", ""
    src, dst = flow.get("source") or {}, flow.get("destination") or {}
    src_ns, dst_ns = src.get("namespace", ""), dst.get("namespace", "")
    src_svc = dst_svc = ""
    if flow.get("source_service"):
        src_ns, src_svc = flow["source_service"].get("namespace", ""), flow["source_service"].get("name", "")
    if flow.get("destination_service"):
        dst_ns = flow["destination_service"].get("namespace", "")
        dst_svc = flow["destination_service"].get("name", "")
    sport, dport = _ports(flow)
    return (hostname(ip.get("source", ""), sport, src_ns, src.get("pod_name", ""), src_svc,
                     flow.get("source_names") or []),
            hostname(ip.get("destination", ""), dport, dst_ns, dst.get("pod_name", ""), dst_svc,
                     flow.get("destination_names") or []))


def flow_type(flow: dict[str, Any]) -> str:
    """`GetFlowType`: `http-request`, `dns-response proxy`, `to-endpoint`, `Policy denied`,
    `policy-verdict:L3-L4 INGRESS`, or UNKNOWN."""
    l7 = flow.get("l7")
    if l7:
        kind = str(l7.get("type") or "UNKNOWN_L7_TYPE").lower()
        if "http" in l7:
            return f"http-{kind}"
        if "dns" in l7:
            return f"dns-{kind} {(l7.get('dns') or {}).get('observation_source', '')}"
        if "kafka" in l7:
            return f"kafka-{kind}"
        return f"l7-{kind}"
    event = flow.get("event_type") or {}
    etype, sub = int(event.get("type") or 0), int(event.get("sub_type") or 0)
    if etype == 4:
        return TRACE_POINTS.get(sub, str(sub))
    if etype == 1:
        return DROP_REASONS.get(sub, str(sub))
    if etype == 5:
        match = POLICY_MATCH.get(int(flow.get("policy_match_type") or 0), "unknown")
        return f"policy-verdict:{match} {flow.get('traffic_direction') or 'TRAFFIC_DIRECTION_UNKNOWN'}"
    return "UNKNOWN"


def _policy_names(policies: list[dict[str, Any]] | None) -> str:
    text = ""
    named = [p for p in policies or [] if p.get("kind") and p.get("name")]
    for i, policy in enumerate(named):
        text += " BY " if i == 0 else ", "
        text += f"{policy['name']} ({policy['kind']})"
    return text


def verdict_text(flow: dict[str, Any], policy_names: bool = False) -> str:
    """`getVerdict`: policy-verdict events say ALLOWED / DENIED / AUDITED, with policy names on request."""
    verdict = flow.get("verdict") or "VERDICT_UNKNOWN"
    is_policy_verdict = int((flow.get("event_type") or {}).get("type") or 0) == 5
    if not is_policy_verdict:
        return verdict
    direction = flow.get("traffic_direction")
    if verdict in ("FORWARDED", "REDIRECTED"):
        text = "ALLOWED"
        if policy_names:
            text += _policy_names(flow.get("egress_allowed_by" if direction == "EGRESS" else "ingress_allowed_by")
                                  if direction in ("EGRESS", "INGRESS") else None)
        return text
    if verdict in ("DROPPED", "ERROR"):
        text = "DENIED"
        if policy_names:
            text += _policy_names(flow.get("egress_denied_by" if direction == "EGRESS" else "ingress_denied_by")
                                  if direction in ("EGRESS", "INGRESS") else None)
        return text
    if verdict == "AUDIT":
        return "AUDITED"
    return verdict


def summary_text(flow: dict[str, Any]) -> str:
    """`getSummary`: the flow's Summary, with the IP trace ID and auth type when they are set."""
    text = ""
    trace = flow.get("ip_trace_id") or {}
    if isinstance(trace, dict) and int(trace.get("trace_id") or 0) > 0:
        text += f"IP Trace ID: {int(trace['trace_id'])}; "
    text += str(flow.get("Summary") or "")
    auth = flow.get("auth_type")
    if auth and auth != "DISABLED":
        text += f"; {auth}"
    return text


@dataclass
class FlowPrinter:
    """One `hubble observe` output stream; `write` returns the text for one response, `close` the rest."""

    output: str = "compact"
    node_name: bool = False
    policy_names: bool = False
    line: int = 0
    _rows: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.output = {"json": "jsonpb", "tab": "table"}.get(self.output, self.output)
        if self.output not in ("compact", "dict", "jsonpb", "table"):
            raise ValueError(f"invalid output format: {self.output}")

    def write(self, response: dict[str, Any]) -> str:
        flow = response.get("flow")
        if not isinstance(flow, dict):
            return ""
        text = getattr(self, f"_{self.output}")(response, flow)
        self.line += 1
        return text if self.output == "jsonpb" else escape_terminal(text)

    def close(self) -> str:
        """The table, which Go's tabwriter only writes once every row is known."""
        if not self._rows:
            return ""
        return tabwrite("".join("\t".join(escape_terminal(c) for c in row) + "\n" for row in self._rows),
                        minwidth=2, padding=3)

    def _jsonpb(self, response: dict[str, Any], flow: dict[str, Any]) -> str:
        """Go's json.Encoder over protojson: compact, and HTML-sensitive characters escaped (`&` -> \\u0026)."""
        text = json.dumps(response, separators=(",", ":"), ensure_ascii=False)
        for raw, escaped in _GO_JSON_ESCAPES:
            text = text.replace(raw, escaped)
        return text + "\n"

    def _compact(self, response: dict[str, Any], flow: dict[str, Any]) -> str:
        src, dst = host_names(flow)
        src_id = identity_text((flow.get("source") or {}).get("identity"))
        dst_id = identity_text((flow.get("destination") or {}).get("identity"))
        node = f" [{flow.get('node_name', '')}]" if self.node_name else ""
        is_reply = flow.get("is_reply")
        arrow = "->"
        if is_reply is None:
            arrow = "<>"
        elif is_reply:
            src, dst, src_id, dst_id, arrow = dst, src, dst_id, src_id, "<-"
        return (f"{stamp_milli(flow.get('time'))}{node}: {src} {src_id} {arrow} {dst} {dst_id} "
                f"{flow_type(flow)} {verdict_text(flow, self.policy_names)} ({summary_text(flow)})\n")

    def _dict(self, response: dict[str, Any], flow: dict[str, Any]) -> str:
        src, dst = host_names(flow)
        text = DICT_SEPARATOR + "\n" if self.line else ""
        text += f"  TIMESTAMP: {stamp_milli(flow.get('time'))}\n"
        if self.node_name:
            text += f"       NODE: {flow.get('node_name', '')}\n"
        return text + (f"     SOURCE: {src}\nDESTINATION: {dst}\n       TYPE: {flow_type(flow)}\n"
                       f"    VERDICT: {verdict_text(flow, self.policy_names)}\n    SUMMARY: {summary_text(flow)}\n")

    def _table(self, response: dict[str, Any], flow: dict[str, Any]) -> str:
        src, dst = host_names(flow)
        if not self._rows:
            self._rows.append(["TIMESTAMP", *(["NODE"] if self.node_name else []), "SOURCE", "DESTINATION", "TYPE",
                               "VERDICT", "SUMMARY"])
        self._rows.append([stamp_milli(flow.get("time")), *([flow.get("node_name", "")] if self.node_name else []),
                           src, dst, flow_type(flow), verdict_text(flow, self.policy_names), summary_text(flow)])
        return ""
