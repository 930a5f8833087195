"""The fast path of flow parsing: well-formed `GetFlowsResponse` objects straight to Flow objects.

The benchmark (`benchmarks/flows.py`) aims at parsing costing at most the JSON decoding again, a few
microseconds per flow. This path checks every value it reads, but inline and without building
error messages: on the first surprise (a wrong type, an empty or multi-protocol L4, an odd time, a
legacy bare flow) it returns None and the caller runs the validating path in `labs.flows.checked`, which
either parses the odd shape or names the bad field. Both paths give equal Flow objects; the
tests check that on the sample files and on generated flows.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from labs.flows.fastvalues import Surprise, as_int, build_endpoint, hubble_time, read_ip, read_l4, read_l7, read_refs
from labs.flows.model import Endpoint, Flow

__all__ = ["fast_flow"]

_new = object.__new__
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
_NO_ENDPOINT: dict[str, Any] = {}
_FLOW_TEMPLATE: dict[str, Any] = {
    name: None for name in Flow.__dataclass_fields__  # every field, in declaration order
}
_FLOW_TEMPLATE.update({"extra": _NO_EXTRA, "ingress_allowed_by": (), "egress_allowed_by": (),
                       "ingress_denied_by": (), "egress_denied_by": ()})
_endpoints: dict[tuple[Any, ...], tuple[Any, ...]] = {}
"""(ID, identity, pod, namespace, IP, cluster) as read -> (Endpoint, labels, workloads, names, type of ID,
type of identity), the values as they were read."""


def fast_flow(obj: dict[str, Any]) -> Flow | None:
    """A Flow from a well-formed GetFlowsResponse dict, or None when the validating path must decide."""
    try:
        return _flow(obj)
    except (Surprise, TypeError, ValueError, AttributeError):
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
        time = hubble_time(time)

    event = get("event_type")
    event_type = event_subtype = None
    if event is not None:
        if type(event) is not dict:
            return None
        event_type = event.get("type")
        if event_type is not None and type(event_type) is not int:
            event_type = as_int(event_type)
        event_subtype = event.get("sub_type")
        if event_subtype is not None and type(event_subtype) is not int:
            event_subtype = as_int(event_subtype)

    is_reply = get("is_reply")
    if is_reply is None:
        is_reply = get("reply")
    if is_reply is not None and type(is_reply) is not bool:
        return None

    source_ip, destination_ip = read_ip(get("IP"), extra)

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
        l4 = read_l4(l4)
    l7 = get("l7")
    if l7 is not None:
        l7 = read_l7(l7)

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
        values["ingress_allowed_by"] = read_refs(refs)
    refs = get("egress_allowed_by")
    if refs:
        values["egress_allowed_by"] = read_refs(refs)
    refs = get("ingress_denied_by")
    if refs:
        values["ingress_denied_by"] = read_refs(refs)
    refs = get("egress_denied_by")
    if refs:
        values["egress_denied_by"] = read_refs(refs)
    return result


def _endpoint(obj: Any, ip: str | None, names: Any, side: str, extra: dict[str, Any]) -> Endpoint:
    if obj is None:
        obj = _NO_ENDPOINT
    elif type(obj) is not dict:
        raise Surprise
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
    endpoint = build_endpoint(obj, ip, names)
    if len(_endpoints) > 50_000:
        _endpoints.clear()
    # copies, so that a caller changing its dicts later cannot make a stale entry match
    _endpoints[key] = (
        endpoint,
        list(labels) if labels is not None else None,
        [dict(w) for w in workloads] if workloads else workloads,
        list(names) if names else names,
        type(endpoint_id),
        type(identity),
    )
    return endpoint
