"""Files and command lines of the local cluster's node: containerd, the CNI network, kubelet and kube-proxy.

One node, named `ciliumlab-node`, whose address (NODE_IP) sits on an interface of its own, so
nothing the node serves is reachable from outside this machine and nothing depends on the host's network.
Every file and socket lives under the cluster's state directory; containerd keeps its images under the
shared cache (so they are imported once) but its state, socket and shims per cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from labs.env.local.components import NODE_SLOT, POD_CLUSTER_CIDR, Paths

__all__ = ["NODE_NAME", "NODE_IP", "NODE_LINK", "POD_CIDR", "POD_SUBNET", "BRIDGE", "CNI_NETWORK", "CLUSTER_DNS",
           "CNI_BIN_DIRS", "NodePorts", "NodePaths", "containerd_config", "cni_conflist", "kubelet_config",
           "kubelet_args", "kube_proxy_config", "kube_proxy_args"]

NODE_NAME = "ciliumlab-node"
NODE_IP = f"10.199.255.{1 + NODE_SLOT}"
NODE_LINK = f"ciliumlab{NODE_SLOT}"
"""The interface holding NODE_IP/32 (a dummy interface, or an empty bridge, see `hostnet.add_node_link`)."""
POD_CIDR = POD_CLUSTER_CIDR
POD_SUBNET = f"10.{244 + NODE_SLOT}.0.0/24"
"""This node's pods (host-local IPAM); the gateway is the bridge's .1. The controller manager allocates the
same /24 to the node (spec.podCIDR), which Cilium's `kubernetes` IPAM uses."""
BRIDGE = f"ciliumlab-br{NODE_SLOT}"
KUBELET_CGROUP_ROOT = f"/ciliumlab{NODE_SLOT}" if NODE_SLOT else "/"
"""Slot 0 keeps the kubelet's default; another slot's pods live under a cgroup of their own, so a second
kubelet never sees (and never removes, as orphans) the first one's pod cgroups."""
CNI_NETWORK = "ciliumlab"
CLUSTER_DNS = "10.96.0.10"
"""The kube-dns Service address, as kubeadm chooses it (the tenth of the service range)."""
CNI_BIN_DIRS = ("/usr/lib/cni", "/opt/cni/bin")
"""Debian's containernetworking-plugins, then the upstream location."""


@dataclass(frozen=True)
class NodePorts:
    kubelet: int
    kubelet_healthz: int
    proxy_healthz: int
    proxy_metrics: int


@dataclass(frozen=True)
class NodePaths:
    """The node's files: state under the cluster directory, images under the version's cache."""

    cluster: Paths
    images: Path
    """containerd's root (content store, snapshots): shared by the clusters of one version."""

    @property
    def root(self) -> Path:
        return self.cluster.root / "node"

    @property
    def containerd_state(self) -> Path:
        return self.root / "containerd-state"

    @property
    def containerd_socket(self) -> Path:
        return self.root / "containerd.sock"

    @property
    def containerd_config(self) -> Path:
        return self.root / "containerd.toml"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def cni_data(self) -> Path:
        return self.root / "cni" / "ipam"

    @property
    def kubelet_root(self) -> Path:
        return self.root / "kubelet"

    @property
    def kubelet_config(self) -> Path:
        return self.root / "kubelet.yaml"

    @property
    def kube_proxy_config(self) -> Path:
        return self.root / "kube-proxy.yaml"

    @property
    def state(self) -> Path:
        return self.root / "node.json"


def cni_bin_dir() -> str:
    for directory in CNI_BIN_DIRS:
        if (Path(directory) / "bridge").exists():
            return directory
    return CNI_BIN_DIRS[0]


def containerd_config(paths: NodePaths, sandbox_image: str, cni_bin: str | None = None) -> str:
    """containerd 1.6/1.7 (config version 2): own root, state and socket; CRI with runc, cgroupfs, the CNI
    directories of this node. Unprivileged ports and ICMP are allowed in pods, containerd 2's default, so
    images that run as a user (http-echo on port 80, ping in the client) behave as on the course VM. Pods'
    network namespaces are mounted under the node's state directory, not /var/run/netns."""
    cri = {
        "sandbox_image": sandbox_image,
        "enable_unprivileged_ports": True,
        "enable_unprivileged_icmp": True,
        # Kubelet asks for negative OOM scores (-998 for sandboxes); a host without CAP_SYS_RESOURCE (such as
        # a sandboxed CI machine) refuses them and runc fails ("failed to update /proc/self/oom_score_adj:
        # Permission denied"). Restricted, containerd never asks for less than its own score.
        "restrict_oom_score_adj": True,
        "netns_mounts_under_state_dir": True,
        "containerd": {"default_runtime_name": "runc", "snapshotter": "overlayfs",
                       "runtimes": {"runc": {"runtime_type": "io.containerd.runc.v2",
                                             "options": {"SystemdCgroup": False,
                                                         "Root": str(paths.containerd_state / "runc")}}}},
        "cni": {"bin_dir": cni_bin or cni_bin_dir(), "conf_dir": str(paths.cni_conf_dir), "max_conf_num": 1},
    }
    lines = ["version = 2", f'root = "{paths.images}"', f'state = "{paths.containerd_state}"',
             "oom_score = 0", "", "[grpc]", f'  address = "{paths.containerd_socket}"', "",
             "[ttrpc]", f'  address = "{paths.containerd_socket}.ttrpc"', "", "[debug]", '  level = "info"', ""]
    lines += _toml_table('plugins."io.containerd.grpc.v1.cri"', cri)
    # Plugins that would listen or write outside this node's directories are not needed.
    lines += ["", "disabled_plugins = []"]
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))


