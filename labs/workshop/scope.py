"""Which names belong to a trainee: the namespace prefix rule, shared namespaces and cluster-wide kinds.

Every rewrite (manifests, policies, lab.yaml probes, RBAC) asks this module, so the rule is written
once: a namespace is prefixed with `<trainee>-` unless it is shared (kube-system and the other system
namespaces, which exist once per cluster and are never copied per trainee).
"""

from __future__ import annotations

from dataclasses import dataclass

from labs.workshop.names import validate_trainee

__all__ = [
    "SHARED_NAMESPACES", "CLUSTER_SCOPED_KINDS", "TRAINEE_LABEL", "WORKSHOP_LABEL", "LAB_LABEL",
    "NamespaceMap",
]

SHARED_NAMESPACES: frozenset[str] = frozenset({"kube-system", "kube-public", "kube-node-lease"})
"""Namespaces that exist once per cluster; references to them are kept as written."""

TRAINEE_LABEL = "ciliumlab.io/trainee"
WORKSHOP_LABEL = "ciliumlab.io/workshop"
LAB_LABEL = "ciliumlab.io/lab"

CLUSTER_SCOPED_KINDS: frozenset[str] = frozenset({
    "CiliumClusterwideNetworkPolicy", "CiliumClusterwideEnvoyConfig", "CiliumCIDRGroup", "CiliumNode",
    "CiliumIdentity", "CiliumLoadBalancerIPPool", "CiliumBGPClusterConfig", "CiliumBGPPeerConfig",
    "CiliumBGPAdvertisement", "CiliumBGPNodeConfigOverride", "CiliumNodeConfig", "CiliumEgressGatewayPolicy",
    "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Node", "PersistentVolume",
    "StorageClass", "IngressClass", "PriorityClass", "GatewayClass", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration", "APIService",
})
"""Kinds that are not namespaced (besides Namespace itself): one trainee cannot own them."""


@dataclass(frozen=True)
class NamespaceMap:
    """Maps a lab's namespace names to one trainee's names (`frontend` -> `alice-frontend`)."""

    trainee: str
    shared: frozenset[str] = SHARED_NAMESPACES

    def __post_init__(self) -> None:
        validate_trainee(self.trainee)

    @property
    def prefix(self) -> str:
        return self.trainee + "-"

    def is_shared(self, namespace: str) -> bool:
        return namespace in self.shared

    def owns(self, namespace: str) -> bool:
        """True for a namespace that already belongs to this trainee (`alice-frontend`)."""
        return namespace.startswith(self.prefix) and len(namespace) > len(self.prefix)

    def ns(self, namespace: str) -> str:
        """The trainee's name for a lab namespace; shared and already-prefixed names are kept."""
        if not namespace or self.is_shared(namespace) or self.owns(namespace):
            return namespace
        return self.prefix + namespace

    def lab_name(self, namespace: str) -> str:
        """The inverse of `ns`: `alice-frontend` -> `frontend` (other names unchanged)."""
        return namespace[len(self.prefix):] if self.owns(namespace) else namespace

    def dns_name(self, name: str) -> str:
        """Rewrite the namespace part of an in-cluster DNS name (`api.backend.svc.cluster.local`).

        Names outside the cluster (`api.github.com`) and wildcard patterns over all namespaces
        (`*.svc.cluster.local`) are kept.
        """
        trailing = name.endswith(".")
        labels = name.rstrip(".").split(".")
        for i in range(1, len(labels)):
            rest = [label.lower() for label in labels[i + 1:]]
            if labels[i].lower() == "svc" and rest in ([], ["cluster", "local"]) and i >= 2:
                ns_label = labels[i - 1]
                if "*" not in ns_label:
                    labels[i - 1] = self.ns(ns_label)
                break
        return ".".join(labels) + ("." if trailing else "")

    def pod_ref(self, ref: str) -> str:
        """Rewrite `ns/pod` (a probe source or target); other text is kept."""
        ns, sep, rest = ref.partition("/")
        if sep and ns and rest and "/" not in rest:
            return f"{self.ns(ns)}/{rest}"
        return ref

    def target(self, text: str) -> str:
        """Rewrite a probe `to:` value: `ns/pod`, `svc:ns/name`, `fqdn:name`; ip and entity are kept."""
        kind, sep, rest = text.partition(":")
        if sep and kind == "svc":
            return "svc:" + self.pod_ref(rest.strip())
        if sep and kind == "fqdn":
            return "fqdn:" + self.dns_name(rest.strip())
        if sep and kind in ("ip", "entity"):
            return text
        return self.pod_ref(text)
