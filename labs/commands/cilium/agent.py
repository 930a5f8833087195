"""What one simulated Cilium agent knows: its node's endpoints, the cluster's identities, endpoint options.

`kubectl exec -n kube-system ds/cilium -- cilium-dbg ...` reaches one agent pod; on the simulated
cluster that is the agent of the first worker node (where the simulator schedules lab pods), so
`endpoint list` shows that node's endpoints, as the real command shows only its own node's. The
per-node health endpoint is not modelled. Endpoint options set with `endpoint config` are kept per
cluster; PolicyAuditMode goes to the simulated cluster itself (`SimCluster.set_endpoint_audit`), whose
engine then lets the endpoint's L3/L4 drops through as AUDIT (`labs.policy.audit`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from labs.policy.endpoints import pod_endpoint

__all__ = ["AgentEndpoint", "agent_node", "endpoints", "identities", "options_of", "RESERVED_IDENTITIES",
           "audit_modelled"]

RESERVED_IDENTITIES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("reserved:host",)), (2, ("reserved:world",)), (3, ("reserved:unmanaged",)), (4, ("reserved:health",)),
    (5, ("reserved:init",)), (6, ("reserved:remote-node",)), (7, ("reserved:kube-apiserver", "reserved:remote-node")),
    (8, ("reserved:ingress",)),
)
"""cilium `pkg/identity/numericidentity.go` reserved identities of a single-stack cluster, with their labels."""

_OPTIONS: weakref.WeakKeyDictionary[Any, dict[int, dict[str, str]]] = weakref.WeakKeyDictionary()


def audit_modelled(cluster: Any) -> bool:
    """Whether the cluster's policy engine applies PolicyAuditMode to its verdicts (SimCluster does)."""
    return callable(getattr(cluster, "set_endpoint_audit", None)) and callable(getattr(cluster, "audits", None))


def options_of(cluster: Any) -> dict[int, dict[str, str]]:
    """endpoint ID -> options changed with `cilium-dbg endpoint config` (e.g. PolicyAuditMode: Enabled)."""
    return _OPTIONS.setdefault(cluster, {})


@dataclass(frozen=True)
class AgentEndpoint:
    id: int
    identity: int
    labels: tuple[str, ...]
    ipv4: str
    ingress_enforced: bool
    egress_enforced: bool
    audit: bool = False
    pod: str | None = None
    state: str = "ready"

    def policy_mode(self, enforced: bool) -> str:
        """endpoint_list.go `endpointPolicyMode`: Enabled, Disabled, or "Disabled (Audit)"."""
        if not enforced:
            return "Disabled"
        return "Disabled (Audit)" if self.audit else "Enabled"


def agent_node(cluster: Any) -> str:
    nodes = cluster.info().nodes
    workers = [n for n in nodes if "control-plane" not in n.roles]
    return (workers or list(nodes))[0].name


def _namespace_labels(cluster: Any) -> dict[str, dict[str, str]]:
    return {ns.name: dict(ns.labels) for ns in cluster.namespaces()}


def _host_id(node: str) -> int:
    return 1 + sum(ord(c) for c in node) % 97


def endpoints(cluster: Any, node: str | None = None) -> list[AgentEndpoint]:
    """The endpoints of the agent on `node` (default `agent_node`): its host endpoint and its pods."""
    node = node or agent_node(cluster)
    ns_labels = _namespace_labels(cluster)
    mode = cluster.enforcement
    engine = cluster.engine
    options = options_of(cluster)
    found = [AgentEndpoint(_host_id(node), 1, ("reserved:host",), "", mode == "always", mode == "always")]
    for pod in cluster.pods():
        if pod.node != node or pod.host_network:
            continue
        ep = pod_endpoint(pod, cluster.pod_ip(pod.key), ns_labels.get(pod.namespace, {}), node_is_host=True)
        ep_id = cluster.endpoint_id(pod.key)
        if ep_id is None:
            continue

        if audit_modelled(cluster):
            audit = bool(cluster.audits(pod.key))
        else:
            audit = options.get(ep_id, {}).get("PolicyAuditMode") == "Enabled"
        found.append(AgentEndpoint(ep_id, cluster.identity(pod.key) or 0, tuple(sorted(str(lb) for lb in ep.labels)),
                                   cluster.pod_ip(pod.key) or "", _enforced(mode, engine, "ingress", ep),
                                   _enforced(mode, engine, "egress", ep), audit,
                                   pod.key))
    return sorted(found, key=lambda e: e.id)


def _enforced(mode: str, engine: Any, direction: str, ep: Any) -> bool:
    """Policy enforcement of one direction: always/never by the agent setting, else whether a rule selects it."""
    if mode in ("always", "never"):
        return mode == "always"
    return bool(engine.selecting(direction, ep))


def identities(cluster: Any) -> list[tuple[int, tuple[str, ...]]]:
    """Every identity the cluster allocated (reserved ones first), with its labels, sorted by ID."""
    ns_labels = _namespace_labels(cluster)
    found: dict[int, tuple[str, ...]] = dict(RESERVED_IDENTITIES)
    for pod in cluster.pods():
        if pod.host_network:
            continue
        number = cluster.identity(pod.key)
        if number is None or number in found:
            continue
        ep = pod_endpoint(pod, cluster.pod_ip(pod.key), ns_labels.get(pod.namespace, {}), node_is_host=True)
        found[number] = tuple(sorted(str(lb) for lb in ep.labels))
    return sorted(found.items())
