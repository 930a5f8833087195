"""Parse `hubble observe -o jsonpb` output (and the legacy bare-flow JSON) into Flow objects.

Input is trusted to be Hubble's shape, not to be well formed: a truncated line, a wrong type or
a stray log line is reported with its line number and skipped, never a crash. Keys follow
protojson with proto names (`IP`, `Type`, `l4.TCP`, `drop_reason_desc`...); enums arrive as
names, uint64 values as strings. Three paths give equal flows: typed decoding and
`labs.flows.typedpath` for well-formed lines, `labs.flows.fastpath` for well-formed dicts, and the
validating path `labs.flows.checked` for everything else.
"""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

import msgspec

from labs.flows.checked import FlowParseError, checked_flow, parse_time
from labs.flows.fastpath import fast_flow
from labs.flows.model import Flow
from labs.flows.typedpath import typed_flow

__all__ = [
    "DECODER",
    "FlowParseError",
    "ParseResult",
    "checked_flow",
    "parse_flow",
    "parse_lines",
    "parse_time",
]

DECODER = (
    f"msgspec {msgspec.__version__} (typed GetFlowsResponse Structs, then plain dicts; "
    "the stdlib json module for what msgspec refuses)"
)
"""What `parse_lines` decodes lines with, for reports such as the benchmark's."""


@dataclass
class ParseResult:
    """Flows parsed from lines, and what could not be used, each with its 1-based line number."""

    flows: list[Flow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    """Malformed lines: not JSON, or JSON that is not a flow."""
    skipped: list[tuple[int, str]] = field(default_factory=list)
    """Valid Hubble records that are not flows (`lost_events`, `node_status`)."""

    def __bool__(self) -> bool:
        return bool(self.flows)


def parse_lines(lines: Iterable[str], *, source: str | None = None) -> ParseResult:
    """Parse one JSON object per line; blank lines are ignored, bad ones are reported and skipped.

    `source` (a file name) is only used in messages.
    """
    result = ParseResult()
    collecting = gc.isenabled()
    if collecting:  # parsing makes no reference cycles; pausing the collector saves a third of the time
        gc.disable()
    try:
        _parse_into(result, lines, source)
    finally:
        if collecting:
            gc.enable()
    return result


def _parse_into(result: ParseResult, lines: Iterable[str], source: str | None) -> None:
    flows = result.flows
    decode = _DECODER.decode
    prefix = f"{source}: " if source else ""
    for number, line in enumerate(lines, start=1):
        if not line or line.isspace():
            continue
        # Well-formed Hubble lines: typed decoding and the typed fast path. Anything else (an unknown
        # field, a wrong type, a legacy bare flow, JSON msgspec refuses) is decoded again to dicts below.
        flow = typed_flow(line)
        if flow is not None:
            flows.append(flow)
            continue
        try:
            obj = decode(line)
        except RecursionError:
            result.errors.append((number, f"{prefix}line {number} nests JSON too deeply to read (no Hubble flow "
                                          "does); the line was skipped."))
            continue
        except ValueError:
            # msgspec refuses a few things the stdlib takes (NaN, 1e400, lone surrogates); the stdlib
            # decides, so every line means what `json.loads` says it means, and errors read the same.
            try:
                obj = json.loads(line)
            except ValueError as exc:
                result.errors.append(
                    (number, f"{prefix}line {number} is not valid JSON ({exc}); the line was skipped.")
                )
                continue
        if type(obj) is dict:
            if "flow" in obj:
                flow = fast_flow(obj)
                if flow is not None:
                    flows.append(flow)
                    continue
            for key in _NON_FLOW_RECORDS:
                if key in obj and "flow" not in obj:
                    result.skipped.append((number, f"{prefix}line {number} is a {key} record, not a flow."))
                    break
            else:
                try:
                    flows.append(checked_flow(obj))
                except FlowParseError as exc:
                    result.errors.append((number, f"{prefix}line {number}: {exc}; the line was skipped."))
                continue
            continue
        result.errors.append(
            (number, f"{prefix}line {number} holds a JSON {type(obj).__name__}, not an object; the line was skipped.")
        )


_NON_FLOW_RECORDS = ("lost_events", "node_status", "debug_event")
_DECODER = msgspec.json.Decoder()
"""Decodes a line about twice as fast as `json.loads`, to the same dicts, lists and numbers."""


def parse_flow(obj: dict[str, Any]) -> Flow:
    """One GetFlowsResponse (`{"flow": {...}, "node_name": ..., "time": ...}`) or legacy bare flow -> Flow."""
    if type(obj) is dict:
        flow = fast_flow(obj)
        if flow is not None:
            return flow
    return checked_flow(obj)
