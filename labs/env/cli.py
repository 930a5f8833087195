"""`python -m labs env ACTION`: manage the course VM cluster from the host.

up (vagrant up, then export the kubeconfig), status, kubeconfig, hubble-ui (port-forward on
127.0.0.1), reset (delete lab namespaces and policies, keep the cluster) and destroy. Exit codes:
0 success, 1 the action failed, 2 invalid input.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from labs.env.errors import EnvError
from labs.env.kubeconfig import export_kubeconfig
from labs.env.reset import lab_selector, reset_commands
from labs.env.vagrant import CONTROL_PLANE, ClusterShell, Vagrant
from labs.paths import repo_root, vm_kubeconfig

__all__ = ["add_arguments", "run"]

PROVIDERS = ("virtualbox", "vmware_desktop", "parallels", "libvirt")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser("up", help="create and provision the VMs (vagrant up), then export the kubeconfig")
    up.add_argument("--provider", choices=PROVIDERS, help="use this provider instead of settings.yaml's order")
    actions.add_parser("status", help="VM states, nodes and Cilium status")
    actions.add_parser("kubeconfig", help="copy the cluster's kubeconfig to .kube/config (mode 0600)")
    hubble = actions.add_parser("hubble-ui", help="serve Hubble UI on http://127.0.0.1:PORT until Ctrl-C")
    hubble.add_argument("--port", type=int, default=12000, help="local port (default 12000)")
    reset = actions.add_parser(
        "reset", help="delete lab namespaces and policies (label ciliumlab.io/lab); keep the cluster"
    )
    reset.add_argument("--lab", help="only this lab (e.g. lab04); default: every lab")
    reset.add_argument("--timeout", type=int, default=180, help="seconds to wait for namespaces to go (default 180)")
    destroy = actions.add_parser("destroy", help="delete the VMs (the download cache in .cache/ is kept)")
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(args: argparse.Namespace) -> int:
    vagrant = Vagrant(repo_root())
    handlers = {"up": up, "status": status, "kubeconfig": kubeconfig, "hubble-ui": hubble_ui, "reset": reset,
                "destroy": destroy}
    try:
        return handlers[args.action](vagrant, args)
    except EnvError as exc:
        print(f"labs env {args.action}: {exc}", file=sys.stderr)
        return exc.exit_code


def up(vagrant: Vagrant, args: argparse.Namespace) -> int:
    extra = ["--provider", args.provider] if args.provider else []
    code = vagrant.run("up", *extra)
    if code != 0:
        print(f"labs env up: 'vagrant up' failed (exit {code}); the messages above say why. Fix it and run "
              "'python -m labs env up' again: provisioning is safe to repeat.", file=sys.stderr)
        return 1
    kubeconfig(vagrant, args)
    print("Next: 'scripts/start-course' opens the labs; 'python -m labs env hubble-ui' serves Hubble UI.")
    return 0


def status(vagrant: Vagrant, _args: argparse.Namespace) -> int:
    states = vagrant.machine_states()
    for name, state in states.items():
        print(f"{name:<16} {state.replace('_', ' ')}")
    if states.get(CONTROL_PLANE) != "running":
        print("The cluster is not running; start it with 'python -m labs env up'.")
        return 1
    exported = vm_kubeconfig()
    print(f"kubeconfig:      {exported if exported.is_file() else 'not exported yet: python -m labs env kubeconfig'}")
    return vagrant.run("ssh", CONTROL_PLANE, "-c", "kubectl get nodes -o wide && cilium status")


def kubeconfig(vagrant: Vagrant, _args: argparse.Namespace) -> int:
    destination = vm_kubeconfig()
    server = export_kubeconfig(vagrant, destination)
    print(f"Wrote {destination} (mode 0600, API server {server}). It is cluster-admin: keep it private.")
    return 0


def hubble_ui(vagrant: Vagrant, args: argparse.Namespace) -> int:
    if not 1024 <= args.port <= 65535:
        raise EnvError(f"--port {args.port} is not a port from 1024 to 65535.", exit_code=2)
    vagrant.require_running()
    shell = ClusterShell(vagrant, vm_kubeconfig())
    forward = ["-n", "kube-system", "port-forward", "--address", "127.0.0.1", "svc/hubble-ui"]
    if shell.host_kubectl():
        argv = shell.kubectl_argv([*forward, f"{args.port}:80"])
    else:  # kubectl in the VM listens on its 127.0.0.1:12000; ssh carries it to the host's 127.0.0.1 only
        argv = shell.kubectl_argv([*forward, "12000:80"], "-L", f"127.0.0.1:{args.port}:127.0.0.1:12000")
    print(f"Hubble UI: open http://127.0.0.1:{args.port} (Ctrl-C stops the port-forward).", flush=True)
    try:
        return subprocess.run(argv, cwd=vagrant.root, env=vagrant.env(), check=False).returncode
    except KeyboardInterrupt:
        return 0


def reset(vagrant: Vagrant, args: argparse.Namespace) -> int:
    selector = lab_selector(args.lab)
    if args.timeout <= 0:
        raise EnvError(f"--timeout {args.timeout} must be a positive number of seconds.", exit_code=2)
    shell = ClusterShell(vagrant, vm_kubeconfig())
    if not shell.host_kubectl():
        vagrant.require_running()
    for command in reset_commands(selector, args.timeout):
        result = shell.kubectl(command, timeout=args.timeout + 60)
        if result.stdout.strip():
            print(result.stdout.strip())
        if result.returncode != 0:
            print(f"labs env reset: 'kubectl {' '.join(command)}' failed: {result.stderr.strip()}", file=sys.stderr)
            return 1
    print(f"Reset done: resources labelled {selector} are gone; the cluster and your files are kept.")
    return 0


def destroy(vagrant: Vagrant, args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            raise EnvError("destroying the VMs needs confirmation; run it in a terminal or pass --yes.", exit_code=2)
        if input("Delete the course VMs and the cluster in them? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing was deleted.")
            return 0
    code = vagrant.run("destroy", "--force")
    if code != 0:
        return 1
    vm_kubeconfig().unlink(missing_ok=True)
    print("The VMs are gone; .cache/ keeps downloads and images, so the next 'up' is faster.")
    return 0
