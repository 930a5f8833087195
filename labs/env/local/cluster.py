"""up, down and status of one local control plane, kept in one state directory.

`up` starts the components in dependency order and waits (bounded) for each: etcd's /health, the API
server's /readyz, the controller manager's and scheduler's /healthz, then installs Cilium's CRDs. A
failure stops whatever this `up` started and shows the end of the failing component's log.
"""

from __future__ import annotations

import json
import shutil
import ssl
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from labs.env.local import node, procs
from labs.env.local.build import Binaries, ensure_binaries
from labs.env.local.ciliumbuild import ensure_cilium_binaries
from labs.env.local.components import Paths, Ports, apiserver_args, controller_manager_args, etcd_args, scheduler_args
from labs.env.local.crds import cilium_crd_files, install_crds
from labs.env.local.kubeconfig import kubeconfig_text, write_kubeconfig
from labs.env.local.layout import LocalClusterError, Versions
from labs.env.local.pki import write_pki
from labs.env.local.rest import AdminClient
from labs.env.local.waiting import free_ports, wait_for

__all__ = ["ORDER", "up", "down", "status"]

ORDER = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
"""Start order; `down` stops in the reverse order."""








def _etcd_healthy(paths: Paths, port: int) -> bool:
    context = ssl.create_default_context(cafile=str(paths.pki / "ca.crt"))
    context.load_cert_chain(paths.cert("apiserver-etcd-client"), paths.key("apiserver-etcd-client"))
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/health", context=context, timeout=3) as reply:
        return json.loads(reply.read()).get("health") == "true"


def _healthz(port: int) -> bool:
    """The controller manager and scheduler serve /healthz to anyone, over a self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=context, timeout=3) as reply:
        return reply.status == 200


def _running(paths: Paths) -> dict[str, bool]:
    result = {}
    for name in ORDER:
        started = procs.read_pidfile(paths.run, name)
        result[name] = started is not None and procs.alive(started)
    return result


def _load_ports(paths: Paths) -> Ports | None:
    try:
        return Ports(**json.loads(paths.state.read_text())["ports"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def up(state_dir: Path, versions: Versions, *, timeout: float = 180.0, out: TextIO,
       cache: Path | None = None, with_node: bool = False, with_cilium: bool = False) -> Path:
    """Build if needed, start (or find running) the control plane, and with `with_node` the node
    (`labs.env.local.node`), its CNI being Cilium with `with_cilium`; return the admin kubeconfig's path."""
    with_node = with_node or with_cilium
    paths = Paths(state_dir)
    running = _running(paths)
    if all(running.values()) and paths.kubeconfig.exists():
        node_running = all(v.startswith("running") for v in node.node_status(paths).values()) \
            and node.node_runs_cilium(paths) == with_cilium
        if not with_node or node_running:
            print(f">> the local cluster in {state_dir} is already running", file=out, flush=True)
            return paths.kubeconfig
        if node.node_requested(paths):
            node.down_node(paths, out=out)
        _start_node(paths, versions, timeout, out, cache, with_cilium)
        return paths.kubeconfig
    if any(running.values()):
        print(">> some components of the local cluster stopped; restarting all of them", file=out, flush=True)
        down(state_dir, out=out)
    binaries = ensure_binaries(versions, out=out, root=cache)
    crd_files = cilium_crd_files(versions.cilium, root=cache)
    for directory in (paths.root, paths.run, paths.logs):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not (paths.pki / "sa.key").exists():
        write_pki(paths.pki)
    ports = Ports(*free_ports(5))
    paths.state.write_text(json.dumps({"ports": asdict(ports), "kubernetes": binaries.kubernetes,
                                       "etcd": binaries.etcd, "bin": str(binaries.directory)}) + "\n")
    try:
        _start_all(paths, ports, binaries, versions, crd_files, time.monotonic() + timeout, out)
    except BaseException:
        down(state_dir, out=out)
        raise
    if with_node:
        _start_node(paths, versions, timeout, out, cache, with_cilium)
    return paths.kubeconfig


def _start_node(paths: Paths, versions: Versions, timeout: float, out: TextIO, cache: Path | None,
                with_cilium: bool = False) -> None:
    """Start the node on the running control plane; on failure stop the node (the control plane stays)."""
    cilium = ensure_cilium_binaries(versions, out=out, root=cache) if with_cilium else None
    ports = _load_ports(paths)
    if ports is None:
        raise LocalClusterError(f"{paths.state} is unreadable: run `down` and `up` again")
    admin = AdminClient(ports.apiserver, paths.pki, timeout=10.0)
    try:
        node.up_node(paths, versions, admin, ports.apiserver, timeout=timeout, out=out, cache=cache, cilium=cilium)
    except BaseException:
        if node.node_requested(paths):
            node.down_node(paths, out=out)
        raise


