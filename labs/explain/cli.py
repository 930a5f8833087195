"""`python -m labs explain --from NS/POD --to TARGET [--port N] ... [FILES...]`.

With FILES, the verdict is computed on a simulated cluster made of those files (workloads and
policies); without, on the current backend's state (`LABS_BACKEND`, as the notebooks use).
Exit 0 when allowed, 1 when denied, 2 for invalid input or a probe that cannot run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from labs.manifests.errors import ManifestError
from labs.manifests.values import iana_service_name
from labs.outcomes import Outcome
from labs.probes import PROTOCOLS, HttpRequest, Probe, parse_target

if TYPE_CHECKING:
    from labs.cluster.base import Cluster

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", required=True, metavar="NS/POD", help="the client pod")
    parser.add_argument("--to", dest="target", metavar="TARGET",
                        help="ns/pod, svc:ns/name, fqdn:name, ip:ADDRESS or entity:NAME")
    parser.add_argument("--port", help="port number or named port")
    parser.add_argument("--protocol", default="TCP", type=str.upper, choices=PROTOCOLS)
    parser.add_argument("--http", nargs=2, metavar=("METHOD", "PATH"), help="send this HTTP request")
    parser.add_argument("--dns", metavar="NAME", help="explain a DNS lookup of NAME instead")
    parser.add_argument("--backend", choices=("auto", "sim", "live"), default=None,
                        help="without FILES: which cluster's state to explain (default: LABS_BACKEND or auto)")
    parser.add_argument("--json", action="store_true", help="print the explanation as JSON")
    parser.add_argument("files", nargs="*", metavar="FILES", help="manifests and policies to explain against")


def _probe(args: argparse.Namespace) -> Probe:
    if (args.target is None) == (args.dns is None):
        raise ValueError("give either --to TARGET or --dns NAME")
    if args.source.count("/") != 1:
        raise ValueError(f"--from {args.source!r} is not a pod; write it as namespace/pod")
    target = parse_target(args.target) if args.target else None
    port: int | str | None = args.port
    if port is not None and str(port).isdigit():
        port = int(port)
        if not 1 <= port <= 65535:
            raise ValueError(f"--port {port} is outside 1-65535")
    elif port is not None and not iana_service_name(str(port)):
        raise ValueError(f"--port {port!r} is neither a number from 1 to 65535 nor a port name such as 'http'")
    if target is not None and args.protocol != "ICMP" and port is None:
        raise ValueError(f"--port is needed for a {args.protocol} probe")
    http = HttpRequest(args.http[0], args.http[1]) if args.http else None
    return Probe(args.source, target, port, args.protocol, http, args.dns.lower() if args.dns else None)


def run(args: argparse.Namespace) -> int:
    from labs.explain.trace import explain

    cluster: Cluster
    try:
        probe = _probe(args)
        if args.files:
            from labs.cluster.sim import SimCluster

            cluster = SimCluster(reason="simulated from the files given")
            cluster.apply(args.files)
        else:
            from labs.cluster.select import get_cluster

            cluster = get_cluster(args.backend)
        exp = explain(cluster, probe)
    except ManifestError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (ValueError, RuntimeError) as exc:
        print(f"labs explain: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"probe": probe.describe(), "outcome": exp.outcome.value, "reason": exp.reason,
                          "drop_reason": exp.verdict.drop_reason if exp.verdict else None,
                          "notes": list(exp.verdict.notes) if exp.verdict else [],
                          "trace": exp.lines(), "suggestion": exp.suggestion, "evidence": exp.evidence}, indent=1))
    else:
        print(exp)
    if exp.outcome is Outcome.ERROR:
        return 2
    return 0 if exp.outcome is Outcome.ALLOWED else 1
