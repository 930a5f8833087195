"""Readers shared by the fast paths (`labs.flows.fastpath` for dicts, `labs.flows.typedpath` for typed lines).

Each reader checks every value it reads and raises `Surprise`, without building a message, on the
first one it does not expect; the fast path that called it then returns None and the validating
path in `labs.flows.checked` parses the odd shape or names the bad field.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from labs.flows.model import L4, L7, DnsInfo, Endpoint, HttpInfo, PolicyRef

__all__ = [
    "Surprise",
    "as_int",
    "build_endpoint",
    "icmp_l4",
    "ported_l4",
    "hubble_time",
    "opt_int",
    "opt_str",
    "read_ip",
    "read_l4",
    "read_l7",
    "read_refs",
]

_new = object.__new__
_set = object.__setattr__
_PORTED = frozenset({"TCP", "UDP", "SCTP"})
_MILLIS = [timedelta(milliseconds=n) for n in range(1000)]
_MICROS = [timedelta(microseconds=n) for n in range(1000)]
_fromisoformat = datetime.fromisoformat
_seconds: dict[str, datetime] = {}
"""`YYYY-MM-DDTHH:MM:SS` -> aware datetime: one full parse per second of traffic."""
_policies: dict[tuple[Any, ...], PolicyRef] = {}
"""(name, namespace, kind) -> PolicyRef: a lab names a handful of policies in thousands of flows."""


class Surprise(Exception):
    """A value a fast path does not take; caught by that fast path, never seen by callers of the parser."""


def hubble_time(time: Any) -> datetime:
    """Hubble's `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (or 0, 3 or 6 digits of the second) -> aware UTC datetime."""
    if type(time) is str and len(time) == 30 and time[29] == "Z" and time[19] == ".":
        digits = time[20:29]  # Hubble's usual form, nanoseconds: the parse is in C, to the microsecond
        if not (digits.isdigit() and digits.isascii()) or time[10] != "T":
            raise Surprise
        return _fromisoformat(time[:26] + "+00:00")
    return _other_time(time)


def _other_time(time: Any) -> datetime:
    """Times with 0, 3 or 6 digits of the second (protojson drops trailing zero groups)."""
    if type(time) is not str or len(time) < 20 or time[-1] != "Z" or time[10] != "T":
        raise Surprise
    digits = time[20:-1]
    if time[19] != "." if digits else time[19] not in ".Z":
        raise Surprise
    if digits and not (digits.isascii() and digits.isdigit()):
        raise Surprise
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


def as_int(value: Any) -> int:
    """protojson prints uint64 as a string of digits; anything else is a surprise."""
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    raise Surprise


