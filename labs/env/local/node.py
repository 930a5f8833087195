"""Start and stop the local cluster's one node: containerd, kubelet, kube-proxy, the images, CoreDNS.

`up` prepares the host (the node's dummy interface, two sysctls), starts containerd on a socket of its
own, imports the local images (`labs.env.local.images`), starts the kubelet and kube-proxy, waits until
the node is Ready, then deploys CoreDNS and waits until it answers. `down` stops kube-proxy and the kubelet,
kills and deletes every container of this containerd, stops it and its shims, and removes what the node
added to the host (`labs.env.local.hostnet`). Needs root: the kubelet, containerd and the CNI plugins
manage cgroups, mounts and network namespaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

import yaml

from labs.env.local import hostnet, procs
from labs.env.local.build import ensure_node_binaries
from labs.env.local.ciliumagent import CiliumPaths
from labs.env.local.ciliumbuild import CiliumBinaries
from labs.env.local.ciliumnode import AGENT, down_cilium, up_cilium
from labs.env.local.components import Paths
from labs.env.local.dns import coredns_objects
from labs.env.local.images import build_images
from labs.env.local.kubeconfig import kubeconfig_text, write_kubeconfig
from labs.env.local.layout import LocalClusterError, Versions, cache_root
from labs.env.local.nodeconfig import (
    BRIDGE,
    CNI_NETWORK,
    KUBELET_CGROUP_ROOT,
    NODE_IP,
    NODE_LINK,
    NODE_NAME,
    NodePaths,
    NodePorts,
    cni_bin_dir,
    cni_conflist,
    containerd_config,
    kube_proxy_args,
    kube_proxy_config,
    kubelet_args,
    kubelet_config,
)
from labs.env.local.pki import write_node_pki
from labs.env.local.rest import AdminClient
from labs.env.local.waiting import free_ports, wait_for

__all__ = ["NODE_ORDER", "CILIUM_NODE_ORDER", "HOST_TOOLS", "APT_PACKAGES", "CILIUM_APT_PACKAGES", "node_paths",
           "node_requested", "node_runs_cilium", "up_node", "down_node", "node_status", "missing_host_tools",
           "build_node"]

NODE_ORDER = ("containerd", "kubelet", "kube-proxy")
CILIUM_NODE_ORDER = ("containerd", "kubelet", AGENT)
"""With Cilium (`--cilium`) the agent replaces kube-proxy, as on the course VM (kubeProxyReplacement: true)."""
HOST_TOOLS = {"containerd": "containerd", "containerd-shim-runc-v2": "containerd", "ctr": "containerd",
              "runc": "runc", "iptables": "iptables", "ip": "iproute2", "ldd": "libc-bin", "curl": "curl",
              "wget": "wget", "apt-get": "apt", "dpkg-deb": "dpkg"}
"""Programs the node needs on the host, and the Debian package of each."""
APT_PACKAGES = ("containerd", "runc", "containernetworking-plugins", "iptables", "iproute2", "curl", "wget", "gcc",
                "libc6-dev")
CILIUM_APT_PACKAGES = ("clang-19", "llvm-19", "bpftool")
"""With `--cilium`: the agent's run-time BPF compiler, and bpftool to detach its cgroup programs at `down`."""
"""What `build --node` installs: the runtime, the CNI plugins, and what the images are assembled from."""
FIELD_MANAGER = "ciliumlab-local-cluster"


def node_paths(paths: Paths) -> NodePaths:
    return NodePaths(paths, paths.root / "node" / "containerd-root")


def node_requested(paths: Paths) -> bool:
    """A node was started in this cluster directory (its state file is there)."""
    return node_paths(paths).state.exists()


def missing_host_tools() -> list[str]:
    """'program (package)' for each missing host program, the CNI plugins included."""
    missing = [f"{tool} ({package})" for tool, package in HOST_TOOLS.items() if not shutil.which(tool)]
    if not (Path(cni_bin_dir()) / "bridge").exists():
        missing.append("the CNI bridge plugin (containernetworking-plugins)")
    return missing


def _missing_packages(packages: tuple[str, ...]) -> list[str]:
    missing = []
    for package in packages:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
        if done.returncode != 0 or "install ok installed" not in done.stdout:
            missing.append(package)
    return missing


