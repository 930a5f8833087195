"""Cilium's operator (`cilium-operator-generic`) beside the local node's agent: command line and readiness.

The operator is what writes the `Valid` condition of CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy
(`kubectl get cnp` column VALID): its policy validator (operator/pkg/networkpolicy/cell.go:106
`handleCNPEvent`, :159 `handleCCNPEvent`) runs the rules' `Sanitize()` and updates the status. Without it a
refused policy is stored with an empty VALID column. It runs as a host process like the agent, with the
same kubeconfig and cluster name, identities as CRDs and `kubernetes` IPAM (the node's podCIDR comes from
the controller manager, so the operator allocates nothing). Only what one node needs is on: no LB-IPAM,
no unmanaged-pod watcher (it would restart pods that the course starts before the agent manages them), no
gops, no metrics; the CRDs are installed by `up` itself (`labs.env.local.crds`), so it creates none.

Ready means: its health endpoint answers 200 and it holds the leader lease (kube-system/
cilium-operator-resource-lock, operator/cmd/root.go:365): the validator is one of the cells it starts only
once elected (operator/cmd/root.go:341, run from `OnStartedLeading`).
"""

from __future__ import annotations

import http.client
from pathlib import Path

from labs.env.local.ciliumbuild import CiliumBinaries
from labs.env.local.rest import AdminClient

__all__ = ["OPERATOR", "NAMESPACE", "LEASE", "operator_args", "lease_holder", "healthz_ok"]

OPERATOR = "cilium-operator"
NAMESPACE = "kube-system"
LEASE = "cilium-operator-resource-lock"


def operator_args(binaries: CiliumBinaries, kubeconfig: Path, *, api_port: int) -> list[str]:
    return [str(binaries.path("cilium-operator-generic")),
            f"--k8s-kubeconfig-path={kubeconfig}",
            f"--k8s-namespace={NAMESPACE}",
            "--cluster-name=default", "--cluster-id=0",
            "--identity-allocation-mode=crd",
            "--ipam=kubernetes",
            "--enable-ipv4=true", "--enable-ipv6=false",
            "--skip-crd-creation=true",
            "--enable-lb-ipam=false",
            "--unmanaged-pod-watcher-interval=0",
            "--enable-gops=false",
            "--enable-metrics=false",
            f"--operator-api-serve-addr=127.0.0.1:{api_port}"]


def lease_holder(admin: AdminClient) -> str:
    """The identity holding the operator's leader lease ('' when none does or the lease does not exist)."""
    reply = admin.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/{LEASE}")
    if reply.status != 200:
        return ""
    return str((reply.json().get("spec") or {}).get("holderIdentity") or "")


def healthz_ok(api_port: int, timeout: float = 5.0) -> bool:
    """GET /healthz on the operator's API (operator/api/server.go:114) answers 200."""
    conn = http.client.HTTPConnection("127.0.0.1", api_port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    finally:
        conn.close()