def _start_all(paths: Paths, ports: Ports, binaries: Binaries, versions: Versions, crd_files: list[Path],
               deadline: float, out: TextIO) -> None:
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    say(f">> starting etcd {binaries.etcd} on 127.0.0.1:{ports.etcd_client}")
    procs.start("etcd", etcd_args(binaries.path("etcd"), paths, ports), paths.run, paths.logs)
    wait_for("/health", lambda: _etcd_healthy(paths, ports.etcd_client), deadline, paths, "etcd")
    say(f">> starting kube-apiserver v{binaries.kubernetes} on https://127.0.0.1:{ports.apiserver}")
    procs.start("kube-apiserver", apiserver_args(binaries.path("kube-apiserver"), paths, ports), paths.run,
                paths.logs)
    admin = AdminClient(ports.apiserver, paths.pki, timeout=5.0)
    wait_for("/readyz", lambda: admin.request("GET", "/readyz").status == 200, deadline, paths, "kube-apiserver")
    write_kubeconfig(paths.kubeconfig, kubeconfig_text(ports.apiserver, paths.pki, "admin", "ciliumlab-admin"))
    for name, identity, user in (("kube-controller-manager", "controller-manager", "system:kube-controller-manager"),
                                 ("kube-scheduler", "scheduler", "system:kube-scheduler")):
        write_kubeconfig(paths.component_kubeconfig(name), kubeconfig_text(ports.apiserver, paths.pki, identity, user))
    say(">> starting kube-controller-manager and kube-scheduler")
    procs.start("kube-controller-manager",
                controller_manager_args(binaries.path("kube-controller-manager"), paths, ports), paths.run, paths.logs)
    procs.start("kube-scheduler", scheduler_args(binaries.path("kube-scheduler"), paths, ports), paths.run,
                paths.logs)
    wait_for("/healthz", lambda: _healthz(ports.controller_manager), deadline, paths, "kube-controller-manager")
    wait_for("/healthz", lambda: _healthz(ports.scheduler), deadline, paths, "kube-scheduler")
    say(f">> installing {len(crd_files)} Cilium {versions.cilium} CRDs")
    install_crds(admin, crd_files, max(5.0, deadline - time.monotonic()))
    say(f">> the local cluster is ready; logs in {paths.logs}")


def down(state_dir: Path, *, out: TextIO, purge: bool = False) -> dict[str, str]:
    """Stop every component this directory's pid files name (reverse order); `purge` deletes the directory."""
    paths = Paths(state_dir)
    results = {}
    if node.node_requested(paths) or any(v != "stopped" for v in node.node_status(paths).values()):
        results.update(node.down_node(paths, out=out))
    for name in reversed(ORDER):
        results[name] = procs.stop(paths.run, name)
        print(f">> {name}: {results[name]}", file=out, flush=True)
    if purge and paths.root.exists():
        shutil.rmtree(paths.root)
        print(f">> removed {paths.root}", file=out, flush=True)
    return results


def status(state_dir: Path) -> tuple[bool, dict[str, str]]:
    """(all running and ready, name -> 'running (pid N)' or 'stopped', plus the /readyz answer)."""
    paths = Paths(state_dir)
    report: dict[str, str] = {}
    ok = True
    for name in ORDER:
        started = procs.read_pidfile(paths.run, name)
        if started is not None and procs.alive(started):
            report[name] = f"running (pid {started.pid})"
        else:
            report[name] = "stopped"
            ok = False
    ports = _load_ports(paths)
    if ports is not None and report["kube-apiserver"].startswith("running"):
        try:
            reply = AdminClient(ports.apiserver, paths.pki, timeout=3.0).request("GET", "/readyz")
            report["readyz"] = f"HTTP {reply.status} on https://127.0.0.1:{ports.apiserver}"
            ok = ok and reply.status == 200
        except (OSError, ssl.SSLError) as exc:
            report["readyz"] = f"no answer ({exc})"
            ok = False
    if node.node_requested(paths):
        for name, text in node.node_status(paths).items():
            report[name] = text
            ok = ok and text.startswith("running")
    if paths.kubeconfig.exists():
        report["kubeconfig"] = str(paths.kubeconfig)
    return ok, report
