"""`python -m labs workshop provision|teardown|verify|status|flows-serve`: the instructor's commands.

Exit codes follow `labs.__main__`: 0 done, 1 a check did not hold (verify found a leak, a trainee's
step is failing with --fail-on-error), 2 invalid input (trainee list, lab name, backend unreachable).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from labs.cluster.base import DEFAULT_PROBE_TIMEOUT, ClusterError
from labs.workshop.checks import DEFAULT_PARALLEL
from labs.workshop.http_serving import DEFAULT_STOP_GRACE
from labs.workshop.names import TraineeError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser, *, backend_default: str = "live") -> None:
        p.add_argument("--trainees", required=True, metavar="FILE",
                       help="trainee list: YAML (a list or 'trainees:') or text, one name a line")
        p.add_argument("--lab", action="append", default=[], metavar="LAB", help="only this lab (repeatable)")
        p.add_argument("--manifests", type=Path, default=None, help="the course's manifests folder")
        p.add_argument("--folder", type=Path, default=None,
                       help="workshop folder for kubeconfigs, progress and help bundles (default $LABS_HOME/workshop)")
        p.add_argument("--backend", choices=("live", "sim"), default=backend_default,
                       help=f"cluster to act on (default {backend_default}); sim is a rehearsal in memory")
        p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the cluster (default 120)")

    p = sub.add_parser("provision", help="create namespaces, ServiceAccounts, RBAC and kubeconfigs per trainee")
    common(p)
    p.add_argument("--token-request", action="store_true",
                   help="use time-limited TokenRequest tokens instead of ServiceAccount token Secrets")
    p.add_argument("--token-hours", type=float, default=12.0, help="lifetime of TokenRequest tokens (default 12)")
    p.add_argument("--print", dest="print_only", action="store_true",
                   help="print the objects as YAML and change nothing")

    p = sub.add_parser("teardown", help="remove what provision created for these trainees")
    common(p)
    p.add_argument("--shared", action="store_true",
                   help="also remove the workshop's shared objects (use once every trainee is gone)")

    p = sub.add_parser("verify", help="prove with SubjectAccessReviews that no trainee reaches another's namespaces")
    common(p)
    p.add_argument("--offline", action="store_true",
                   help="answer from the generated objects with the built-in RBAC evaluator (no cluster)")
    p.add_argument("--parallel", type=int, default=16, help="concurrent reviews (default 16)")

    p = sub.add_parser("status", help="trainees by lab and step, from progress files and live checks")
    common(p, backend_default="live")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--progress", default=None, metavar="TEMPLATE",
                   help="where progress files are: a folder of <trainee>.json, or a path with {trainee}")
    p.add_argument("--live", action="store_true", help="also probe every step on the cluster now")
    p.add_argument("--step", action="append", default=[], help="live-check only this step id (repeatable)")
    p.add_argument("--probe-timeout", type=float, default=DEFAULT_PROBE_TIMEOUT,
                   help=f"seconds per probe (default {DEFAULT_PROBE_TIMEOUT:g})")
    p.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL,
                   help=f"steps checked at once (default {DEFAULT_PARALLEL})")
    p.add_argument("--bundles", type=Path, default=None, metavar="DIR", help="write a help bundle per trainee here")
    p.add_argument("--no-doctor", action="store_true", help="do not run labs doctor in help bundles")


    p = sub.add_parser("flows-serve", help="serve each trainee the Hubble flows of their own namespaces")
    common(p)
    p.add_argument("--listen", default="127.0.0.1:4246", metavar="HOST:PORT",
                   help="address to serve on (default 127.0.0.1:4246); trainees set LABS_FLOWS_URL to it")
    p.add_argument("--stop-timeout", type=float, default=DEFAULT_STOP_GRACE, metavar="SECONDS",
                   help="after Ctrl-C, seconds the requests still open get to answer (default "
                        f"{DEFAULT_STOP_GRACE:g}); Hubble reads in progress are aborted at once")


def _room(args: argparse.Namespace) -> Any:
    from labs.workshop.room import Room

    kwargs: dict[str, Any] = {"labs": args.lab}
    if args.manifests is not None:
        kwargs["manifests"] = args.manifests
    if args.folder is not None:
        kwargs["folder"] = args.folder
    if getattr(args, "progress", None):
        kwargs["progress_template"] = args.progress
    return Room.from_file(args.trainees, **kwargs)


def _cluster(args: argparse.Namespace) -> Any:
    from labs.cluster.select import get_cluster

    return get_cluster(args.backend)


def run(args: argparse.Namespace) -> int:
    try:
        room = _room(args)
    except (TraineeError, FileNotFoundError, ValueError) as exc:
        print(f"labs workshop: {exc}", file=sys.stderr)
        return 2
    try:
        return _ACTIONS[args.action](room, args)
    except ClusterError as exc:
        print(f"labs workshop {args.action}: {exc}", file=sys.stderr)
        return 2


def _provision(room: Any, args: argparse.Namespace) -> int:
    if args.print_only:
        print(yaml.safe_dump_all(room.objects(), sort_keys=False), end="")
        return 0
    cluster = _cluster(args)
    if cluster.backend == "sim":
        from labs.workshop.provision import SIM_ENDPOINT, SimulatedTokens

        tokens: Any = SimulatedTokens()
        endpoint = SIM_ENDPOINT
    else:
        from labs.workshop.kubeconfig import endpoint_from_kubeconfig
        from labs.workshop.live import RequestedTokens, SecretTokens

        client = cluster.api.client
        tokens = RequestedTokens(client, hours=args.token_hours) if args.token_request else SecretTokens(client)
        choice = cluster.connection.choice
        endpoint = endpoint_from_kubeconfig(choice.data, choice.context, where=choice.label)
    report = room.provision(cluster, tokens=tokens, endpoint=endpoint, timeout=args.timeout)
    print("\n".join(report.lines()))
    return 0


def _teardown(room: Any, args: argparse.Namespace) -> int:
    report = room.teardown(_cluster(args), shared=args.shared, timeout=args.timeout)
    print("\n".join(report.lines()))
    return 0


def _verify(room: Any, args: argparse.Namespace) -> int:
    reviewer = None
    if not args.offline:
        cluster = _cluster(args)
        if cluster.backend != "live":
            print("labs workshop verify: SubjectAccessReviews need a live cluster; use --offline to check the "
                  "generated objects instead.", file=sys.stderr)
            return 2
        from labs.workshop.live import SubjectAccessReviewer

        reviewer = SubjectAccessReviewer(cluster.api.client, timeout=min(args.timeout, 30.0))
    report = room.verify(reviewer, parallel=args.parallel)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def _status(room: Any, args: argparse.Namespace) -> int:
    cluster = _cluster(args) if (args.live or args.bundles) else None
    status = room.status(cluster if args.live else None, steps=args.step, timeout=args.probe_timeout,
                         parallel=args.parallel)
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
    else:
        print(status.render_text(), end="")
    if args.bundles:
        folders = room.help_bundles(status, cluster=cluster, out_dir=args.bundles, doctor=not args.no_doctor)
        print(f"Wrote {len(folders)} help bundle(s) into {args.bundles}.", file=sys.stderr if args.json else sys.stdout)
    return 0


def _flows_serve(room: Any, args: argparse.Namespace) -> int:
    """Read Hubble with the instructor's kubeconfig; answer each listed trainee with their own flows."""
    from labs.cluster.live.connect import connect
    from labs.cluster.live.execpod import KubernetesExec
    from labs.cluster.live.hubble import AgentExecHubble
    from labs.workshop.flows_service import FlowsService, TokenReviewer, trainee_namespaces
    from labs.workshop.http_serving import serve_until_interrupted

    host, _, port_text = str(args.listen).rpartition(":")
    if not host or not port_text.isdigit():
        print(f"labs workshop flows-serve: --listen {args.listen!r} must be HOST:PORT", file=sys.stderr)
        return 2
    if args.stop_timeout < 0:
        print(f"labs workshop flows-serve: --stop-timeout {args.stop_timeout:g} must be 0 or more", file=sys.stderr)
        return 2
    api = connect(timeout=min(args.timeout, 10.0)).api
    listed = set(room.trainees)
    execer = KubernetesExec(api.client)
    service = FlowsService(TokenReviewer(api), AgentExecHubble(api, execer),
                           lambda trainee: trainee_namespaces(api, trainee) if trainee in listed else set())
    server = service.server(host, int(port_text))
    bound = f"http://{host}:{server.server_address[1]}"
    print(f"Serving the flows of {len(listed)} trainee(s) on {bound}/flows; in each trainee's environment set "
          f"LABS_FLOWS_URL={bound}. Ctrl-C stops.", flush=True)
    still_open = serve_until_interrupted(server, abort=execer.stop, grace=args.stop_timeout)
    if still_open:
        print(f"labs workshop flows-serve: stopped with {still_open} request(s) unanswered after "
              f"{args.stop_timeout:g} s", file=sys.stderr)
    return 0


_ACTIONS = {"provision": _provision, "teardown": _teardown, "verify": _verify, "status": _status,
            "flows-serve": _flows_serve}