def opt_str(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    raise Surprise


def opt_int(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    return as_int(value)


def build_endpoint(obj: dict[str, Any], ip: str | None, names: Any) -> Endpoint:
    """An Endpoint from a Hubble endpoint dict whose keys the caller has vetted, with its IP and DNS names."""
    get = obj.get
    labels = get("labels")
    if labels is None:
        labels = ()
    elif type(labels) is not list:
        raise Surprise
    for text in labels:
        if type(text) is not str:
            raise Surprise
    if names:
        if type(names) is not list:
            raise Surprise
        for name in names:
            if type(name) is not str:
                raise Surprise
        normalised = tuple([n.lower().rstrip(".") for n in names])
    else:
        normalised = ()
    workloads = get("workloads")
    pairs: tuple[tuple[str, str], ...] = ()
    if workloads:
        if type(workloads) is not list:
            raise Surprise
        for w in workloads:
            if type(w) is not dict:
                raise Surprise
        pairs = tuple([(str(w.get("name", "")), str(w.get("kind", ""))) for w in workloads])
    endpoint = _new(Endpoint)
    _set(endpoint, "__dict__", {
        "namespace": opt_str(get("namespace")),
        "pod_name": opt_str(get("pod_name")),
        "labels": tuple(labels),
        "identity": opt_int(get("identity")),
        "ip": ip,
        "names": normalised,
        "workloads": pairs,
        "endpoint_id": opt_int(get("ID")),
        "cluster_name": opt_str(get("cluster_name")),
    })
    return endpoint


def read_ip(ip: Any, extra: dict[str, Any]) -> tuple[str | None, str | None]:
    """`{"source": ..., "destination": ...}` -> the two addresses; other keys (`ipVersion`) keep it in `extra`."""
    if ip is None:
        return None, None
    if type(ip) is not dict:
        raise Surprise
    source_ip = ip.get("source")
    destination_ip = ip.get("destination")
    if (source_ip is not None and type(source_ip) is not str) or (
        destination_ip is not None and type(destination_ip) is not str
    ):
        raise Surprise
    if len(ip) > 2:
        extra["IP"] = ip
    return source_ip, destination_ip


def read_l4(obj: Any) -> L4:
    """`{"TCP": {...}}` -> L4; empty, several protocols or not an object: the validating path decides."""
    if type(obj) is not dict or len(obj) != 1:
        raise Surprise
    protocol = next(iter(obj))
    body = obj[protocol]
    if type(body) is not dict:
        raise Surprise
    if protocol not in _PORTED:  # ICMPv4, ICMPv6: type and code, no ports
        return icmp_l4(protocol, body.get("type"), body.get("code"))
    raw_flags = body.get("flags")
    if raw_flags and type(raw_flags) is not dict:
        raise Surprise
    return ported_l4(protocol, body.get("source_port"), body.get("destination_port"), raw_flags)


def icmp_l4(protocol: str, icmp_type: Any, icmp_code: Any) -> L4:
    """An ICMP L4 record: type and code, no ports."""
    l4 = _new(L4)
    _set(l4, "__dict__", {"protocol": protocol, "source_port": None, "destination_port": None, "flags": (),
                          "icmp_type": opt_int(icmp_type), "icmp_code": opt_int(icmp_code)})
    return l4


def ported_l4(protocol: str, source_port: Any, destination_port: Any, raw_flags: dict[str, Any] | None) -> L4:
    """A TCP/UDP/SCTP L4 record; ports may arrive as uint64 strings, flags as `{"SYN": true}`."""
    if source_port is not None and type(source_port) is not int:
        source_port = as_int(source_port)
    if destination_port is not None and type(destination_port) is not int:
        destination_port = as_int(destination_port)
    flags: tuple[str, ...] = ()
    if raw_flags:
        flags = tuple(raw_flags)
        for on in raw_flags.values():
            if on is not True:  # a flag printed as false: keep the set ones only
                flags = tuple([name for name, on in raw_flags.items() if on is True])
                break
    l4 = _new(L4)
    _set(l4, "__dict__", {"protocol": protocol, "source_port": source_port, "destination_port": destination_port,
                          "flags": flags, "icmp_type": None, "icmp_code": None})
    return l4


def read_l7(obj: Any) -> L7:
    """`{"type": ..., "http": {...}}` or `{"dns": {...}}` -> L7."""
    if type(obj) is not dict:
        raise Surprise
    http = dns = None
    body = obj.get("http")
    if body is not None:
        if type(body) is not dict:
            raise Surprise
        headers = body.get("headers") or ()
        if type(headers) not in (list, tuple):
            raise Surprise
        for h in headers:
            if type(h) is not dict:
                raise Surprise
        http = _new(HttpInfo)
        _set(http, "__dict__", {
            "method": opt_str(body.get("method")),
            "url": opt_str(body.get("url")),
            "code": opt_int(body.get("code")),
            "protocol": opt_str(body.get("protocol")),
            "headers": tuple((str(h.get("key", "")), str(h.get("value", ""))) for h in headers),
        })
    body = obj.get("dns")
    if body is not None:
        if type(body) is not dict:
            raise Surprise
        query = opt_str(body.get("query"))
        dns = _new(DnsInfo)
        _set(dns, "__dict__", {
            "query": query.lower().rstrip(".") if query else query,
            "rcode": opt_int(body.get("rcode")),
            "ips": _strings(body.get("ips")),
            "qtypes": _strings(body.get("qtypes")),
            "observation_source": opt_str(body.get("observation_source")),
        })
    l7 = _new(L7)
    _set(l7, "__dict__", {
        "type": opt_str(obj.get("type")),
        "http": http,
        "dns": dns,
        "latency_ns": opt_int(obj.get("latency_ns")),
    })
    return l7


def _strings(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if type(value) is not list:
        raise Surprise
    for v in value:
        if type(v) is not str:
            raise Surprise
    return tuple(value)


def read_refs(refs: Any) -> tuple[PolicyRef, ...]:
    """A list of Hubble policy objects -> PolicyRefs, shared between flows that name the same policy."""
    if type(refs) is not list:
        raise Surprise
    result = []
    for ref in refs:
        if type(ref) is not dict:
            raise Surprise
        key = (ref.get("name"), ref.get("namespace"), ref.get("kind"))
        policy = _policies.get(key)
        if policy is None:
            name, namespace, kind = key
            if type(name) is not str:
                raise Surprise
            policy = _new(PolicyRef)
            _set(policy, "__dict__", {"name": name, "namespace": opt_str(namespace) or None,
                                      "kind": opt_str(kind) or None})
            if len(_policies) > 10_000:
                _policies.clear()
            _policies[key] = policy
        result.append(policy)
    return tuple(result)