def _toml_table(name: str, table: dict) -> list[str]:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, dict)]
    lines = [f"[{name}]"] + [f"  {k} = {_toml_value(v)}" for k, v in scalars]
    for key, sub in tables:
        quoted = key if key.replace("_", "").isalnum() else json.dumps(key)
        lines += [""] + _toml_table(f"{name}.{quoted}", sub)
    return lines


def cni_conflist(paths: NodePaths) -> str:
    """The standard bridge plugin with host-local IPAM (state under this node), then portmap for hostPort."""
    conf = {"cniVersion": "0.4.0", "name": CNI_NETWORK, "plugins": [
        {"type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": True, "hairpinMode": True,
         "ipam": {"type": "host-local", "dataDir": str(paths.cni_data), "ranges": [[{"subnet": POD_SUBNET}]],
                  "routes": [{"dst": "0.0.0.0/0"}]}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
    ]}
    return json.dumps(conf, indent=2) + "\n"


def kubelet_config(paths: NodePaths, ports: NodePorts) -> str:
    """KubeletConfiguration: cgroupfs and cgroup v1 allowed (failCgroupV1: false, see the kubelet's
    pkg/kubelet/apis/config/v1beta1/defaults.go), webhook authn/authz, no image GC (images cannot be pulled
    back), lenient disk eviction (a test machine's disk may be fuller than a node's)."""
    pki = paths.cluster.pki
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
        "address": NODE_IP, "port": ports.kubelet, "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1", "healthzPort": ports.kubelet_healthz,
        "tlsCertFile": str(pki / "kubelet-serving.crt"), "tlsPrivateKeyFile": str(pki / "kubelet-serving.key"),
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": str(pki / "ca.crt")}},
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "cgroupfs", "failCgroupV1": False, "cgroupRoot": KUBELET_CGROUP_ROOT, "failSwapOn": False,
        "containerRuntimeEndpoint": f"unix://{paths.containerd_socket}",
        "clusterDNS": [CLUSTER_DNS], "clusterDomain": "cluster.local", "resolvConf": "/etc/resolv.conf",
        "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
        "evictionHard": {"memory.available": "50Mi", "nodefs.available": "1%", "imagefs.available": "1%",
                         "nodefs.inodesFree": "1%"},
        "serializeImagePulls": False, "registerNode": True, "maxPods": 110,
        "protectKernelDefaults": False, "makeIPTablesUtilChains": True,
        "syncFrequency": "10s", "fileCheckFrequency": "10s",
        "nodeStatusUpdateFrequency": "5s", "nodeStatusReportFrequency": "30s",
        "shutdownGracePeriod": "0s",
        "containerLogMaxSize": "5Mi", "containerLogMaxFiles": 2,
    }
    return yaml.safe_dump(config, sort_keys=False)


def kubelet_args(binary: Path, paths: NodePaths) -> list[str]:
    return [str(binary), f"--config={paths.kubelet_config}",
            f"--kubeconfig={paths.cluster.component_kubeconfig('kubelet')}",
            f"--root-dir={paths.kubelet_root}", f"--hostname-override={NODE_NAME}", f"--node-ip={NODE_IP}",
            f"--cert-dir={paths.root / 'kubelet-certs'}", "--v=1"]


def kube_proxy_config(paths: NodePaths, ports: NodePorts) -> str:
    """KubeProxyConfiguration: iptables mode, conntrack sysctls left alone, every port on loopback or the
    node's own address."""
    config = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(paths.cluster.component_kubeconfig("kube-proxy"))},
        "mode": "iptables", "clusterCIDR": POD_CIDR, "hostnameOverride": NODE_NAME,
        "bindAddress": NODE_IP,
        "healthzBindAddress": f"127.0.0.1:{ports.proxy_healthz}",
        "metricsBindAddress": f"127.0.0.1:{ports.proxy_metrics}",
        "nodePortAddresses": [f"{NODE_IP}/32"],
        "conntrack": {"maxPerCore": 0, "min": 0},
        "iptables": {"masqueradeAll": False, "syncPeriod": "10s", "minSyncPeriod": "0s"},
    }
    return yaml.safe_dump(config, sort_keys=False)


def kube_proxy_args(binary: Path, paths: NodePaths) -> list[str]:
    return [str(binary), f"--config={paths.kube_proxy_config}", "--v=1"]

