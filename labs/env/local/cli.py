"""`scripts/local-cluster up|down|status|build`: the local control plane for tests.

Exit codes: 0 success, 1 the action failed (the message says why), 2 invalid input. `up` prints the
admin kubeconfig's path as its last line, so `KUBECONFIG=$(scripts/local-cluster up | tail -n1)` works.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from labs.env.local import cluster
from labs.env.local.build import ensure_binaries
from labs.env.local.layout import LocalClusterError, default_state_dir, pinned_versions
from labs.env.local.node import build_node

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/local-cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=None,
                        help="state directory of this cluster (default: $LABS_LOCAL_CLUSTER_DIR or "
                             "~/.local/state/ciliumlab/local-cluster)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser("up", help="build if needed, start, wait until ready; prints the kubeconfig path last")
    up.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the components (default 180)")
    up.add_argument("--node", action="store_true", default=os.environ.get("LABS_LOCAL_CLUSTER_NODE") == "1",
                    help="also start a node (containerd, kubelet, kube-proxy, CoreDNS) so pods run; needs root "
                         "(default: $LABS_LOCAL_CLUSTER_NODE=1)")
    up.add_argument("--cilium", action="store_true", default=os.environ.get("LABS_LOCAL_CLUSTER_CILIUM") == "1",
                    help="the node's CNI is a Cilium agent built from its Go module (implies --node; replaces "
                         "kube-proxy; no Envoy is built, so HTTP rules are not enforced) "
                         "(default: $LABS_LOCAL_CLUSTER_CILIUM=1)")
    down = actions.add_parser("down", help="stop every process `up` started")
    down.add_argument("--purge", action="store_true", help="also delete the state directory (data, certificates)")
    actions.add_parser("status", help="which components run, and whether the API server is ready")
    build = actions.add_parser("build", help="build (or find cached) binaries and print their directory")
    build.add_argument("--node", action="store_true", default=os.environ.get("LABS_LOCAL_CLUSTER_NODE") == "1",
                       help="also install the node's apt packages (as root) and build its binaries and images")
    build.add_argument("--cilium", action="store_true", default=os.environ.get("LABS_LOCAL_CLUSTER_CILIUM") == "1",
                       help="also build Cilium (agent, CNI, cilium-dbg, hubble, relay, operator) and install "
                            "clang-19, llvm-19 and bpftool (implies --node)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    slot = os.environ.get("LABS_LOCAL_NODE_SLOT", "0")
    if slot not in tuple("0123456789"):
        print(f"local-cluster: LABS_LOCAL_NODE_SLOT must be one digit 0-9, not {slot!r}", file=sys.stderr)
        return 2
    state = args.dir or default_state_dir()
    out = sys.stderr
    try:
        versions = pinned_versions()
        if args.action == "build":
            started = time.monotonic()
            binaries = ensure_binaries(versions, out=out)
            if args.node or args.cilium:
                build_node(versions, out=out, cilium=args.cilium)
            print(f">> binaries ready in {time.monotonic() - started:.1f} s", file=out)
            print(binaries.directory)
        elif args.action == "up":
            if args.timeout <= 0:
                print("local-cluster up: --timeout must be a positive number of seconds", file=sys.stderr)
                return 2
            print(cluster.up(state, versions, timeout=args.timeout, out=out, with_node=args.node,
                            with_cilium=args.cilium))
        elif args.action == "down":
            cluster.down(state, out=out, purge=args.purge)
        else:
            ok, report = cluster.status(state)
            for name, text in report.items():
                print(f"{name:24} {text}")
            return 0 if ok else 1
    except LocalClusterError as exc:
        print(f"local-cluster {args.action}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"local-cluster {args.action}: interrupted", file=sys.stderr)
        return 1
    return 0
