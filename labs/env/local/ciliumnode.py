"""Start the Cilium agent on the local node and take it away again (`up --node --cilium`, `down`).

Order at `up`: the kubelet has registered the node and the controller manager has given it a podCIDR
(`kubernetes` IPAM reads it); the host gets bpffs and a cgroup2 mount; the agent starts and is waited for
until `cilium-dbg status --brief` passes; only then the CNI configuration is written, so the kubelet
reports the node Ready once pods can really get an address, as with the chart's
`write-cni-conf-when-ready`. `down` stops the agent and removes what it left on the host
(`labs.env.local.ciliumhost`), putting back the sysctls found at `up`.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from pathlib import Path
from typing import Callable

from labs.env.local import ciliumhost, hostnet, procs
from labs.env.local.agentenv import env_file, write_env_file
from labs.env.local.ciliumagent import (
    CNI_NAME,
    CiliumPaths,
    agent_args,
    agent_env,
    agent_ready,
    cni_conflist,
    install_cni,
    install_tools,
)
from labs.env.local.ciliumbuild import CiliumBinaries
from labs.env.local.ciliumoperator import OPERATOR, healthz_ok, lease_holder, operator_args
from labs.env.local.components import Paths
from labs.env.local.layout import LocalClusterError
from labs.env.local.nodeconfig import NODE_LINK, NODE_NAME, NodePaths, cni_bin_dir
from labs.env.local.rest import AdminClient
from labs.env.local.waiting import free_ports, wait_for

__all__ = ["AGENT", "OPERATOR", "cni_conf_file", "node_pod_cidr", "up_cilium", "down_cilium", "cilium_requested"]

AGENT = "cilium-agent"


def cni_conf_file(npaths: NodePaths) -> Path:
    return npaths.cni_conf_dir / f"05-{CNI_NAME}.conflist"


def cilium_requested(paths: Paths) -> bool:
    return CiliumPaths(paths).state.exists()


def node_pod_cidr(admin: AdminClient) -> str | None:
    reply = admin.request("GET", f"/api/v1/nodes/{NODE_NAME}")
    if reply.status != 200:
        return None
    return (reply.json().get("spec") or {}).get("podCIDR") or None


def up_cilium(paths: Paths, npaths: NodePaths, binaries: CiliumBinaries, admin: AdminClient, deadline: float,
              say: Callable[[str], None]) -> None:
    """Start the agent on the registered node (see the module docstring); the kubelet must be running."""
    cpaths = CiliumPaths(paths)
    cpaths.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    saved: dict = {"sysctls": {key: value for key in ciliumhost.GLOBAL_SYSCTLS
                               if (value := hostnet.read_sysctl(key)) is not None},
                   "runtime_dir_existed": ciliumhost.RUNTIME_DIR.exists(), "bin": str(binaries.directory)}
    cpaths.state.write_text(json.dumps(saved) + "\n")
    saved["bpffs_mounted"] = ciliumhost.mount_bpffs()
    cpaths.state.write_text(json.dumps(saved) + "\n")
    cgroup_root, cgroup_mounted = ciliumhost.cgroup2_root(cpaths.cgroup_fallback)
    saved.update(cgroup_root=str(cgroup_root), cgroup_mounted=cgroup_mounted)
    cpaths.state.write_text(json.dumps(saved) + "\n")
    install_tools(binaries, cpaths)
    install_cni(binaries, cpaths, cni_bin_dir())
    wait_for("podCIDR on the node (controller manager)", lambda: node_pod_cidr(admin) is not None, deadline, paths,
             "kubelet")
    say(f">> starting the Cilium agent {binaries.version} on {NODE_LINK} (podCIDR {node_pod_cidr(admin)}; "
        "DNS proxy on, no Envoy: HTTP rules are not enforced here)")
    started = time.monotonic()
    (health_port,) = free_ports(1)
    argv = agent_args(binaries, cpaths, paths.kubeconfig, device=NODE_LINK, cgroup_root=cgroup_root,
                      health_port=health_port)
    procs.start(AGENT, argv, paths.run, paths.logs, env=agent_env(cpaths))
    wait_for("`cilium-dbg status --brief` OK", lambda: agent_ready(binaries, cpaths), deadline, paths, AGENT,
             interval=1.0)
    cni_conf_file(npaths).write_text(cni_conflist(cpaths))
    env = write_env_file(paths, binaries.directory)
    say(f">> the Cilium agent is ready after {time.monotonic() - started:.0f} s; API {cpaths.socket}, Hubble "
        f"{cpaths.hubble_socket}")
    say(f">> cilium-dbg, hubble and the live backend reach it after `. {env}` (PATH, CILIUM_SOCK, HUBBLE_SERVER, "
        "KUBECONFIG)")
    up_operator(paths, binaries, admin, deadline, say)


def up_operator(paths: Paths, binaries: CiliumBinaries, admin: AdminClient, deadline: float,
                say: Callable[[str], None]) -> None:
    """Start the operator (labs.env.local.ciliumoperator) and wait until it answers /healthz and leads.

    A lease left by an operator that was killed is taken over once it expires (15 s), under a new identity."""
    say(f">> starting the Cilium operator {binaries.version} (it writes the policies' Valid condition)")
    started = time.monotonic()
    stale = lease_holder(admin)
    (api_port,) = free_ports(1)
    procs.start(OPERATOR, operator_args(binaries, paths.kubeconfig, api_port=api_port), paths.run, paths.logs)
    wait_for("/healthz OK and the leader lease", lambda: healthz_ok(api_port) and lease_holder(admin) not in
             ("", stale), deadline, paths, OPERATOR, interval=0.5)
    say(f">> the Cilium operator leads after {time.monotonic() - started:.0f} s ({lease_holder(admin)}); log "
        f"{paths.logs / (OPERATOR + '.log')}")


def down_cilium(paths: Paths, npaths: NodePaths, say: Callable[[str], None]) -> str:
    """Stop the agent (if running) and remove its host state; returns what happened to the process."""
    cpaths = CiliumPaths(paths)
    result = procs.stop(paths.run, AGENT, timeout=20.0)
    if not cpaths.state.exists():
        return result
    try:
        saved = json.loads(cpaths.state.read_text())
    except (OSError, ValueError):
        saved = {}
    cni_conf_file(npaths).unlink(missing_ok=True)
    env_file(paths).unlink(missing_ok=True)
    cgroup_root = Path(saved.get("cgroup_root") or cpaths.cgroup_fallback)
    detached = ciliumhost.detach_cgroup_programs(cgroup_root)
    chains = ciliumhost.delete_iptables_chains()
    rules = ciliumhost.delete_proxy_rules()
    links = ciliumhost.delete_links()
    if saved.get("bpffs_mounted"):
        pins = -1 if ciliumhost.unmount(ciliumhost.BPFFS) else ciliumhost.remove_bpf_pins()
    else:
        pins = ciliumhost.remove_bpf_pins()
    if saved.get("cgroup_mounted"):
        ciliumhost.unmount(cgroup_root)
    for key, value in (saved.get("sysctls") or {}).items():
        with contextlib.suppress(OSError):
            hostnet.write_sysctl(key, value)
    if saved.get("runtime_dir_existed") is False and ciliumhost.RUNTIME_DIR.exists():
        shutil.rmtree(ciliumhost.RUNTIME_DIR, ignore_errors=True)
    pinned = "bpffs unmounted" if pins < 0 else f"{pins} BPF pins removed"
    say(f">> Cilium's host state removed: {detached} socket-LB programs detached, {chains} iptables chains, "
        f"{rules} proxy routing rules, links {', '.join(links) or 'none'}, {pinned}")
    cpaths.state.unlink(missing_ok=True)
    return result


def require_binaries(found: CiliumBinaries | None) -> CiliumBinaries:
    if found is None:
        raise LocalClusterError("Cilium is not built: run `scripts/local-cluster build --node --cilium` first")
    return found
