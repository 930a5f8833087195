"""Command lines of the four control-plane components, all on 127.0.0.1, all over TLS with client certificates."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Ports", "Paths", "etcd_args", "apiserver_args", "controller_manager_args", "scheduler_args",
           "SERVICE_CIDR", "POD_CLUSTER_CIDR", "CLUSTER_NAME", "NODE_SLOT", "NODE_SLOT_ENV"]

SERVICE_CIDR = "10.96.0.0/16"
NODE_SLOT_ENV = "LABS_LOCAL_NODE_SLOT"
NODE_SLOT = int(os.environ.get(NODE_SLOT_ENV, "0")) if os.environ.get(NODE_SLOT_ENV, "0") in tuple("0123456789") else 0
"""Which of ten non-overlapping node slots (link, address, pod network, kubelet cgroup root) this process uses:
0 by default; another lets a second node run on a machine where one is already running (the CLI refuses a
value outside 0-9 with exit 2)."""
POD_CLUSTER_CIDR = f"10.{244 + NODE_SLOT}.0.0/16"
"""Pods' addresses; the controller manager gives each node a /24 of it (spec.podCIDR), as kubeadm's
--pod-network-cidr does."""
CLUSTER_NAME = "ciliumlab-local"


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int


@dataclass(frozen=True)
class Paths:
    """Files of one cluster under its state directory."""

    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd-data"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def state(self) -> Path:
        return self.root / "cluster.json"

    def component_kubeconfig(self, name: str) -> Path:
        return self.root / f"{name}.kubeconfig"

    def cert(self, name: str) -> str:
        return str(self.pki / f"{name}.crt")

    def key(self, name: str) -> str:
        return str(self.pki / f"{name}.key")


def etcd_args(binary: Path, paths: Paths, ports: Ports) -> list[str]:
    client = f"https://127.0.0.1:{ports.etcd_client}"
    peer = f"http://127.0.0.1:{ports.etcd_peer}"
    return [str(binary), "--name=ciliumlab", f"--data-dir={paths.etcd_data}",
            f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=ciliumlab={peer}", "--initial-cluster-state=new",
            f"--cert-file={paths.cert('etcd-server')}", f"--key-file={paths.key('etcd-server')}",
            f"--trusted-ca-file={paths.pki / 'ca.crt'}", "--client-cert-auth=true",
            "--log-level=warn", "--quota-backend-bytes=1073741824"]


def apiserver_args(binary: Path, paths: Paths, ports: Ports) -> list[str]:
    ca = paths.pki / "ca.crt"
    return [str(binary), "--bind-address=127.0.0.1", f"--secure-port={ports.apiserver}",
            "--advertise-address=127.0.0.1",
            # The `kubernetes` Service cannot have 127.0.0.1 as an endpoint (loopback is invalid there).
            "--endpoint-reconciler-type=none",
            f"--etcd-servers=https://127.0.0.1:{ports.etcd_client}", f"--etcd-cafile={ca}",
            f"--etcd-certfile={paths.cert('apiserver-etcd-client')}",
            f"--etcd-keyfile={paths.key('apiserver-etcd-client')}",
            f"--tls-cert-file={paths.cert('apiserver')}", f"--tls-private-key-file={paths.key('apiserver')}",
            f"--client-ca-file={ca}", "--anonymous-auth=false",
            f"--kubelet-client-certificate={paths.cert('apiserver-kubelet-client')}",
            f"--kubelet-client-key={paths.key('apiserver-kubelet-client')}", f"--kubelet-certificate-authority={ca}",
            # The node's serving certificate names its address; its host name may not resolve.
            "--kubelet-preferred-address-types=InternalIP,Hostname",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={paths.pki / 'sa.pub'}",
            f"--service-account-signing-key-file={paths.key('sa')}",
            f"--service-cluster-ip-range={SERVICE_CIDR}", "--service-node-port-range=30000-32767",
            "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
            "--allow-privileged=true", f"--cert-dir={paths.run / 'apiserver-certs'}",
            "--profiling=false", "--v=1"]


def _component_common(paths: Paths, name: str, port: int) -> list[str]:
    kubeconfig = paths.component_kubeconfig(name)
    return [f"--kubeconfig={kubeconfig}", f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}", "--bind-address=127.0.0.1", f"--secure-port={port}",
            f"--cert-dir={paths.run / (name + '-certs')}", "--leader-elect=false", "--profiling=false", "--v=1"]


def controller_manager_args(binary: Path, paths: Paths, ports: Ports) -> list[str]:
    return [str(binary), *_component_common(paths, "kube-controller-manager", ports.controller_manager),
            f"--root-ca-file={paths.pki / 'ca.crt'}", f"--service-account-private-key-file={paths.key('sa')}",
            "--use-service-account-credentials=true", f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--cluster-signing-cert-file={paths.pki / 'ca.crt'}", f"--cluster-signing-key-file={paths.pki / 'ca.key'}",
            f"--cluster-name={CLUSTER_NAME}",
            "--allocate-node-cidrs=true", f"--cluster-cidr={POD_CLUSTER_CIDR}", "--node-cidr-mask-size=24"]


def scheduler_args(binary: Path, paths: Paths, ports: Ports) -> list[str]:
    return [str(binary), *_component_common(paths, "kube-scheduler", ports.scheduler)]
