"""The Cilium agent as the local node's CNI: its files, command line, CNI configuration, start and stop.

The agent runs as a host process (no image can be pulled), configured as the course VM's Helm values do
(scripts/provision/cilium.sh): kube-proxy replacement, `kubernetes` IPAM (the node's podCIDR from the
controller manager, so no operator is needed), identities as CRDs, Hubble on, tunnel routing (VXLAN, the
default). It differs where the machine cannot do better, and says so: no Envoy can be built. The DNS proxy
needs the L7 proxy switched on, so it is on with Envoy declared external (`--external-envoy-proxy=true`),
and no Envoy is ever started or connects: HTTP rules are not enforced (traffic they redirect finds no proxy);
cilium-health is off (one node, nothing to probe); IPv6 is off. The agent attaches only to the node's own
link (`--devices=<NODE_LINK>`), never to the host's uplink.

Its state, library (the BPF sources it compiles with clang at run time), API and Hubble sockets are under
`<state>/cilium/`; the few paths Cilium fixes (/var/run/cilium for its pid file and monitor socket, bpffs at
/sys/fs/bpf) are cleaned at `down` (`labs.env.local.ciliumhost`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from labs.env.local.ciliumbuild import CiliumBinaries
from labs.env.local.components import Paths
from labs.env.local.nodeconfig import NODE_NAME

__all__ = ["CiliumPaths", "CLANG", "agent_args", "cni_conflist", "cni_wrapper", "install_cni", "install_tools",
           "agent_env", "dbg", "agent_ready", "CNI_NAME"]

CNI_NAME = "cilium"
CLANG = ("clang-19", "clang")
"""The compiler the agent calls as `clang` (pkg/datapath/loader/compile.go): Debian's clang-19 first."""


@dataclass(frozen=True)
class CiliumPaths:
    cluster: Paths

    @property
    def root(self) -> Path:
        return self.cluster.root / "cilium"

    @property
    def state_dir(self) -> Path:
        """--state-dir: endpoints' state, compiled templates, the API and Hubble sockets."""
        return self.root / "run"

    @property
    def lib_dir(self) -> Path:
        """--lib-dir: holds `bpf/`, the BPF sources (a link to the built module's)."""
        return self.root / "lib"

    @property
    def socket(self) -> Path:
        return self.state_dir / "cilium.sock"

    @property
    def hubble_socket(self) -> Path:
        return self.state_dir / "hubble.sock"

    @property
    def cni_bin_dir(self) -> Path:
        return self.root / "cni-bin"

    @property
    def tools_dir(self) -> Path:
        """Put first on the agent's PATH: `clang` resolves to Debian's clang-19."""
        return self.root / "tools"

    @property
    def cni_log(self) -> Path:
        return self.root / "cilium-cni.log"

    @property
    def cgroup_fallback(self) -> Path:
        return self.root / "cgroupv2"

    @property
    def state(self) -> Path:
        """What `up` recorded for `down`: mounts it made, sysctls it found, whether /var/run/cilium existed."""
        return self.root / "cilium.json"


def agent_args(binaries: CiliumBinaries, paths: CiliumPaths, kubeconfig: Path, *, device: str, cgroup_root: Path,
               health_port: int, kube_proxy_replacement: bool = True) -> list[str]:
    return [str(binaries.path("cilium-agent")),
            f"--k8s-kubeconfig-path={kubeconfig}",
            "--identity-allocation-mode=crd",
            "--ipam=kubernetes", "--k8s-require-ipv4-pod-cidr=true",
            "--enable-ipv4=true", "--enable-ipv6=false",
            f"--kube-proxy-replacement={'true' if kube_proxy_replacement else 'false'}",
            f"--devices={device}", f"--direct-routing-device={device}",
            "--routing-mode=tunnel", "--tunnel-protocol=vxlan",
            # The DNS proxy (DNS rules, toFQDNs) lives in the agent but only starts with the L7 proxy enabled
            # (pkg/fqdn/bootstrap/dns_proxy.go newDNSProxy returns nil when EnableL7Proxy is false). Envoy is
            # not built here: "external" mode keeps the agent from exec'ing cilium-envoy-starter
            # (pkg/envoy/embedded_envoy.go), and no Envoy ever connects, so HTTP rules are not enforced.
            "--enable-l7-proxy=true", "--external-envoy-proxy=true",
            "--enable-health-checking=false", "--enable-endpoint-health-checking=false",
            "--enable-hubble=true", f"--hubble-socket-path={paths.hubble_socket}",
            f"--state-dir={paths.state_dir}", f"--lib-dir={paths.lib_dir}", f"--socket-path={paths.socket}",
            "--bpf-root=/sys/fs/bpf", f"--cgroup-root={cgroup_root}",
            f"--cni-log-file={paths.cni_log}",
            "--enable-gops=false", f"--agent-health-port={health_port}",
            "--cluster-name=default", "--cluster-id=0"]


