"""`python -m labs doctor [--json]`: host and cluster checks; exit 1 when any check fails."""

from __future__ import annotations

import argparse

from labs.doctor import doctor

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                        help="how long to wait for the API server on each call (default 5)")
    parser.add_argument("--wait", type=float, default=120.0, metavar="SECONDS",
                        help="how long the test pods may take to start (default 120)")
    parser.add_argument("--no-workload", action="store_true",
                        help="skip the test pods (DNS, pod-to-pod and Hubble checks)")
    parser.add_argument("--host-only", action="store_true", help="check only this machine, not the cluster")


def run(args: argparse.Namespace) -> int:
    if args.timeout <= 0 or args.wait <= 0:
        parser_value = "--timeout" if args.timeout <= 0 else "--wait"
        print(f"labs doctor: {parser_value} must be a positive number of seconds.")
        return 2
    report = doctor(cluster=not args.host_only, workload=not args.no_workload, timeout=args.timeout, wait=args.wait)
    print(report.to_json() if args.json else str(report))
    return 0 if report.ok else 1
