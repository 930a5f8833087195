"""The validating path of flow parsing: every field checked, a bad one named in a FlowParseError.

It takes whatever the fast paths (`labs.flows.typedpath`, `labs.flows.fastpath`) step aside for:
legacy bare flows, odd but valid shapes, and values of the wrong type, which it reports by field.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from types import MappingProxyType
from typing import Any

from labs.flows.model import L4, L7, DnsInfo, Endpoint, Flow, HttpInfo, PolicyRef

__all__ = ["FlowParseError", "checked_flow", "parse_time"]

_new = object.__new__


class FlowParseError(ValueError):
    """A JSON value that is not a Hubble flow; the message names the field and what was expected."""


def checked_flow(obj: dict[str, Any]) -> Flow:
    """`parse_flow` without the fast paths: every field checked, a bad one named in a FlowParseError.

    Used for whatever the fast paths do not take, and by the tests that hold the paths equal.
    """
    if type(obj) is not dict:
        raise FlowParseError(f"expected a JSON object, got {type(obj).__name__} {_short(obj)}")
    inner = obj.get("flow")
    envelope_extra: dict[str, Any] = {}
    if inner is not None:
        if type(inner) is not dict:
            raise FlowParseError(f"field 'flow' must be an object, got {type(inner).__name__} {_short(inner)}")
        for key in obj:
            if key not in _ENVELOPE_KEYS:
                envelope_extra["response." + key] = obj[key]
        flow = inner
        if "node_name" not in flow and "node_name" in obj:
            flow = {**flow, "node_name": obj["node_name"]}
        if "time" not in flow and "time" in obj:
            flow = {**flow, "time": obj["time"]}
        where = "flow."
    else:
        if not any(key in obj for key in _FLOW_MARKERS):
            keys = ", ".join(sorted(obj)[:6]) or "none"
            raise FlowParseError(
                "the object is neither a GetFlowsResponse with a 'flow' key nor a bare flow "
                f"(keys: {keys}); expected `hubble observe -o jsonpb` output"
            )
        flow = obj
        where = ""
    return _flow(flow, where, envelope_extra)


_ENVELOPE_KEYS = frozenset({"flow", "node_name", "time"})
_FLOW_MARKERS = ("verdict", "source", "destination", "IP", "l4", "Type", "event_type")


def _flow(flow: dict[str, Any], where: str, extra: dict[str, Any]) -> Flow:
    get = flow.get
    unknown = flow.keys() - _FLOW_KEYS
    if unknown:
        for key in unknown:
            extra[key] = flow[key]

    value = get("time")
    time = parse_time(value, where + "time") if value is not None else None

    event = get("event_type")
    event_type = event_subtype = None
    if event is not None:
        if type(event) is not dict:
            raise _wrong(where + "event_type", event, "an object like {'type': 4}")
        event_type = _opt_int(event.get("type"), where, "event_type.type")
        event_subtype = _opt_int(event.get("sub_type"), where, "event_type.sub_type")

    is_reply = get("is_reply")
    if is_reply is None:
        is_reply = get("reply")
    if is_reply is not None and type(is_reply) is not bool:
        raise _wrong(where + "is_reply", is_reply, "true or false")

    ip = get("IP")
    source_ip = destination_ip = None
    if ip is not None:
        if type(ip) is not dict:
            raise _wrong(where + "IP", ip, "an object with 'source' and 'destination'")
        source_ip = _opt_str(ip.get("source"), where, "IP.source")
        destination_ip = _opt_str(ip.get("destination"), where, "IP.destination")
        if len(ip) > 2:  # ipVersion, encrypted, source_xlated: kept as Hubble gave them
            extra["IP"] = ip

    source = _endpoint(get("source"), source_ip, get("source_names"), where + "source", extra)
    destination = _endpoint(get("destination"), destination_ip, get("destination_names"), where + "destination", extra)

    values: dict[str, Any] = {
        "time": time,
        "verdict": _opt_str(get("verdict"), where, "verdict") or "VERDICT_UNKNOWN",
        "drop_reason": _opt_str(get("drop_reason_desc"), where, "drop_reason_desc"),
        "type": _opt_str(get("Type"), where, "Type") or "UNKNOWN_TYPE",
        "event_type": event_type,
        "event_subtype": event_subtype,
        "direction": _direction(get("traffic_direction"), where),
        "is_reply": is_reply,
        "source": source,
        "destination": destination,
        "l4": _l4(get("l4"), where + "l4"),
        "l7": _l7(get("l7"), where + "l7"),
        "node_name": _opt_str(get("node_name"), where, "node_name"),
        "summary": _opt_str(get("Summary"), where, "Summary"),
        "trace_observation_point": _opt_str(get("trace_observation_point"), where, "trace_observation_point"),
        "uuid": _opt_str(get("uuid"), where, "uuid"),
        "extra": MappingProxyType(extra) if extra else _NO_EXTRA,
    }
    for key in _POLICY_KEYS:
        refs = get(key)
        values[key] = _policies(refs, where + key) if refs else ()
    result = _new(Flow)
    result.__dict__.update(values)  # frozen dataclass: fill it in one step instead of field by field
    return result


_NO_EXTRA: MappingProxyType[str, Any] = MappingProxyType({})
_POLICY_KEYS = ("ingress_allowed_by", "egress_allowed_by", "ingress_denied_by", "egress_denied_by")
_FLOW_KEYS = frozenset(
    {
        "time",
        "verdict",
        "drop_reason_desc",
        "Type",
        "event_type",
        "traffic_direction",
        "is_reply",
        "reply",
        "IP",
        "l4",
        "l7",
        "source",
        "destination",
        "source_names",
        "destination_names",
        "node_name",
        "Summary",
        "trace_observation_point",
        "uuid",
        *_POLICY_KEYS,
    }
)


def _direction(value: Any, where: str) -> str | None:
    if value is None or value == "TRAFFIC_DIRECTION_UNKNOWN":
        return None
    if type(value) is not str:
        raise _wrong(where + "traffic_direction", value, "INGRESS or EGRESS")
    return value


_ENDPOINT_KEYS = frozenset({"ID", "identity", "namespace", "labels", "pod_name", "workloads", "cluster_name"})
_endpoint_cache: dict[tuple[Any, ...], tuple[Any, ...]] = {}
"""(ID, identity, pod, IP, names, types of ID and identity) -> (Endpoint, labels, namespace, workloads,
cluster): most flows repeat endpoints."""


def _endpoint(obj: Any, ip: str | None, names: Any, where: str, extra: dict[str, Any]) -> Endpoint:
    if obj is None:
        obj = {}
    elif type(obj) is not dict:
        raise _wrong(where, obj, "an object (a Hubble Endpoint)")
    labels = obj.get("labels")
    if labels is None:
        labels = []
    elif type(labels) is not list:
        raise _wrong(where + ".labels", labels, "a list of strings like 'k8s:app=api'")
    if names:
        if type(names) is not list or not all(type(n) is str for n in names):
            raise _wrong(where + "_names", names, "a list of names")
        names = tuple(n.lower().rstrip(".") for n in names)
    else:
        names = ()
    workloads = obj.get("workloads")
    namespace = obj.get("namespace")
    endpoint_id, identity = obj.get("ID"), obj.get("identity")
    # the types too: 101.0 and True are equal to whole numbers but must be reported
    key = (endpoint_id, identity, obj.get("pod_name"), ip, names, type(endpoint_id), type(identity))
    if len(obj) > 6 or not obj.keys() <= _ENDPOINT_KEYS:
        for k in obj.keys() - _ENDPOINT_KEYS:
            extra[f"{where.rsplit('.', 1)[-1]}.{k}"] = obj[k]
    try:
        cached = _endpoint_cache.get(key)
    except TypeError:  # an unhashable value where a scalar belongs; the checks below name it
        cached = None
    if (cached is not None and cached[1] == labels and cached[2] == namespace and cached[3] == workloads
            and cached[4] == obj.get("cluster_name")):
        return cached[0]
    for text in labels:
        if type(text) is not str:
            raise _wrong(where + ".labels", text, "strings like 'k8s:app=api'")
    pairs: tuple[tuple[str, str], ...] = ()
    if workloads:
        if type(workloads) is not list or not all(type(w) is dict for w in workloads):
            raise _wrong(where + ".workloads", workloads, "a list of {'name': ..., 'kind': ...} objects")
        pairs = tuple((str(w.get("name", "")), str(w.get("kind", ""))) for w in workloads)
    endpoint = _new(Endpoint)
    endpoint.__dict__.update(
        namespace=_opt_str(namespace, where, ".namespace"),
        pod_name=_opt_str(obj.get("pod_name"), where, ".pod_name"),
        labels=tuple(labels),
        identity=_opt_int(obj.get("identity"), where, ".identity"),
        ip=ip,
        names=names,
        workloads=pairs,
        endpoint_id=_opt_int(obj.get("ID"), where, ".ID"),
        cluster_name=_opt_str(obj.get("cluster_name"), where, ".cluster_name"),
    )
    if len(_endpoint_cache) > 50_000:
        _endpoint_cache.clear()
    with contextlib.suppress(TypeError):
        # copies, so that a caller changing its dicts later cannot make a stale entry match
        copied = [dict(w) for w in workloads] if workloads else workloads
        _endpoint_cache[key] = (endpoint, list(labels), namespace, copied, obj.get("cluster_name"))
    return endpoint


_PORTED = ("TCP", "UDP", "SCTP")


def _l4(obj: Any, where: str) -> L4 | None:
    if obj is None:
        return None
    if type(obj) is not dict:
        raise _wrong(where, obj, "an object such as {'TCP': {...}}")
    for protocol, body in obj.items():
        if type(body) is not dict:
            raise _wrong(f"{where}.{protocol}", body, "an object")
        if protocol in _PORTED:
            flags: tuple[str, ...] = ()
            raw_flags = body.get("flags")
            if raw_flags:
                if type(raw_flags) is not dict:
                    raise _wrong(f"{where}.{protocol}.flags", raw_flags, "an object like {'SYN': true}")
                flags = tuple(name for name, on in raw_flags.items() if on is True)
            l4 = _new(L4)
            l4.__dict__.update(
                protocol=protocol,
                source_port=_opt_int(body.get("source_port"), where, "." + protocol + ".source_port"),
                destination_port=_opt_int(body.get("destination_port"), where, "." + protocol + ".destination_port"),
                flags=flags,
                icmp_type=None,
                icmp_code=None,
            )
            return l4
        return L4(
            protocol,
            icmp_type=_opt_int(body.get("type"), f"{where}.{protocol}.type"),
            icmp_code=_opt_int(body.get("code"), f"{where}.{protocol}.code"),
        )
    return None


def _l7(obj: Any, where: str) -> L7 | None:
    if obj is None:
        return None
    if type(obj) is not dict:
        raise _wrong(where, obj, "an object with 'http' or 'dns'")
    http = dns = None
    body = obj.get("http")
    if body is not None:
        if type(body) is not dict:
            raise _wrong(where + ".http", body, "an object")
        headers = body.get("headers") or ()
        if type(headers) not in (list, tuple) or not all(type(h) is dict for h in headers):
            raise _wrong(where + ".http.headers", headers, "a list of {'key': ..., 'value': ...} objects")
        http = HttpInfo(
            method=_opt_str(body.get("method"), where, ".http.method"),
            url=_opt_str(body.get("url"), where, ".http.url"),
            code=_opt_int(body.get("code"), where, ".http.code"),
            protocol=_opt_str(body.get("protocol"), where, ".http.protocol"),
            headers=tuple((str(h.get("key", "")), str(h.get("value", ""))) for h in headers),
        )
    body = obj.get("dns")
    if body is not None:
        if type(body) is not dict:
            raise _wrong(where + ".dns", body, "an object")
        query = _opt_str(body.get("query"), where, ".dns.query")
        dns = DnsInfo(
            query=query.lower().rstrip(".") if query else query,
            rcode=_opt_int(body.get("rcode"), where, ".dns.rcode"),
            ips=_str_tuple(body.get("ips"), where + ".dns.ips"),
            qtypes=_str_tuple(body.get("qtypes"), where + ".dns.qtypes"),
            observation_source=_opt_str(body.get("observation_source"), where, ".dns.observation_source"),
        )
    latency = obj.get("latency_ns")
    return L7(
        type=_opt_str(obj.get("type"), where, ".type"),
        http=http,
        dns=dns,
        latency_ns=_opt_int(latency, where, ".latency_ns") if latency is not None else None,
    )


def _policies(refs: Any, where: str) -> tuple[PolicyRef, ...]:
    if type(refs) is not list:
        raise _wrong(where, refs, "a list of policy objects")
    result = []
    for index, ref in enumerate(refs):
        if type(ref) is not dict or not isinstance(ref.get("name"), str):
            raise _wrong(f"{where}[{index}]", ref, "an object with a 'name'")
        result.append(
            PolicyRef(
                ref["name"],
                _opt_str(ref.get("namespace"), f"{where}[{index}].namespace") or None,
                _opt_str(ref.get("kind"), f"{where}[{index}].kind") or None,
            )
        )
    return tuple(result)


_seconds: dict[str, datetime] = {}


def parse_time(value: Any, where: str = "time") -> datetime:
    """RFC 3339 with up to nanoseconds and `Z` (Hubble's form) -> an aware datetime, on Python 3.10 too."""
    if type(value) is not str:
        raise _wrong(where, value, "an RFC 3339 time string")
    if len(value) == 30 and value[19] == "." and value[29] == "Z" and value[20:29].isascii() and value[20:29].isdigit():
        # Hubble's usual form, YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ: one full parse per second of traffic
        base = _seconds.get(value[:19])
        if base is None:
            if len(_seconds) > 10_000:
                _seconds.clear()
            try:
                base = _seconds[value[:19]] = parse_time(value[:19] + "Z", where)
            except FlowParseError:
                raise _wrong(where, value, "an RFC 3339 time such as '2024-05-01T10:00:00.123456789Z'") from None
        return base.replace(microsecond=int(value[20:26]))
    text = value
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dot = text.find(".")
    if dot > 0:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        digits = text[dot + 1 : end]
        text = text[: dot + 1] + (digits + "000000")[:6] + text[end:]
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _wrong(where, value, "an RFC 3339 time such as '2024-05-01T10:00:00.123456789Z'") from None


def _opt_str(value: Any, where: str, key: str = "") -> str | None:
    """`where + key` names the field; it is only joined when the value is wrong (this runs a million times)."""
    if value is None or type(value) is str:
        return value
    raise _wrong(where + key, value, "a string")


def _opt_int(value: Any, where: str, key: str = "") -> int | None:
    if value is None:
        return None
    kind = type(value)
    if kind is int:
        return value
    if kind is str and value.isascii() and value.isdigit():  # protojson prints uint64 as a string
        return int(value)
    raise _wrong(where + key, value, "a whole number")


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if not value:
        return ()
    if type(value) is not list or not all(type(v) is str for v in value):
        raise _wrong(where, value, "a list of strings")
    return tuple(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _wrong(where: str, value: Any, expected: str) -> FlowParseError:
    return FlowParseError(f"field {where!r} is {_short(value)}, expected {expected}")
