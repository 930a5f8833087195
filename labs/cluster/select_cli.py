"""`python -m labs backend`: say which backend the labs will use, and why."""

from __future__ import annotations

import argparse
import json
import sys

from labs.cluster.base import ClusterError
from labs.cluster.select import BACKENDS, choose

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="override LABS_BACKEND for this check (default: LABS_BACKEND, else auto)")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                        help="how long to wait for the API server (default 5)")
    parser.add_argument("--json", action="store_true", help="print {backend, reason} as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        choice = choose(args.backend, timeout=args.timeout)
    except ValueError as exc:
        print(f"labs backend: {exc}", file=sys.stderr)
        return 2
    except ClusterError as exc:
        if args.json:
            print(json.dumps({"backend": None, "reason": str(exc)}))
        else:
            print(f"labs backend: the live backend is not usable: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"backend": choice.backend, "reason": choice.reason}))
    else:
        print(choice.reason)
    return 0
