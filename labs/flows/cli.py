"""`python -m labs flows --input FILE [--json | --edges] [filters]`: read Hubble JSON lines, print them filtered.

Exit codes: 0 all lines were flows (matching or not); 2 the file could not be read, an option
was invalid, or some lines were malformed (those are named on stderr, the rest is still printed).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from pathlib import Path

from labs.flows.aggregate import aggregate
from labs.flows.filters import VERDICTS
from labs.flows.options import FilterOptionError, add_filter_arguments, filter_from_args
from labs.flows.parse import parse_lines
from labs.flows.render import flow_line, flow_to_dict
from labs.manifests.errors import shown

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", "-i", default="-", metavar="FILE",
                        help="file of `hubble observe -o jsonpb` lines ('-' for standard input, the default)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one normalised JSON object per flow")
    output.add_argument("--edges", action="store_true",
                        help="print aggregated edges (who talked to whom, how often, what happened)")
    parser.add_argument("--last", type=int, metavar="N", help="only the last N matching flows")
    add_filter_arguments(parser)


def _print(flows: list, args: argparse.Namespace) -> None:
    out = sys.stdout
    if args.json:
        for flow in flows:
            out.write(json.dumps(flow_to_dict(flow), sort_keys=True, default=str) + "\n")
    elif args.edges:
        for edge in aggregate(flows):
            out.write(edge.describe() + "\n")
    else:
        for flow in flows:
            out.write(flow_line(flow) + "\n")
    out.flush()


KNOWN_VERDICTS = frozenset((*VERDICTS, "VERDICT_UNKNOWN"))
"""flow.proto's `Verdict` enum: anything else is not a Hubble flow."""


MAX_LINE_CHARS = 1024 * 1024
"""Longest line read: a Hubble flow is a few kB; a longer line (or a file without newlines) is refused."""


def _numbered(handle, written: list[int], overlong: list[tuple[int, str]], name: str):
    """The lines, bounded in length, noting the number of every non-blank one (flows come from these)."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            while line and not line.endswith("\n"):  # skip the rest of the line, in bounded pieces
                line = handle.readline(MAX_LINE_CHARS + 1)
            overlong.append((number, f"{name}: line {number} is longer than {MAX_LINE_CHARS} characters, which no "
                                     "Hubble flow is; the line was skipped."))
            yield ""
            continue
        if not line.isspace():
            written.append(number)
        yield line


def _reject_unknown_verdicts(result, written: list[int], name: str) -> None:
    """Move flows whose verdict is not a Hubble verdict to the errors, with their line numbers."""
    if all(flow.verdict in KNOWN_VERDICTS for flow in result.flows):
        return
    used = {number for number, _ in result.errors} | {number for number, _ in result.skipped}
    flow_lines = [number for number in written if number not in used]
    kept = []
    for index, flow in enumerate(result.flows):
        if flow.verdict in KNOWN_VERDICTS:
            kept.append(flow)
            continue
        number = flow_lines[index] if index < len(flow_lines) else 0
        result.errors.append((number, f"{name}: line {number}: flow.verdict {shown(flow.verdict)} is not a Hubble "
                                      f"verdict (one of {', '.join(sorted(KNOWN_VERDICTS))}); the line was skipped."))
    result.flows[:] = kept
    result.errors.sort()


def run(args: argparse.Namespace) -> int:
    try:
        flow_filter = filter_from_args(args)
    except FilterOptionError as exc:
        print(f"labs flows: {exc}", file=sys.stderr)
        return 2
    if args.last is not None and args.last < 1:
        print(f"labs flows: --last {args.last!r} must be 1 or more.", file=sys.stderr)
        return 2
    name = "<stdin>" if args.input == "-" else args.input
    written: list[int] = []
    overlong: list[tuple[int, str]] = []
    try:
        if args.input == "-":
            result = parse_lines(_numbered(sys.stdin, written, overlong, name), source=name)
        else:
            mode = Path(args.input).stat().st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                print(f"labs flows: {name!r} is not a file (a device or directory); pass a file written by "
                      "`hubble observe -o jsonpb`.", file=sys.stderr)
                return 2
            with Path(args.input).open(encoding="utf-8", errors="replace") as handle:
                result = parse_lines(_numbered(handle, written, overlong, name), source=name)
        result.errors = sorted(result.errors + overlong)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"labs flows: cannot read {name!r}: {reason}. Pass a file written by `hubble observe -o jsonpb`.",
              file=sys.stderr)
        return 2
    _reject_unknown_verdicts(result, written, name)
    flows = [f for f in result.flows if flow_filter.match(f)]
    if args.last is not None:
        flows = flows[-args.last :]
    try:
        _print(flows, args)
    except BrokenPipeError:  # `| head`: the reader has gone, which is not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 0
    if not flows and not args.json:
        print(f"labs flows: no flows in {name} match {flow_filter.describe()} "
              f"({len(result.flows)} flow{'s' if len(result.flows) != 1 else ''} read).", file=sys.stderr)
    for _number, message in result.errors:
        print(f"labs flows: {message}", file=sys.stderr)
    if result.errors:
        print(f"labs flows: {len(result.errors)} malformed line{'s' if len(result.errors) != 1 else ''} skipped "
              f"in {name}; fix or remove {'them' if len(result.errors) != 1 else 'it'}.", file=sys.stderr)
        return 2
    return 0