def install_packages(out: TextIO, packages: tuple[str, ...] = APT_PACKAGES) -> None:
    """apt-get install the node's packages that are missing (root only; apt-get update once if needed)."""
    if not shutil.which("dpkg-query"):
        raise LocalClusterError("the node's packages come from Debian/Ubuntu (apt); this system has no dpkg")
    missing = _missing_packages(packages)
    if not missing:
        return
    if os.geteuid() != 0:
        raise LocalClusterError(f"the node needs these packages: {' '.join(missing)}; install them as root "
                                f"(apt-get install -y {' '.join(missing)})")
    print(f">> apt-get install {' '.join(missing)}", file=out, flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    argv = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True, text=True, env=env)
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise LocalClusterError(f"`{' '.join(argv)}` failed (exit {done.returncode}): {done.stderr.strip()[-800:]}")


def build_node(versions: Versions, *, out: TextIO, cache: Path | None = None, cilium: bool = False) -> None:
    """Install the node's packages, build its binaries and its images (all cached); with `cilium`, Cilium's
    packages and binaries too."""
    install_packages(out, APT_PACKAGES + (CILIUM_APT_PACKAGES if cilium else ()))
    if cilium:
        from labs.env.local.ciliumbuild import ensure_cilium_binaries

        ensure_cilium_binaries(versions, out=out, root=cache)
    binaries = ensure_node_binaries(versions, out=out, root=cache)
    print(">> building the local images (once per version)", file=out, flush=True)
    build_images(binaries, (cache or cache_root()) / versions.kubernetes / "images",
                 lambda text: print(text, file=out, flush=True))


