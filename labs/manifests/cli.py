"""`python -m labs validate FILE... [--json]`: check manifests and policies without applying them.

Each file is checked on its own so the summary can say which files are fine; exit 0 when all are
valid, 2 when any is invalid or cannot be read.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict

from labs.manifests.errors import ManifestError

__all__ = ["add_arguments", "run", "summarise"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="YAML files (multi-document) to check")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--namespace", default="default",
                        help="namespace for objects that do not name one (default: %(default)s)")


def summarise(manifests) -> str:
    """'3 documents: 1 Deployment (2 pods), 1 Service, 1 CiliumNetworkPolicy'."""
    kinds = Counter(doc.kind for doc in manifests.documents)
    parts = []
    for kind, count in kinds.items():
        text = f"{count} {kind}"
        if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
            pods = sum(1 for p in manifests.pods if p.owner and p.owner.split("/")[0] == kind)
            text += f" ({pods} pod{'s' if pods != 1 else ''})"
        parts.append(text)
    total = len(manifests.documents)
    return f"{total} document{'s' if total != 1 else ''}" + (f": {', '.join(parts)}" if parts else "")


def run(args: argparse.Namespace) -> int:
    from labs.manifests.load import load_sources

    results = []
    for name in args.files:
        try:
            manifests = load_sources([name], default_namespace=args.namespace)
        except ManifestError as exc:
            results.append({"file": name, "valid": False, "problems": [asdict(p) for p in exc.problems],
                            "text": [str(p) for p in exc.problems]})
        else:
            results.append({"file": name, "valid": True, "summary": summarise(manifests), "problems": []})
    failed = [r for r in results if not r["valid"]]
    if args.json:
        for result in results:
            result.pop("text", None)
        print(json.dumps({"files": results, "valid": not failed,
                          "problems": sum(len(r["problems"]) for r in results)}, indent=2))
    else:
        for result in results:
            if result["valid"]:
                print(f"{result['file']}: valid, {result['summary']}")
            else:
                count = len(result["problems"])
                print(f"{result['file']}: {count} problem{'s' if count != 1 else ''}; nothing would be applied:")
                for line in result["text"]:
                    print(f"  {line}")
    return 2 if failed else 0
