"""`python -m labs lint FILE... [--json] [--probes FILE]`: known mistakes, with the fix, on the command line.

Exit codes: 0 when no finding is an error, 1 when at least one is, 2 when the input is not valid
(unreadable file, not YAML, or a manifest the loader rejects). Invalid input wins over findings, but
the findings lint could still make (for example a Service's out-of-range nodePort) are printed too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from labs.lint.render import format_text, to_json
from labs.lint.run import lint_report
from labs.manifests.yaml_lines import YamlSyntaxError, parse_documents

__all__ = ["add_arguments", "run", "read_probes"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="policies, manifests or Cilium Helm values files (YAML, several documents allowed)")
    parser.add_argument("--json", action="store_true", help="print findings and problems as JSON")
    parser.add_argument("--probes", metavar="FILE", action="append", default=[],
                        help="scenario or lab.yaml whose probes tell lint which names and paths the lab uses")


class ProbeFileError(ValueError):
    """A --probes file cannot be read."""


def _collect(data: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "probes" and isinstance(value, list):
                found.extend(p for p in value if isinstance(p, dict))
            else:
                _collect(value, found)
    elif isinstance(data, list):
        for item in data:
            _collect(item, found)


def read_probes(path: str) -> list[dict[str, Any]]:
    """Every `probes:` list anywhere in a YAML file (scenario files, lab.yaml steps)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        docs = parse_documents(text)
    except OSError as exc:
        raise ProbeFileError(f"The probes file {path!r} cannot be read ({exc.strerror or exc}); "
                             "check the path.") from None
    except YamlSyntaxError as exc:
        raise ProbeFileError(f"The probes file {path!r} is not valid YAML (line {exc.line}): {exc.message}") from None
    found: list[dict[str, Any]] = []
    for doc in docs:
        _collect(doc.data, found)
    return found


def run(args: argparse.Namespace) -> int:
    try:
        probes = [p for path in args.probes for p in read_probes(path)]
    except ProbeFileError as exc:
        print(f"labs lint: {exc}", file=sys.stderr)
        return 2
    report = lint_report(args.files, probes=probes)
    sys.stdout.write(to_json(report) if args.json else format_text(report))
    return report.exit_code
