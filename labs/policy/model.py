"""The typed policy model: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy and NetworkPolicy.

Built by `labs.manifests` (which validates every field and keeps where it was written), consumed by
the engine (`labs.policy.engine`), `explain` and `lint`. Values are kept as the author wrote them
(selector keys with or without a `k8s:`/`any:` source, ports as strings); interpretation belongs to
the engine, so that lint and explain can still talk about what was written.

The distinction between a key that is absent (`None`) and an empty list (`()`) is deliberate: Cilium
treats `ingress: []` and no `ingress` key alike, but `fromEndpoints: []` differently from no
`fromEndpoints` (cilium-semantics §2.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

from labs.manifests.objects import SourceRef

__all__ = [
    "Requirement", "LabelSelector", "PortProtocol", "HeaderMatch", "HTTPRule", "DNSRule", "KafkaRule", "L7Rules",
    "PortRule", "ICMPField", "CIDRRule", "ServiceSelector", "FQDNSelector", "PeerRule", "Rule",
    "CiliumPolicy", "KnpPeer", "KnpPort", "KnpRule", "KubeNetworkPolicy", "Policy", "Section",
    "SECTIONS", "ENTITIES",
]

Section = Literal["ingress", "ingressDeny", "egress", "egressDeny"]
SECTIONS: tuple[Section, ...] = ("ingress", "ingressDeny", "egress", "egressDeny")

ENTITIES: tuple[str, ...] = (
    "all", "world", "cluster", "host", "init", "ingress", "unmanaged", "remote-node", "health",
    "none", "kube-apiserver",
)
"""The entity enum of the CRD (world-ipv4/world-ipv6 are not accepted in YAML)."""


@dataclass(frozen=True)
class Requirement:
    """One matchExpressions entry. `operator` is In, NotIn, Exists or DoesNotExist."""

    key: str
    operator: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelSelector:
    """matchLabels plus matchExpressions, ANDed; an empty selector matches everything it is asked about.

    Keys are as written (`app`, `k8s:app`, `any:app`, `reserved:host`, `io.kubernetes.pod.namespace`).
    """

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()
    path: str = ""
    """Field path where the selector was written, e.g. `spec.ingress[0].fromEndpoints[1]`."""

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions


@dataclass(frozen=True)
class PortProtocol:
    """One `ports` entry of a toPorts rule: port as written ("80", "http", "0"), optional endPort."""

    port: str | None
    protocol: str = "ANY"
    end_port: int | None = None


@dataclass(frozen=True)
class HeaderMatch:
    name: str
    value: str | None = None
    mismatch: str | None = None


@dataclass(frozen=True)
class HTTPRule:
    """One HTTP rule; fields are RE2 regexes matched in full. An empty rule allows all HTTP."""

    method: str | None = None
    path: str | None = None
    host: str | None = None
    headers: tuple[str, ...] = ()
    header_matches: tuple[HeaderMatch, ...] = ()
    index: int = 0


@dataclass(frozen=True)
class DNSRule:
    """Exactly one of match_name / match_pattern is set."""

    match_name: str | None = None
    match_pattern: str | None = None
    index: int = 0


@dataclass(frozen=True)
class KafkaRule:
    """One Kafka rule (Cilium 1.19, deprecated there, removed in 1.20): role or apiKey, apiVersion, clientID, topic.

    Empty fields match everything (cilium/proxy `pkg/policy/api/kafka/kafka.go`, type `PortRule`).
    """

    role: str | None = None
    api_key: str | None = None
    api_version: str | None = None
    client_id: str | None = None
    topic: str | None = None
    index: int = 0


@dataclass(frozen=True)
class L7Rules:
    """Exactly one of http / dns / kafka is set (an empty tuple is a valid, empty list)."""

    http: tuple[HTTPRule, ...] | None = None
    dns: tuple[DNSRule, ...] | None = None
    kafka: tuple[KafkaRule, ...] | None = None


@dataclass(frozen=True)
class PortRule:
    """One toPorts item: the ports it opens and the L7 rules that apply on them."""

    ports: tuple[PortProtocol, ...] = ()
    rules: L7Rules | None = None
    server_names: tuple[str, ...] = ()
    index: int = 0


@dataclass(frozen=True)
class ICMPField:
    """One icmps field; type is a number or a name such as "EchoRequest"."""

    type: int | str
    family: str = "IPv4"


@dataclass(frozen=True)
class CIDRRule:
    cidr: str
    except_: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceSelector:
    """toServices item: by name (k8sService) or by label selector (k8sServiceSelector)."""

    name: str | None = None
    namespace: str | None = None
    selector: LabelSelector | None = None


@dataclass(frozen=True)
class FQDNSelector:
    match_name: str | None = None
    match_pattern: str | None = None


@dataclass(frozen=True)
class PeerRule:
    """One item of ingress / ingressDeny / egress / egressDeny.

    `endpoints` holds fromEndpoints or toEndpoints, `entities` fromEntities or toEntities, and so on;
    the section tells the direction. None means the key was absent, () an explicit empty list.
    """

    section: Section
    index: int
    endpoints: tuple[LabelSelector, ...] | None = None
    entities: tuple[str, ...] | None = None
    cidr: tuple[str, ...] | None = None
    cidr_set: tuple[CIDRRule, ...] | None = None
    services: tuple[ServiceSelector, ...] | None = None
    fqdns: tuple[FQDNSelector, ...] | None = None
    nodes: tuple[LabelSelector, ...] | None = None
    to_ports: tuple[PortRule, ...] | None = None
    icmps: tuple[ICMPField, ...] | None = None
    path: str = ""
    """Field path, e.g. `spec.ingress[0]` or `specs[1].egressDeny[2]`."""
    line: int | None = None

    @property
    def is_ingress(self) -> bool:
        return self.section in ("ingress", "ingressDeny")

    @property
    def is_deny(self) -> bool:
        return self.section.endswith("Deny")


@dataclass(frozen=True)
class Rule:
    """One Cilium rule (`spec`, or one element of `specs`)."""

    endpoint_selector: LabelSelector | None = None
    node_selector: LabelSelector | None = None
    ingress: tuple[PeerRule, ...] | None = None
    ingress_deny: tuple[PeerRule, ...] | None = None
    egress: tuple[PeerRule, ...] | None = None
    egress_deny: tuple[PeerRule, ...] | None = None
    enable_default_deny_ingress: bool | None = None
    enable_default_deny_egress: bool | None = None
    description: str | None = None
    log: str | None = None
    path: str = "spec"
    line: int | None = None

    def section(self, name: Section) -> tuple[PeerRule, ...] | None:
        return {"ingress": self.ingress, "ingressDeny": self.ingress_deny,
                "egress": self.egress, "egressDeny": self.egress_deny}[name]


@dataclass(frozen=True)
class CiliumPolicy:
    """A CiliumNetworkPolicy (namespace set) or CiliumClusterwideNetworkPolicy (namespace None)."""

    kind: str
    name: str
    namespace: str | None
    rules: tuple[Rule, ...]
    labels: tuple[tuple[str, str], ...] = ()
    source: SourceRef = SourceRef()
    sanitize_errors: tuple[tuple[str, str], ...] = ()
    """(rule path such as `spec` or `specs[1]`, Cilium's error) for each check of `Rule.Sanitize()` the API
    server does not make; only set for a policy read as `kubectl apply` stores it (labs.manifests,
    api_server_only). The operator marks such a policy Valid False, and the agent does not enforce it."""
    parse_errors: tuple[str, ...] = ()
    """Errors of the agent's own parsing (an empty policy, nodeSelector in a namespaced policy): stored,
    reported Valid by the operator, and still not enforced."""

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def refused_by_agent(self) -> bool:
        """Stored by the API server but not enforced: Cilium refuses it (or a rule of it has no section)."""
        return bool(self.sanitize_errors or self.parse_errors) or any(
            not (r.ingress or r.ingress_deny or r.egress or r.egress_deny) for r in self.rules)


@dataclass(frozen=True)
class KnpPeer:
    """One `from`/`to` item of a NetworkPolicy: podSelector and/or namespaceSelector, or ipBlock."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: CIDRRule | None = None


@dataclass(frozen=True)
class KnpPort:
    """A NetworkPolicy port: protocol defaults to TCP; port None means every port."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None


@dataclass(frozen=True)
class KnpRule:
    """One ingress or egress item. peers/ports None or () mean "all" as in Kubernetes."""

    index: int
    peers: tuple[KnpPeer, ...] | None = None
    ports: tuple[KnpPort, ...] | None = None
    path: str = ""
    line: int | None = None


@dataclass(frozen=True)
class KubeNetworkPolicy:
    name: str
    namespace: str
    pod_selector: LabelSelector
    policy_types: tuple[str, ...] | None = None
    """As written; None when the field was omitted (Kubernetes then derives it)."""
    ingress: tuple[KnpRule, ...] | None = None
    egress: tuple[KnpRule, ...] | None = None
    source: SourceRef = SourceRef()

    kind: str = "NetworkPolicy"

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


Policy = Union[CiliumPolicy, KubeNetworkPolicy]
