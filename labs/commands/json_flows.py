"""`hubble observe ... -o json` read into flows, shown as one line per flow with the JSON one click away.

Printed in a cell, ten flows of hubble's JSON are a wall of 1,500-character lines in which the trainee
cannot find the source, the destination or the verdict. `hubble_json(line)` runs the same command the
`%hubble` magic runs (on the lab's cluster, simulated or live), keeps its output exactly as hubble
printed it (`.json`), parses each line into a `Flow` (`.flows`, what `labs.viz.flow_graph` draws), and
shows a summary: one line per flow (time, source -> destination, what, verdict, why), then the JSON
itself in a collapsed block.
"""

from __future__ import annotations

import html
import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from labs.flows import Flow, flow_line, parse_flow

__all__ = ["JsonFlows", "hubble_json"]

_JSON_FLAGS = ("-o json", "-o jsonpb", "--output json", "--output jsonpb", "--output=json", "--output=jsonpb",
               "-ojson", "-j", "--json")


@dataclass(frozen=True)
class JsonFlows:
    """The flows of one `hubble observe -o json`: the command, its output as printed, and the parsed flows."""

    command: str
    json: str
    flows: tuple[Flow, ...]

    def __iter__(self) -> Iterator[Flow]:
        return iter(self.flows)

    def __len__(self) -> int:
        return len(self.flows)

    def _head(self) -> str:
        count = len(self.flows)
        return (f"{count} flow{'s' if count != 1 else ''} from `{self.command}` "
                f"({len(self.json):,} characters of JSON, one object per flow)")

    def __repr__(self) -> str:
        lines = [self._head() + ":"] + [f"  {flow_line(f)}" for f in self.flows]
        lines.append("The whole JSON: print(flows.json); each flow's fields: flows.flows[0].")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "\n".join(esc(flow_line(f)) for f in self.flows) or "(no flow matched)"
        return (f"<div><b>{esc(self._head())}</b>"
                f'<pre style="white-space:pre;overflow-x:auto;margin:4px 0">{rows}</pre>'
                f"<details><summary>The JSON as hubble printed it ({len(self.json):,} characters)</summary>"
                f'<pre style="white-space:pre;overflow-x:auto;max-height:24em;overflow-y:auto">{esc(self.json)}</pre>'
                "</details></div>")


def hubble_json(line: str, cluster: object | None = None) -> JsonFlows:
    """Run `hubble <line>` (an `observe` with `-o json`) on the lab's cluster and read its flows.

    ValueError, with the way out, when the line does not ask for JSON or hubble fails.
    """
    from labs.commands.magics import _cluster, run_command

    words = shlex.split(line)
    if words and words[0] == "hubble":
        words = words[1:]
    joined = " ".join(words)
    if not words or words[0] != "observe" or not any(flag in f" {joined} " for flag in
                                                     (f" {f} " for f in _JSON_FLAGS)):
        raise ValueError(f"hubble_json reads `hubble observe ... -o json`; {line!r} is not such a command "
                         "(add -o json).")
    result = run_command("hubble", shlex.join(words), cluster if cluster is not None else _cluster(),
                         on_output=None)
    if result.exit_code:
        raise ValueError(f"`hubble {joined}` failed (exit code {result.exit_code}): {result.stderr.strip()}")
    flows = tuple(parse_flow(json.loads(text)) for text in result.stdout.splitlines() if text.strip())
    return JsonFlows(f"hubble {joined}", result.stdout, flows)
