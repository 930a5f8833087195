"""The shape of a `hubble observe -o jsonpb` line, as msgspec Structs for typed decoding.

Decoding into these checks the types of the modelled fields in C and skips building dicts. The
endpoints stay raw JSON (`msgspec.Raw`): a lab repeats a few hundred endpoints in thousands of
flows, so `labs.flows.typedpath` decodes each distinct one once. Every Struct forbids unknown
fields: a line with a field not declared here fails typed decoding and goes to the dict path,
which keeps unknown fields in `Flow.extra`. Fields Hubble emits that `Flow` does not model are
declared as `Any` with the default UNSET, so they can be put in `extra` exactly when present.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, Raw, Struct, UnsetType

__all__ = [
    "L4_PROTOCOLS",
    "NO_RAW",
    "RESPONSE_DECODER",
    "UNMODELLED_FIELDS",
    "EventTypeRecord",
    "FlowRecord",
    "IcmpRecord",
    "L4Record",
    "PortsRecord",
    "ResponseRecord",
]

NO_RAW = Raw(b"")
"""The default of an absent endpoint (msgspec takes no `Raw | None`)."""


class EventTypeRecord(Struct, forbid_unknown_fields=True, gc=False):
    type: int | str | None = None
    sub_type: int | str | None = None


class PortsRecord(Struct, forbid_unknown_fields=True, gc=False):
    """TCP, UDP or SCTP."""

    source_port: int | str | None = None
    destination_port: int | str | None = None
    flags: dict[str, Any] | None = None
    """A dict, so the flags keep the order Hubble printed them in."""


class IcmpRecord(Struct, forbid_unknown_fields=True, gc=False):
    type: int | str | None = None
    code: int | str | None = None


class L4Record(Struct, forbid_unknown_fields=True, gc=False):
    """Layer4, a oneof: the typed path takes exactly one protocol present and not null."""

    TCP: PortsRecord | UnsetType | None = UNSET
    UDP: PortsRecord | UnsetType | None = UNSET
    SCTP: PortsRecord | UnsetType | None = UNSET
    ICMPv4: IcmpRecord | UnsetType | None = UNSET
    ICMPv6: IcmpRecord | UnsetType | None = UNSET


L4_PROTOCOLS = ("TCP", "UDP", "SCTP", "ICMPv4", "ICMPv6")
"""L4Record fields in declaration order."""


class FlowRecord(Struct, forbid_unknown_fields=True, gc=False):
    """Hubble's Flow message (api/v1/flow/flow.proto), keys as protojson prints them with proto names."""

    time: str | UnsetType | None = UNSET
    """UNSET and None differ: an absent time falls back to the response's, a null one does not."""
    uuid: str | None = None
    verdict: str | None = None
    drop_reason_desc: str | None = None
    Type: str | None = None
    event_type: EventTypeRecord | None = None
    traffic_direction: str | None = None
    is_reply: bool | None = None
    reply: bool | None = None
    IP: Any = None
    """A small dict: kept whole in `extra` when it has more than source and destination."""
    l4: L4Record | None = None
    l7: Any = None
    source: Raw = NO_RAW
    destination: Raw = NO_RAW
    source_names: list[str] | None = None
    destination_names: list[str] | None = None
    node_name: str | UnsetType | None = UNSET
    Summary: str | None = None
    trace_observation_point: str | None = None
    ingress_allowed_by: Any = None
    egress_allowed_by: Any = None
    ingress_denied_by: Any = None
    egress_denied_by: Any = None
    # Emitted by Hubble, not modelled by Flow: kept in `extra` as they were.
    drop_reason: Any = UNSET
    auth_type: Any = UNSET
    ethernet: Any = UNSET
    tunnel: Any = UNSET
    source_service: Any = UNSET
    destination_service: Any = UNSET
    node_labels: Any = UNSET
    policy_match_type: Any = UNSET
    trace_reason: Any = UNSET
    trace_context: Any = UNSET
    debug_capture_point: Any = UNSET
    interface: Any = UNSET
    proxy_port: Any = UNSET
    sock_xlate_point: Any = UNSET
    socket_cookie: Any = UNSET
    cgroup_id: Any = UNSET
    file: Any = UNSET
    ip_trace_id: Any = UNSET
    emitter: Any = UNSET
    policy_log: Any = UNSET
    aggregate: Any = UNSET
    extensions: Any = UNSET


UNMODELLED_FIELDS = (
    "drop_reason", "auth_type", "ethernet", "tunnel", "source_service", "destination_service", "node_labels",
    "policy_match_type", "trace_reason", "trace_context", "debug_capture_point", "interface", "proxy_port",
    "sock_xlate_point", "socket_cookie", "cgroup_id", "file", "ip_trace_id", "emitter", "policy_log", "aggregate",
    "extensions",
)
"""FlowRecord fields that `Flow` does not model, in declaration order."""


class ResponseRecord(Struct, forbid_unknown_fields=True, gc=False):
    """GetFlowsResponse carrying a flow; `node_status` and `lost_events` records fail typed decoding."""

    flow: FlowRecord
    node_name: Any = UNSET
    time: Any = UNSET


RESPONSE_DECODER = msgspec.json.Decoder(ResponseRecord)
