"""What a flow means for a trainee: which node it starts and ends at, and how policy treated it.

Hubble says FORWARDED / DROPPED with a drop reason; a trainee needs "dropped by default deny"
versus "dropped by a deny rule" versus "denied by an HTTP rule". The mapping is written once
here and used by aggregation, the graph, the timeline and the live tail.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from labs.flows.model import Endpoint, Flow
from labs.outcomes import Outcome

__all__ = ["FlowOutcome", "Node", "classify", "node_for", "NODE_KINDS"]


class FlowOutcome(str, Enum):
    """How policy treated a flow, fine enough to colour a graph edge."""

    FORWARDED = "forwarded"
    DEFAULT_DENY = "dropped: default deny"
    """No rule allows it and the endpoint is in default deny (drop reason POLICY_DENIED)."""
    EXPLICIT_DENY = "dropped: deny rule"
    """An ingressDeny/egressDeny rule matched (drop reason POLICY_DENY)."""
    L7_DENIED = "l7-denied"
    """The HTTP proxy rejected the request (403 Access denied)."""
    REFUSED = "refused"
    """The DNS proxy answered REFUSED: no DNS rule allows the name."""
    AUDIT = "audit"
    """Policy audit mode: the flow would have been dropped but was let through."""
    DROPPED_OTHER = "dropped: not policy"
    """Dropped for a reason other than policy (e.g. STALE_OR_UNROUTABLE_IP)."""
    ERROR = "error"

    @property
    def outcome(self) -> Outcome:
        """The course-wide outcome word this corresponds to (audit counts as allowed: traffic passed)."""
        return _OUTCOME[self]

    def __str__(self) -> str:
        return self.value


_OUTCOME = {
    FlowOutcome.FORWARDED: Outcome.ALLOWED,
    FlowOutcome.DEFAULT_DENY: Outcome.DROPPED,
    FlowOutcome.EXPLICIT_DENY: Outcome.DROPPED,
    FlowOutcome.L7_DENIED: Outcome.L7_DENIED,
    FlowOutcome.REFUSED: Outcome.REFUSED,
    FlowOutcome.AUDIT: Outcome.ALLOWED,
    FlowOutcome.DROPPED_OTHER: Outcome.ERROR,
    FlowOutcome.ERROR: Outcome.ERROR,
}

_PASSED = frozenset({"FORWARDED", "REDIRECTED", "TRACED", "TRANSLATED"})
_DEFAULT_DENY_CODES = {133, "POLICY_DENIED"}
_EXPLICIT_DENY_CODES = {181, "POLICY_DENY"}
_DNS_REFUSED = 5


def classify(flow: Flow) -> FlowOutcome:
    """The FlowOutcome of one flow (see the class for the cases)."""
    verdict = flow.verdict
    l7 = flow.l7
    if verdict == "AUDIT":
        return FlowOutcome.AUDIT
    if l7 is not None:
        if l7.dns is not None and (verdict == "DROPPED" or l7.dns.rcode == _DNS_REFUSED):
            return FlowOutcome.REFUSED
        if verdict == "DROPPED":
            return FlowOutcome.L7_DENIED
    if verdict in _PASSED:
        return FlowOutcome.FORWARDED
    if verdict == "DROPPED":
        reason: str | int | None = flow.drop_reason  # a name, or the legacy field's number
        if reason is None:
            legacy = flow.extra.get("drop_reason")
            reason = legacy if legacy is not None else (flow.event_subtype if flow.event_type == 1 else None)
        if reason in _EXPLICIT_DENY_CODES or flow.denied_by:
            return FlowOutcome.EXPLICIT_DENY
        if reason in _DEFAULT_DENY_CODES or reason is None:
            return FlowOutcome.DEFAULT_DENY
        return FlowOutcome.DROPPED_OTHER
    return FlowOutcome.ERROR


NODE_KINDS = ("workload", "kube-dns", "fqdn", "world", "host", "remote-node", "kube-apiserver", "ingress", "health",
              "unmanaged", "init", "unknown")
"""Node kinds in drawing order: pods (grouped by namespace), kube-dns, then names and entities outside pods."""


@dataclass(frozen=True)
class Node:
    """A graph node: a workload (pods of one Deployment), kube-dns, an FQDN, or a Cilium entity."""

    id: str
    """Stable key: `ns/workload`, `fqdn:api.github.com`, `world:1.1.1.1`, `host`..."""
    kind: str
    label: str
    namespace: str | None = None

    def __str__(self) -> str:
        return self.id


def node_for(endpoint: Endpoint) -> Node:
    """The node an endpoint is drawn as."""
    if endpoint.pod_name:
        workload = endpoint.workload or endpoint.pod_name
        namespace = endpoint.namespace
        node_id = f"{namespace}/{workload}" if namespace else workload
        return Node(node_id, "kube-dns" if endpoint.is_kube_dns else "workload", workload, namespace)
    if endpoint.names:
        return Node(f"fqdn:{endpoint.names[0]}", "fqdn", endpoint.names[0])
    reserved = endpoint.reserved
    if reserved:
        entity = reserved[0]
        if entity == "world":
            if endpoint.ip:
                return Node(f"world:{endpoint.ip}", "world", endpoint.ip)
            return Node("world", "world", "world")
        kind = entity if entity in NODE_KINDS else "unknown"
        return Node(entity, kind, entity)
    if endpoint.ip:
        return Node(f"ip:{endpoint.ip}", "unknown", endpoint.ip)
    return Node("unknown", "unknown", "unknown")
