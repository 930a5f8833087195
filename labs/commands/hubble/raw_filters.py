"""`hubble observe --print-raw-filters`: the request's allowlist and denylist, as hubble prints them.

hubble builds the GetFlows request from the filter flags and, with `--print-raw-filters`, prints it and
exits without asking the server (cilium `hubble/cmd/observe/flows.go`, `getFlowFiltersYAML`): each
FlowFilter through Go's `json.Marshal`, which for flow messages is protojson with proto field names
(`api/v1/flow/flow.pb.json.go`), compact, fields in FlowFilter's declaration order, enums by name, zero
values left out; then the two lists through `gopkg.in/yaml.v3` (four-space indent, each JSON string
single-quoted, `{}` when there is no filter at all). The output can be given back to hubble
(`--allowlist`/`--denylist`) or to the exporter's allow/deny lists.
"""

from __future__ import annotations

import json

from labs.flows.filters import EventTypeFilter

__all__ = ["FIELD_ORDER", "flow_filter_json", "filters_yaml"]

FIELD_ORDER = (
    "uuid", "source_ip", "source_ip_xlated", "source_pod", "source_fqdn", "source_label", "source_service",
    "source_workload", "source_cluster_name", "destination_ip", "destination_pod", "destination_fqdn",
    "destination_label", "destination_service", "destination_workload", "destination_cluster_name",
    "traffic_direction", "verdict", "drop_reason_desc", "event_type", "http_status_code", "protocol",
    "source_port", "destination_port", "reply", "dns_query", "source_identity", "destination_identity",
    "http_method", "http_path", "http_url", "http_header", "tcp_flags", "node_name", "node_labels", "ip_version",
    "trace_id",
)
"""flow.proto `message FlowFilter`, fields in declaration order (the order protojson writes them)."""

_RENAMED = {"http_status": "http_status_code", "type": "event_type"}


def _event_types(values: list[str]) -> list[dict[str, object]]:
    """flows_filter.go case "type": one EventTypeFilter per value, `match_sub_type` only with a sub-type."""
    found: list[dict[str, object]] = []
    for number, sub in EventTypeFilter(tuple(values))._wanted:  # type: ignore[attr-defined]
        item: dict[str, object] = {"type": number}
        if sub is not None:
            item["match_sub_type"] = True
            if sub:
                item["sub_type"] = sub
        found.append(item)
    return found


def flow_filter_json(fields: dict[str, list[str]]) -> str:
    """One FlowFilter (field name as the observe command builds it -> values) as Go's json.Marshal writes it."""
    named: dict[str, object] = {}
    for key, values in fields.items():
        name = _RENAMED.get(key, key)
        if name == "event_type":
            named[name] = _event_types(values)
        elif name == "traffic_direction":
            named[name] = [v.upper() for v in values]
        else:
            named[name] = list(values)
    ordered = {k: named[k] for k in FIELD_ORDER if k in named}
    ordered.update((k, v) for k, v in named.items() if k not in ordered)
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False)


def _yaml_single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def filters_yaml(allow: list[dict[str, list[str]]], deny: list[dict[str, list[str]]]) -> str:
    """The `getFlowsFilters` struct through yaml.v3: `allowlist:` / `denylist:`, each omitted when empty."""
    text = ""
    for key, sides in (("allowlist", allow), ("denylist", deny)):
        if sides:
            text += f"{key}:\n" + "".join(f"    - {_yaml_single_quoted(flow_filter_json(s))}\n" for s in sides)
    return text or "{}\n"
