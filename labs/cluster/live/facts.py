"""Facts about the live cluster that notebooks show and checks rely on: Cilium's version and config,
nodes and their InternalIPs, Hubble Relay's readiness, pod identities, and `cilium-dbg status`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from labs.cluster.base import NodeInfo
from labs.cluster.live.agents import CiliumAgents
from labs.cluster.live.api import KubeApi

__all__ = ["CiliumConfig", "cilium_config", "nodes", "workload_ready", "relay_status", "identity_of",
           "agent_status", "parse_agent_status", "ROLE_PREFIX"]

ROLE_PREFIX = "node-role.kubernetes.io/"


def _true(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return str(value).strip().lower() in ("true", "strict", "enabled", "1", "yes")


@dataclass(frozen=True)
class CiliumConfig:
    """The settings of the `cilium-config` ConfigMap that change what a policy does."""

    policy_enforcement: str = "default"
    kube_proxy_replacement: str | None = None
    l7_proxy: bool = True
    hubble: bool = False
    raw: tuple[tuple[str, str], ...] = ()


def cilium_config(api: KubeApi, *, namespace: str = "kube-system") -> CiliumConfig | None:
    cm = api.get_or_none(f"/api/v1/namespaces/{namespace}/configmaps/cilium-config")
    if cm is None:
        return None
    data = {str(k): str(v) for k, v in (cm.get("data") or {}).items()}
    return CiliumConfig(
        policy_enforcement=data.get("enable-policy", "default"),
        kube_proxy_replacement=data.get("kube-proxy-replacement"),
        l7_proxy=_true(data.get("enable-l7-proxy"), True),
        hubble=_true(data.get("enable-hubble"), False),
        raw=tuple(sorted(data.items())),
    )


def nodes(api: KubeApi) -> tuple[NodeInfo, ...]:
    found = []
    for node in api.items("/api/v1/nodes"):
        meta = node.get("metadata") or {}
        status = node.get("status") or {}
        ip = next((a.get("address") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"), "")
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
        roles = tuple(sorted(k[len(ROLE_PREFIX):] for k in (meta.get("labels") or {}) if k.startswith(ROLE_PREFIX)))
        found.append(NodeInfo(meta.get("name", ""), ip or "", ready, roles))
    return tuple(sorted(found, key=lambda n: n.name))


def workload_ready(obj: dict[str, Any] | None) -> tuple[bool, str]:
    """(ready, "2/2 ready") for a Deployment, StatefulSet or DaemonSet as read from the API."""
    if obj is None:
        return False, "not installed"
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    if obj.get("kind") == "DaemonSet" or "desiredNumberScheduled" in status:
        want = int(status.get("desiredNumberScheduled") or 0)
        have = int(status.get("numberReady") or 0)
        updated = int(status.get("updatedNumberScheduled") or 0)
        return want > 0 and have == want and updated == want, f"{have}/{want} ready"
    want = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    have = int(status.get("readyReplicas") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    current = int(status.get("observedGeneration") or 0) >= int((obj.get("metadata") or {}).get("generation") or 0)
    return have >= want and updated >= want and current, f"{have}/{want} ready"


def relay_status(api: KubeApi, *, namespace: str = "kube-system") -> str:
    deploy = api.get_or_none(f"/apis/apps/v1/namespaces/{namespace}/deployments/hubble-relay")
    ok, text = workload_ready(deploy)
    return f"relay {'ready' if ok else 'not ready'} ({text})" if deploy is not None else "relay not installed"


def identity_of(api: KubeApi, namespace: str, pod: str) -> int | None:
    """The security identity Cilium gave the pod, from its CiliumEndpoint (same name as the pod)."""
    cep = api.get_or_none(f"/apis/cilium.io/v2/namespaces/{namespace}/ciliumendpoints/{pod}")
    ident = (((cep or {}).get("status") or {}).get("identity") or {}).get("id")
    return int(ident) if ident is not None else None


_STATUS_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9 ]*?):\s+(.*)$")


def parse_agent_status(text: str) -> dict[str, str]:
    """`cilium-dbg status` lines `Key:   value` -> {key: value} (first occurrence of each key)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _STATUS_LINE.match(line.strip())
        if match and match.group(1) not in found:
            found[match.group(1)] = match.group(2).strip()
    return found


def agent_status(agents: CiliumAgents, *, timeout: float = 15.0) -> dict[str, str]:
    """`cilium-dbg status` of the first running agent (a pod, or the host agent), parsed; {} when none answers."""
    names = agents.names()
    if not names:
        return {}
    result = agents.run(names[0], ["cilium-dbg", "status"], timeout=timeout)
    return parse_agent_status(result.stdout) if result.exit_code == 0 else {}
