"""The fast path of flow parsing: well-formed `GetFlowsResponse` objects straight to Flow objects.

The benchmark (`benchmarks/flows.py`) aims at parsing costing at most the JSON decoding again, a few
microseconds per flow. This path checks every value it reads, but inline and without building
error messages: on the first surprise (a wrong type, an empty or multi-protocol L4, an odd time, a
legacy bare flow) it returns None and the caller runs the validating path in `labs.flows.parse`, which
either parses the odd shape or names the bad field. Both paths give equal Flow objects; the
tests check that on the sample files and on generated flows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from labs.flows.model import L4, L7, DnsInfo, Endpoint, Flow, HttpInfo, PolicyRef

__all__ = ["fast_flow"]

_new = object.__new__
_set = object.__setattr__
_NO_EXTRA: MappingProxyType[str, Any] = MappingProxyType({})
_ENVELOPE_KEYS = frozenset({"flow", "node_name", "time"})
_POLICY_KEYS = ("ingress_allowed_by", "egress_allowed_by", "ingress_denied_by", "egress_denied_by")
_FLOW_KEYS = frozenset(
    {
        "time", "verdict", "drop_reason_desc", "Type", "event_type", "traffic_direction", "is_reply", "reply",
        "IP", "l4", "l7", "source", "destination", "source_names", "destination_names", "node_name", "Summary",
        "trace_observation_point", "uuid", *_POLICY_KEYS,
    }
)
_ENDPOINT_KEYS = frozenset({"ID", "identity", "namespace", "labels", "pod_name", "workloads", "cluster_name"})
_PORTED = frozenset({"TCP", "UDP", "SCTP"})
_NO_ENDPOINT: dict[str, Any] = {}
_FLOW_TEMPLATE: dict[str, Any] = {
    name: None for name in Flow.__dataclass_fields__  # every field, in declaration order
}
_FLOW_TEMPLATE.update({"extra": _NO_EXTRA, "ingress_allowed_by": (), "egress_allowed_by": (),
                       "ingress_denied_by": (), "egress_denied_by": ()})


_MILLIS = [timedelta(milliseconds=n) for n in range(1000)]
_MICROS = [timedelta(microseconds=n) for n in range(1000)]
_seconds: dict[str, datetime] = {}
"""`YYYY-MM-DDTHH:MM:SS` -> aware datetime: one full parse per second of traffic."""
_endpoints: dict[tuple[Any, ...], tuple[Any, ...]] = {}
"""(ID, identity, pod, namespace, IP, cluster) as read -> (Endpoint, labels, workloads, names, type of ID,
type of identity), the values as they were read."""
_policies: dict[tuple[Any, ...], PolicyRef] = {}
"""(name, namespace, kind) -> PolicyRef: a lab names a handful of policies in thousands of flows."""


class _Surprise(Exception):
    """Raised inside the fast path; never leaves this module."""


def fast_flow(obj: dict[str, Any]) -> Flow | None:
    """A Flow from a well-formed GetFlowsResponse dict, or None when the validating path must decide."""
    try:
        return _flow(obj)
    except (_Surprise, TypeError, ValueError, AttributeError):
        # TypeError: an unhashable value used as a cache key; ValueError/AttributeError: a value of
        # a shape this path does not expect. The validating path reports or handles all of them.
        return None


def _flow(obj: dict[str, Any]) -> Flow | None:
    flow = obj.get("flow")
    if type(flow) is not dict:
        return None
    extra: dict[str, Any] = {}
    if not _ENVELOPE_KEYS.issuperset(obj):
        for key in obj:
            if key not in _ENVELOPE_KEYS:
                extra["response." + key] = obj[key]
    if not _FLOW_KEYS.issuperset(flow):
        for key in flow:
            if key not in _FLOW_KEYS:
                extra[key] = flow[key]
    get = flow.get

    time = flow["time"] if "time" in flow else obj.get("time")
    if time is not None:
        if type(time) is str and len(time) == 30 and time[29] == "Z" and time[19] == ".":
            digits = time[20:29]  # Hubble's usual form, nanoseconds
            if not (digits.isdigit() and digits.isascii()) or time[10] != "T":
                return None
            base = _seconds.get(time[:19])
            if base is None:
                base = _second(time[:19])
            time = base + _MILLIS[int(digits[:3])] + _MICROS[int(digits[3:6])]
        else:
            time = _other_time(time)

    event = get("event_type")
    event_type = event_subtype = None
    if event is not None:
        if type(event) is not dict:
            return None
        event_type = event.get("type")
        if event_type is not None and type(event_type) is not int:
            event_type = _int(event_type)
        event_subtype = event.get("sub_type")
        if event_subtype is not None and type(event_subtype) is not int:
            event_subtype = _int(event_subtype)

    is_reply = get("is_reply")
    if is_reply is None:
        is_reply = get("reply")
    if is_reply is not None and type(is_reply) is not bool:
        return None

    ip = get("IP")
    source_ip = destination_ip = None
    if ip is not None:
        if type(ip) is not dict:
            return None
        source_ip = ip.get("source")
        destination_ip = ip.get("destination")
        if (source_ip is not None and type(source_ip) is not str) or (
            destination_ip is not None and type(destination_ip) is not str
        ):
            return None
        if len(ip) > 2:
            extra["IP"] = ip

    source = _endpoint(get("source"), source_ip, get("source_names"), "source.", extra)
    destination = _endpoint(get("destination"), destination_ip, get("destination_names"), "destination.", extra)

    verdict = get("verdict")
    drop_reason = get("drop_reason_desc")
    kind = get("Type")
    node_name = flow["node_name"] if "node_name" in flow else obj.get("node_name")
    summary = get("Summary")
    point = get("trace_observation_point")
    uuid = get("uuid")
    for text in (verdict, drop_reason, kind, node_name, summary, point, uuid):
        if text is not None and type(text) is not str:
            return None
    direction = get("traffic_direction")
    if direction is not None:
        if type(direction) is not str:
            return None
        if direction == "TRAFFIC_DIRECTION_UNKNOWN":
            direction = None

    l4 = get("l4")
    if l4 is not None:
        l4 = _l4(l4)
    l7 = get("l7")
    if l7 is not None:
        l7 = _l7(l7)

    result = _new(Flow)  # a frozen dataclass, filled through its __dict__: defaults first, then the values
    values = result.__dict__
    values.update(_FLOW_TEMPLATE)
    values["time"] = time
    values["verdict"] = verdict or "VERDICT_UNKNOWN"
    values["drop_reason"] = drop_reason
    values["type"] = kind or "UNKNOWN_TYPE"
    values["event_type"] = event_type
    values["event_subtype"] = event_subtype
    values["direction"] = direction
    values["is_reply"] = is_reply
    values["source"] = source
    values["destination"] = destination
    values["l4"] = l4
    values["l7"] = l7
    values["node_name"] = node_name
    values["summary"] = summary
    values["trace_observation_point"] = point
    values["uuid"] = uuid
    if extra:
        values["extra"] = MappingProxyType(extra)
    refs = get("ingress_allowed_by")
    if refs:
        values["ingress_allowed_by"] = _refs(refs)
    refs = get("egress_allowed_by")
    if refs:
        values["egress_allowed_by"] = _refs(refs)
    refs = get("ingress_denied_by")
    if refs:
        values["ingress_denied_by"] = _refs(refs)
    refs = get("egress_denied_by")
    if refs:
        values["egress_denied_by"] = _refs(refs)
    return result


def _other_time(time: Any) -> datetime:
    """Times with 0, 3 or 6 digits of the second (protojson drops trailing zero groups)."""
    if type(time) is not str or len(time) < 20 or time[-1] != "Z" or time[10] != "T":
        raise _Surprise
    digits = time[20:-1]
    if time[19] != "." if digits else time[19] not in ".Z":
        raise _Surprise
    if digits and not (digits.isascii() and digits.isdigit()):
        raise _Surprise
    base = _seconds.get(time[:19])
    if base is None:
        base = _second(time[:19])
    if not digits:
        return base
    digits = (digits + "00000")[:6]
    return base + _MILLIS[int(digits[:3])] + _MICROS[int(digits[3:])]


def _second(text: str) -> datetime:
    """The whole second `YYYY-MM-DDTHH:MM:SS` as an aware UTC datetime, remembered."""
    if len(_seconds) > 10_000:
        _seconds.clear()
    base = _seconds[text] = datetime.fromisoformat(text + "+00:00")
    return base


def _int(value: Any) -> int:
    """protojson prints uint64 as a string of digits; anything else is a surprise."""
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    raise _Surprise


def _opt_str(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _Surprise


def _opt_int(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    return _int(value)


def _endpoint(obj: Any, ip: str | None, names: Any, side: str, extra: dict[str, Any]) -> Endpoint:
    if obj is None:
        obj = _NO_ENDPOINT
    elif type(obj) is not dict:
        raise _Surprise
    if not _ENDPOINT_KEYS.issuperset(obj):
        for k in obj:
            if k not in _ENDPOINT_KEYS:
                extra[side + k] = obj[k]
    get = obj.get
    labels = get("labels")
    workloads = get("workloads")
    endpoint_id = get("ID")
    identity = get("identity")
    key = (endpoint_id, identity, get("pod_name"), get("namespace"), ip, get("cluster_name"))
    cached = _endpoints.get(key)
    if (cached is not None and cached[1] == labels and cached[2] == workloads and cached[3] == names
            and type(endpoint_id) is cached[4] and type(identity) is cached[5]):
        return cached[0]  # the types too: 1.0 and True are equal to 1 but are not whole numbers

    if labels is None:
        labels = []
    elif type(labels) is not list:
        raise _Surprise
    for text in labels:
        if type(text) is not str:
            raise _Surprise
    if names:
        if type(names) is not list:
            raise _Surprise
        for name in names:
            if type(name) is not str:
                raise _Surprise
        normalised = tuple(n.lower().rstrip(".") for n in names)
    else:
        normalised = ()
    pairs: tuple[tuple[str, str], ...] = ()
    if workloads:
        if type(workloads) is not list:
            raise _Surprise
        for w in workloads:
            if type(w) is not dict:
                raise _Surprise
        pairs = tuple((str(w.get("name", "")), str(w.get("kind", ""))) for w in workloads)
    endpoint = _new(Endpoint)
    _set(endpoint, "__dict__", {
        "namespace": _opt_str(key[3]),
        "pod_name": _opt_str(key[2]),
        "labels": tuple(labels),
        "identity": _opt_int(identity),
        "ip": ip,
        "names": normalised,
        "workloads": pairs,
        "endpoint_id": _opt_int(endpoint_id),
        "cluster_name": _opt_str(key[5]),
    })
    if len(_endpoints) > 50_000:
        _endpoints.clear()
    # copies, so that a caller changing its dicts later cannot make a stale entry match
    _endpoints[key] = (
        endpoint,
        list(get("labels")) if get("labels") is not None else None,
        [dict(w) for w in workloads] if workloads else workloads,
        list(names) if names else names,
        type(endpoint_id),
        type(identity),
    )
    return endpoint


def _l4(obj: Any) -> L4:
    if type(obj) is not dict or len(obj) != 1:
        raise _Surprise  # empty, several protocols, or not an object: the validating path decides
    protocol = next(iter(obj))
    body = obj[protocol]
    if type(body) is not dict:
        raise _Surprise
    l4 = _new(L4)
    if protocol not in _PORTED:  # ICMPv4, ICMPv6: type and code, no ports
        _set(l4, "__dict__", {
            "protocol": protocol,
            "source_port": None,
            "destination_port": None,
            "flags": (),
            "icmp_type": _opt_int(body.get("type")),
            "icmp_code": _opt_int(body.get("code")),
        })
        return l4
    source_port = body.get("source_port")
    if source_port is not None and type(source_port) is not int:
        source_port = _int(source_port)
    destination_port = body.get("destination_port")
    if destination_port is not None and type(destination_port) is not int:
        destination_port = _int(destination_port)
    raw_flags = body.get("flags")
    flags: tuple[str, ...] = ()
    if raw_flags:
        if type(raw_flags) is not dict:
            raise _Surprise
        for on in raw_flags.values():
            if on is not True:
                flags = tuple([name for name, on in raw_flags.items() if on is True])
                break
        else:
            flags = tuple(raw_flags)
    _set(l4, "__dict__", {
        "protocol": protocol,
        "source_port": source_port,
        "destination_port": destination_port,
        "flags": flags,
        "icmp_type": None,
        "icmp_code": None,
    })
    return l4


def _l7(obj: Any) -> L7:
    if type(obj) is not dict:
        raise _Surprise
    http = dns = None
    body = obj.get("http")
    if body is not None:
        if type(body) is not dict:
            raise _Surprise
        headers = body.get("headers") or ()
        if type(headers) not in (list, tuple):
            raise _Surprise
        for h in headers:
            if type(h) is not dict:
                raise _Surprise
        http = _new(HttpInfo)
        _set(http, "__dict__", {
            "method": _opt_str(body.get("method")),
            "url": _opt_str(body.get("url")),
            "code": _opt_int(body.get("code")),
            "protocol": _opt_str(body.get("protocol")),
            "headers": tuple((str(h.get("key", "")), str(h.get("value", ""))) for h in headers),
        })
    body = obj.get("dns")
    if body is not None:
        if type(body) is not dict:
            raise _Surprise
        query = _opt_str(body.get("query"))
        dns = _new(DnsInfo)
        _set(dns, "__dict__", {
            "query": query.lower().rstrip(".") if query else query,
            "rcode": _opt_int(body.get("rcode")),
            "ips": _strings(body.get("ips")),
            "qtypes": _strings(body.get("qtypes")),
            "observation_source": _opt_str(body.get("observation_source")),
        })
    l7 = _new(L7)
    _set(l7, "__dict__", {
        "type": _opt_str(obj.get("type")),
        "http": http,
        "dns": dns,
        "latency_ns": _opt_int(obj.get("latency_ns")),
    })
    return l7


def _strings(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if type(value) is not list:
        raise _Surprise
    for v in value:
        if type(v) is not str:
            raise _Surprise
    return tuple(value)


def _refs(refs: Any) -> tuple[PolicyRef, ...]:
    if type(refs) is not list:
        raise _Surprise
    result = []
    for ref in refs:
        if type(ref) is not dict:
            raise _Surprise
        key = (ref.get("name"), ref.get("namespace"), ref.get("kind"))
        policy = _policies.get(key)
        if policy is None:
            name, namespace, kind = key
            if type(name) is not str:
                raise _Surprise
            policy = _new(PolicyRef)
            _set(policy, "__dict__", {"name": name, "namespace": _opt_str(namespace) or None,
                                      "kind": _opt_str(kind) or None})
            if len(_policies) > 10_000:
                _policies.clear()
            _policies[key] = policy
        result.append(policy)
    return tuple(result)
