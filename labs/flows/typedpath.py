"""The typed fast path: a line decoded into `labs.flows.schema` Structs, then straight to a Flow.

msgspec has already checked the types of the typed fields; this path checks the rest (times,
uint64 strings, the dict-shaped parts) like `labs.flows.fastpath` does, and returns None on the
first surprise, so the caller decodes the line to dicts and takes the dict paths, which either
parse the odd shape or name the bad field. Endpoints arrive as raw JSON and are decoded once per
distinct text, IP and DNS names.
"""

from __future__ import annotations

from operator import attrgetter
from types import MappingProxyType
from typing import Any

import msgspec
from msgspec import UNSET, Raw

from labs.flows.fastvalues import (
    Surprise,
    as_int,
    build_endpoint,
    hubble_time,
    icmp_l4,
    ported_l4,
    read_ip,
    read_l7,
    read_refs,
)
from labs.flows.model import L4, Endpoint, Flow
from labs.flows.schema import L4_PROTOCOLS, RESPONSE_DECODER, UNMODELLED_FIELDS, L4Record, ResponseRecord

__all__ = ["typed_flow"]

_new = object.__new__
_set = object.__setattr__
_NO_EXTRA: MappingProxyType[str, Any] = MappingProxyType({})
_ENDPOINT_KEYS = frozenset({"ID", "identity", "namespace", "labels", "pod_name", "workloads", "cluster_name"})
_unmodelled = attrgetter(*UNMODELLED_FIELDS)
_ALL_UNSET = (UNSET,) * len(UNMODELLED_FIELDS)
_l4_bodies = attrgetter(*L4_PROTOCOLS)
_decode_endpoint = msgspec.json.Decoder().decode
_endpoints: dict[tuple[bytes, Any, Any], Endpoint] = {}
"""(raw endpoint JSON, IP, DNS names) -> Endpoint: equal text means an equal endpoint."""


def typed_flow(line: str) -> Flow | None:
    """A Flow from a well-formed GetFlowsResponse line, or None when the dict paths must decide."""
    try:
        return _flow(RESPONSE_DECODER.decode(line))
    except (Surprise, TypeError, ValueError, AttributeError):
        # ValueError: msgspec's errors (JSON it refuses, an undeclared field, a wrong type) and values
        # of a shape this path does not expect; TypeError: an unhashable value used as a cache key.
        return None


def _flow(response: ResponseRecord) -> Flow:
    flow = response.flow
    extra: dict[str, Any] = {}
    unmodelled = _unmodelled(flow)
    if unmodelled != _ALL_UNSET:
        for name, value in zip(UNMODELLED_FIELDS, unmodelled):
            if value is not UNSET:
                extra[name] = value

    stamp = flow.time
    if stamp is UNSET:
        stamp = response.time
    time = hubble_time(stamp) if stamp is not None and stamp is not UNSET else None
    node_name = flow.node_name
    if node_name is UNSET:
        node_name = response.node_name
        if node_name is UNSET:
            node_name = None
        elif node_name is not None and type(node_name) is not str:
            raise Surprise

    event = flow.event_type
    if event is not None:
        event_type = event.type
        if event_type is not None and type(event_type) is not int:
            event_type = as_int(event_type)
        event_subtype = event.sub_type
        if event_subtype is not None and type(event_subtype) is not int:
            event_subtype = as_int(event_subtype)
    else:
        event_type = event_subtype = None

    is_reply = flow.is_reply
    if is_reply is None:
        is_reply = flow.reply

    source_ip, destination_ip = read_ip(flow.IP, extra)

    direction = flow.traffic_direction
    if direction == "TRAFFIC_DIRECTION_UNKNOWN":
        direction = None
    l4 = _l4(flow.l4) if flow.l4 is not None else None
    l7 = flow.l7
    if l7 is not None:
        l7 = read_l7(l7)
    refs = flow.ingress_allowed_by
    ingress_allowed_by = read_refs(refs) if refs else ()
    refs = flow.egress_allowed_by
    egress_allowed_by = read_refs(refs) if refs else ()
    refs = flow.ingress_denied_by
    ingress_denied_by = read_refs(refs) if refs else ()
    refs = flow.egress_denied_by
    egress_denied_by = read_refs(refs) if refs else ()

    result = _new(Flow)  # a frozen dataclass, filled through its __dict__ in one step
    _set(result, "__dict__", {
        "time": time,
        "verdict": flow.verdict or "VERDICT_UNKNOWN",
        "drop_reason": flow.drop_reason_desc,
        "type": flow.Type or "UNKNOWN_TYPE",
        "event_type": event_type,
        "event_subtype": event_subtype,
        "direction": direction,
        "is_reply": is_reply,
        "source": _endpoint(flow.source, source_ip, flow.source_names),
        "destination": _endpoint(flow.destination, destination_ip, flow.destination_names),
        "l4": l4,
        "l7": l7,
        "ingress_allowed_by": ingress_allowed_by,
        "egress_allowed_by": egress_allowed_by,
        "ingress_denied_by": ingress_denied_by,
        "egress_denied_by": egress_denied_by,
        "node_name": node_name,
        "summary": flow.Summary,
        "trace_observation_point": flow.trace_observation_point,
        "uuid": flow.uuid,
        "extra": MappingProxyType(extra) if extra else _NO_EXTRA,
    })
    return result


def _endpoint(raw: Raw, ip: str | None, names: list[str] | None) -> Endpoint:
    text = bytes(raw)
    key = (text, ip, tuple(names) if names else None)
    endpoint = _endpoints.get(key)
    if endpoint is not None:
        return endpoint
    obj = _decode_endpoint(text) if text else None  # a msgspec error here (1e400, say) is a ValueError
    if obj is None:
        obj = {}
    elif type(obj) is not dict or not _ENDPOINT_KEYS.issuperset(obj):
        raise Surprise  # unknown keys go to `extra` on the dict path
    endpoint = build_endpoint(obj, ip, names)
    if len(_endpoints) > 50_000:
        _endpoints.clear()
    _endpoints[key] = endpoint
    return endpoint


def _l4(record: L4Record) -> L4:
    body: Any = record.TCP  # a PortsRecord, or an ICMP record: the protocol's name tells which
    if (body is not UNSET and record.UDP is UNSET and record.SCTP is UNSET and record.ICMPv4 is UNSET
            and record.ICMPv6 is UNSET):
        protocol = "TCP"  # nearly every flow: decided in a few identity checks
    else:
        protocol, body = _only_protocol(record)
    if body is None:
        raise Surprise
    if protocol[0] == "I":  # ICMPv4, ICMPv6: type and code, no ports
        return icmp_l4(protocol, body.type, body.code)
    return ported_l4(protocol, body.source_port, body.destination_port, body.flags)


def _only_protocol(record: L4Record) -> tuple[str, Any]:
    """The one protocol present (Layer4 is a oneof); none or several: the validating path decides."""
    present = [(name, body) for name, body in zip(L4_PROTOCOLS, _l4_bodies(record)) if body is not UNSET]
    if len(present) != 1:
        raise Surprise
    return present[0]