def agent_env(paths: CiliumPaths) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{paths.tools_dir}:{env.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}"
    env["CILIUM_SOCK"] = str(paths.socket)
    # The agent's node is named by this variable, else by the host name (pkg/node/types/nodename.go); the
    # kubelet registers the node as NODE_NAME, whose Node object the agent waits for.
    env["K8S_NODE_NAME"] = NODE_NAME
    return env


def install_tools(binaries: CiliumBinaries, paths: CiliumPaths) -> None:
    """The agent's lib dir (bpf/ -> the module's sources) and `clang` on its PATH."""
    from labs.env.local.layout import LocalClusterError

    for directory in (paths.root, paths.state_dir, paths.lib_dir, paths.tools_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    bpf = paths.lib_dir / "bpf"
    if bpf.is_symlink() or bpf.exists():
        bpf.unlink()
    bpf.symlink_to(binaries.bpf_dir)
    compiler = next((found for name in CLANG if (found := shutil.which(name))), None)
    if compiler is None:
        raise LocalClusterError("the Cilium agent compiles its BPF programs with clang: apt-get install clang-19 "
                                "llvm-19 (`scripts/local-cluster build --node --cilium` does)")
    for name, target in (("clang", compiler), ("llc", shutil.which("llc-19") or shutil.which("llc"))):
        link = paths.tools_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        if target:
            link.symlink_to(target)


def cni_wrapper(binaries: CiliumBinaries, paths: CiliumPaths) -> str:
    """cilium-cni finds the agent through CILIUM_SOCK (pkg/client/client.go DefaultSockPath); containerd
    runs plugins with its own environment, so the node's plugin is this script around the real binary."""
    return (f"#!/bin/sh\n# Written by labs/env/local/ciliumagent.py: the agent's API socket of this cluster.\n"
            f"CILIUM_SOCK='{paths.socket}' exec '{binaries.path('cilium-cni')}' \"$@\"\n")


def install_cni(binaries: CiliumBinaries, paths: CiliumPaths, system_bin_dir: str) -> None:
    """The node's CNI bin dir: the cilium-cni wrapper, and loopback from the system's plugins (containerd
    sets up each pod's lo with it)."""
    paths.cni_bin_dir.mkdir(parents=True, exist_ok=True, mode=0o755)
    wrapper = paths.cni_bin_dir / "cilium-cni"
    wrapper.write_text(cni_wrapper(binaries, paths))
    wrapper.chmod(0o755)
    for name in ("loopback", "portmap"):
        link = paths.cni_bin_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        if (Path(system_bin_dir) / name).exists():
            link.symlink_to(Path(system_bin_dir) / name)


def cni_conflist(paths: CiliumPaths) -> str:
    """The conflist Cilium's chart writes (05-cilium.conflist), with the plugin's log under this cluster."""
    conf = {"cniVersion": "0.3.1", "name": CNI_NAME, "plugins": [
        {"type": "cilium-cni", "enable-debug": False, "log-file": str(paths.cni_log)}]}
    return json.dumps(conf, indent=2) + "\n"


def dbg(binaries: CiliumBinaries, paths: CiliumPaths, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    """cilium-dbg against this cluster's agent."""
    return subprocess.run([str(binaries.path("cilium-dbg")), "--host", f"unix://{paths.socket}", *args],
                          capture_output=True, text=True, timeout=timeout)


def agent_ready(binaries: CiliumBinaries, paths: CiliumPaths) -> bool:
    """`cilium-dbg status --brief` exits 0 once every agent subsystem reports OK."""
    if not paths.socket.exists():
        return False
    return dbg(binaries, paths, "status", "--brief", timeout=10).returncode == 0