def _ctr(paths: NodePaths, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    argv = ["ctr", "--address", str(paths.containerd_socket), "--namespace", "k8s.io", *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise LocalClusterError(f"`{' '.join(argv)}` failed (exit {done.returncode}): {done.stderr.strip()[-600:]}")
    return done








def _node_ready(admin: AdminClient) -> bool:
    reply = admin.request("GET", f"/api/v1/nodes/{NODE_NAME}")
    if reply.status != 200:
        return False
    conditions = (reply.json().get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _healthz(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as reply:
        return reply.status == 200


def _apply(admin: AdminClient, obj: dict) -> None:
    kind, meta = obj["kind"], obj["metadata"]
    group_version = obj["apiVersion"]
    plural = {"ClusterRole": "clusterroles", "ClusterRoleBinding": "clusterrolebindings", "ConfigMap": "configmaps",
              "Secret": "secrets", "Deployment": "deployments", "Service": "services"}[kind]
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    namespace = f"/namespaces/{meta['namespace']}" if meta.get("namespace") else ""
    path = f"{prefix}{namespace}/{plural}/{meta['name']}?fieldManager={FIELD_MANAGER}&force=true"
    reply = admin.request("PATCH", path, yaml.safe_dump(obj).encode(), content_type="application/apply-patch+yaml")
    if reply.status >= 300:
        raise LocalClusterError(f"applying {kind} {meta['name']} failed (HTTP {reply.status}): {reply.body[:400]!r}")


def _dns_ready(admin: AdminClient) -> bool:
    reply = admin.request("GET", "/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns")
    for pod in (reply.json() or {}).get("items") or []:
        for cond in (pod.get("status") or {}).get("conditions") or []:
            if cond.get("type") == "Ready" and cond.get("status") == "True":
                return True
    return False


def _saved_sysctls() -> dict[str, str]:
    """The values `down` puts back (read before anything is changed)."""
    before = {key: value for key in (*hostnet.SYSCTLS, *hostnet.RESTORED)
              if (value := hostnet.read_sysctl(key)) is not None}
    missing = [key for key in hostnet.SYSCTLS if key not in before]
    if missing:
        lacking = "br_netfilter (modprobe br_netfilter)" if "bridge" in missing[0] else "IPv4 forwarding"
        raise LocalClusterError(f"/proc/sys/{missing[0]} does not exist: the kernel lacks {lacking}")
    return before


def _commands(proc: Path) -> list[list[str]]:
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            found.append([a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0")])
        except OSError:
            continue
    return found


def other_node_kubelets(paths: Paths, *, any_slot: bool = False, proc: Path = Path("/proc")) -> list[str]:
    """Kubelets of another cluster directory running this machine's one node (NODE_NAME on NODE_LINK), or with
    `any_slot` a node in any slot: their --config paths. The node's link, address, bridge and CNI rules are
    shared names, so a second node would take them over and its `down` would remove them from under the first."""
    own = str(node_paths(paths).kubelet_config)
    node_ip = "--node-ip=" + (NODE_IP.rsplit(".", 1)[0] + "." if any_slot else NODE_IP)
    found = []
    for argv in _commands(proc):
        if argv and argv[0].endswith("kubelet") and any(a == node_ip or (any_slot and a.startswith(node_ip))
                                                         for a in argv):
            config = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), "")
            if config != own:
                found.append(config)
    return found


def other_cilium_agents(paths: Paths, *, proc: Path = Path("/proc")) -> list[str]:
    """Cilium agents of another cluster directory: their --k8s-kubeconfig-path. An agent's socket-LB programs sit
    on the host's cgroup2 root and translate every process's connect() to a Service address, and every slot uses
    the same Service range, so a second node beside one loses its Services (measured, docs/live.md)."""
    own = str(paths.kubeconfig)
    found = []
    for argv in _commands(proc):
        if argv and argv[0].endswith("cilium-agent"):
            config = next((a.split("=", 1)[1] for a in argv if a.startswith("--k8s-kubeconfig-path=")), "")
            if config != own:
                found.append(config)
    return found


def _prepare_host() -> None:
    """The node's link and the sysctls pods need."""
    hostnet.add_node_link(NODE_LINK, NODE_IP)
    if KUBELET_CGROUP_ROOT != "/":
        hostnet.add_cgroups(KUBELET_CGROUP_ROOT.strip("/"))
    for key, value in hostnet.SYSCTLS.items():
        hostnet.write_sysctl(key, value)


def up_node(paths: Paths, versions: Versions, admin: AdminClient, apiserver_port: int, *, timeout: float,
            out: TextIO, cache: Path | None = None, cilium: CiliumBinaries | None = None) -> None:
    """Start the node on a running control plane (see the module docstring); `timeout` bounds the waits,
    counted once the binaries and images are built. With `cilium` the Cilium agent is the node's CNI and
    replaces kube-proxy (`labs.env.local.ciliumnode`)."""
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    if os.geteuid() != 0:
        raise LocalClusterError("the node needs root (kubelet, containerd and the CNI plugins manage cgroups, "
                                "mounts and network namespaces); run `up --node` as root, or `up` without a node")
    missing = missing_host_tools()
    if missing:
        raise LocalClusterError("the node needs these host programs: " + ", ".join(missing)
                                + "; `scripts/local-cluster build --node` installs them with apt-get")
    others = other_node_kubelets(paths, any_slot=cilium is not None)
    if others:
        why = " beside a Cilium node (its socket-LB acts on every process of the host)" if cilium else ""
        raise LocalClusterError(f"another local cluster's node is running on this machine (kubelet --config="
                                f"{others[0]}); only one node can run at a time{why}: stop it with "
                                f"`scripts/local-cluster --dir {Path(others[0]).parents[1]} down` first")
    agents = other_cilium_agents(paths)
    if agents:
        raise LocalClusterError(f"another local cluster's Cilium agent is running on this machine "
                                f"(--k8s-kubeconfig-path={agents[0]}); its socket-LB acts on every process of the "
                                f"host, so no other node can run beside it: stop it with "
                                f"`scripts/local-cluster --dir {Path(agents[0]).parent} down` first")
    binaries = ensure_node_binaries(versions, out=out, root=cache)
    npaths = node_paths(paths)
    say(">> building the local images (once per version)")
    archives = build_images(binaries, (cache or cache_root()) / versions.kubernetes / "images", say)
    deadline = time.monotonic() + timeout
    for directory in (npaths.root, npaths.cni_conf_dir, npaths.cni_data, npaths.kubelet_root):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_node_pki(paths.pki, NODE_NAME, NODE_IP)
    for name, identity, user in (("kubelet", "kubelet", f"system:node:{NODE_NAME}"),
                                 ("kube-proxy", "kube-proxy", "system:kube-proxy")):
        write_kubeconfig(paths.component_kubeconfig(name), kubeconfig_text(apiserver_port, paths.pki, identity, user))
    ports = NodePorts(*free_ports(4))
    npaths.state.write_text(json.dumps({"ports": asdict(ports), "sysctls": _saved_sysctls(), "node": NODE_NAME,
                                        "kube_proxy_binary": str(binaries.path("kube-proxy")),
                                        "cilium": cilium is not None}) + "\n")
    _prepare_host()
    sandbox = f"registry.k8s.io/pause:{binaries.pause_version}"
    cni_bin = str(CiliumPaths(paths).cni_bin_dir) if cilium else None
    npaths.containerd_config.write_text(containerd_config(npaths, sandbox, cni_bin))
    bridge_conf = npaths.cni_conf_dir / f"10-{CNI_NETWORK}.conflist"
    if cilium:
        bridge_conf.unlink(missing_ok=True)
    else:
        bridge_conf.write_text(cni_conflist(npaths))
    npaths.kubelet_config.write_text(kubelet_config(npaths, ports))
    npaths.kube_proxy_config.write_text(kube_proxy_config(npaths, ports))

    say(f">> starting containerd on {npaths.containerd_socket}")
    procs.start("containerd", ["containerd", "--config", str(npaths.containerd_config)], paths.run, paths.logs)
    wait_for("socket", lambda: _ctr(npaths, "version", check=False, timeout=5).returncode == 0, deadline, paths,
          "containerd")
    for _spec, archive in archives:  # always: the name moves to the archive's image if a recipe changed
        _ctr(npaths, "images", "import", str(archive), timeout=180)
    say(f">> imported {len(archives)} local images; starting the kubelet as node {NODE_NAME} ({NODE_IP})")
    procs.start("kubelet", kubelet_args(binaries.path("kubelet"), npaths), paths.run, paths.logs)
    if cilium:
        up_cilium(paths, npaths, cilium, admin, deadline, say)
        wait_for("Ready node", lambda: _node_ready(admin), deadline, paths, "kubelet")
    else:
        procs.start("kube-proxy", kube_proxy_args(binaries.path("kube-proxy"), npaths), paths.run, paths.logs)
        wait_for("Ready node", lambda: _node_ready(admin), deadline, paths, "kubelet")
        wait_for("healthz", lambda: _healthz(ports.proxy_healthz), deadline, paths, "kube-proxy")
    say(f">> node {NODE_NAME} is Ready; deploying CoreDNS v{binaries.coredns}")
    dns_kubeconfig = kubeconfig_text(apiserver_port, paths.pki, "coredns", "ciliumlab:coredns")
    for obj in coredns_objects(f"registry.k8s.io/coredns/coredns:v{binaries.coredns}", dns_kubeconfig):
        _apply(admin, obj)
    wait_for("ready CoreDNS pod", lambda: _dns_ready(admin), deadline, paths, "kubelet")
    say(">> the node runs pods; cluster DNS on 10.96.0.10")


def _sandbox_netns(npaths: NodePaths) -> list[str]:
    """Network namespace paths of this containerd's containers (from their OCI specs)."""
    found = []
    listed = _ctr(npaths, "containers", "list", "--quiet", check=False, timeout=20).stdout.split()
    for cid in listed:
        info = _ctr(npaths, "containers", "info", cid, check=False, timeout=20)
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            spec = json.loads(info.stdout).get("Spec") or {}
            for ns in (spec.get("linux") or {}).get("namespaces") or []:
                if ns.get("type") == "network" and ns.get("path") and not ns["path"].startswith("/proc/"):
                    found.append(ns["path"])
    return sorted(set(found))


def _remove_containers(npaths: NodePaths) -> tuple[int, list[str]]:
    """SIGKILL and delete every task and container of this containerd; returns (count, netns paths)."""
    netns = _sandbox_netns(npaths)
    tasks = [line.split()[0] for line in _ctr(npaths, "tasks", "list", check=False, timeout=20).stdout.splitlines()[1:]
             if line.strip()]
    for tid in tasks:
        _ctr(npaths, "tasks", "kill", "--all", "--signal", "SIGKILL", tid, check=False, timeout=20)
    for tid in tasks:
        for _ in range(20):
            if _ctr(npaths, "tasks", "delete", "--force", tid, check=False, timeout=20).returncode == 0:
                break
            time.sleep(0.25)
    containers = _ctr(npaths, "containers", "list", "--quiet", check=False, timeout=20).stdout.split()
    for cid in containers:
        _ctr(npaths, "containers", "delete", cid, check=False, timeout=20)
    return len(containers), netns


def _shims(socket_path: Path) -> list[int]:
    """Pids of containerd shims started for this containerd (their command line names its socket)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and b"containerd-shim" in argv[0] and str(socket_path).encode() in argv:
            found.append(int(entry.name))
    return found


def down_node(paths: Paths, *, out: TextIO) -> dict[str, str]:
    """Stop the node's processes and containers, and undo its host changes (see the module docstring)."""
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    npaths = node_paths(paths)
    results: dict[str, str] = {}
    try:
        saved = json.loads(npaths.state.read_text())
    except (OSError, ValueError):
        saved = {}
    for name in ("kube-proxy", AGENT, "kubelet"):
        results[name] = procs.stop(paths.run, name, timeout=20.0)
        say(f">> {name}: {results[name]}")
    binary = Path(str(saved.get("kube_proxy_binary") or "/nonexistent"))
    if saved and binary.exists() and not saved.get("cilium"):  # kube-proxy's own removal of its iptables chains
        subprocess.run([str(binary), "--cleanup"], capture_output=True, timeout=60)
    containerd = procs.read_pidfile(paths.run, "containerd")
    netns: list[str] = []
    if containerd is not None and procs.alive(containerd):
        count, netns = _remove_containers(npaths)
        say(f">> removed {count} containers")
    results["containerd"] = procs.stop(paths.run, "containerd")
    say(f">> containerd: {results['containerd']}")
    for pid in _shims(npaths.containerd_socket):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
    unmounted = hostnet.unmount_under(npaths.root)
    removed_ns = hostnet.remove_netns(netns)
    rules = 0 if saved.get("cilium") else hostnet.delete_cni_rules(CNI_NETWORK)  # the bridge plugin's rules
    chains = hostnet.delete_kubelet_chains() if saved else 0
    links = [name for name in (BRIDGE, NODE_LINK) if hostnet.delete_link(name)]
    for key, value in (saved.get("sysctls") or {}).items():
        with contextlib.suppress(OSError):
            hostnet.write_sysctl(key, value)
    down_cilium(paths, npaths, say)
    # Slot 0's pods are under the hierarchies' kubepods; another slot's under its own cgroup, and the
    # kubepods at the root belong to slot 0's kubelet then.
    cgroups = hostnet.remove_cgroups(KUBELET_CGROUP_ROOT.strip("/") or "kubepods")
    if npaths.containerd_state.exists():
        shutil.rmtree(npaths.containerd_state, ignore_errors=True)
    if npaths.cni_data.exists():
        shutil.rmtree(npaths.cni_data, ignore_errors=True)
    say(f">> host cleaned: {unmounted} mounts, {removed_ns} network namespaces, {rules} CNI rules, "
        f"{chains} kubelet chains, links {', '.join(links) or 'none'}, {cgroups} cgroups removed")
    npaths.state.unlink(missing_ok=True)
    return results


def node_runs_cilium(paths: Paths) -> bool:
    """The node was started with `--cilium` (its state file says so)."""
    try:
        return bool(json.loads(node_paths(paths).state.read_text()).get("cilium"))
    except (OSError, ValueError):
        return False


def node_status(paths: Paths) -> dict[str, str]:
    report = {}
    for name in CILIUM_NODE_ORDER if node_runs_cilium(paths) else NODE_ORDER:
        started = procs.read_pidfile(paths.run, name)
        report[name] = f"running (pid {started.pid})" if started and procs.alive(started) else "stopped"
    return report
