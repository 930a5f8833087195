"""The resource types `kubectl` knows on the course's cluster: names, short names, group, scope.

Names and short names are those the API server publishes (`kubectl api-resources`): core types from
k8s.io/kubernetes (pods `po`, services `svc`, namespaces `ns`, nodes `no`, deployments `deploy`,
networkpolicies `netpol`), Cilium's from its CRDs (`pkg/k8s/apis/cilium.io/v2/*_types.go` kubebuilder
markers: ciliumnetworkpolicies `cnp`/`ciliumnp`, ciliumclusterwidenetworkpolicies `ccnp`, ciliumendpoints
`cep`/`ciliumep`, ciliumidentities `ciliumid`). Types a real cluster serves but the simulated one does not
model are listed too, so that asking for them gets the "not modelled" note instead of kubectl's
"doesn't have a resource type" error, which would be false.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ResourceType", "RESOURCE_TYPES", "lookup", "UnknownResource", "by_kind"]


@dataclass(frozen=True)
class ResourceType:
    plural: str
    singular: str
    kind: str
    group: str = ""
    namespaced: bool = True
    short: tuple[str, ...] = ()
    modelled: bool = True

    @property
    def group_kind(self) -> str:
        """`pod`, `deployment.apps`, `ciliumnetworkpolicy.cilium.io`: the name printer's prefix."""
        return self.kind.lower() + (f".{self.group}" if self.group else "")

    @property
    def group_resource(self) -> str:
        """`pods`, `deployments.apps`: how the API server names the resource in errors."""
        return self.plural + (f".{self.group}" if self.group else "")

    def names(self) -> set[str]:
        names = {self.plural, self.singular, self.kind.lower(), *self.short}
        if self.group:
            names |= {f"{self.plural}.{self.group}", f"{self.singular}.{self.group}"}
        return names


RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType("pods", "pod", "Pod", short=("po",)),
    ResourceType("services", "service", "Service", short=("svc",)),
    ResourceType("deployments", "deployment", "Deployment", "apps", short=("deploy",)),
    ResourceType("namespaces", "namespace", "Namespace", namespaced=False, short=("ns",)),
    ResourceType("nodes", "node", "Node", namespaced=False, short=("no",)),
    ResourceType("networkpolicies", "networkpolicy", "NetworkPolicy", "networking.k8s.io", short=("netpol",)),
    ResourceType("ciliumnetworkpolicies", "ciliumnetworkpolicy", "CiliumNetworkPolicy", "cilium.io",
                 short=("cnp", "ciliumnp")),
    ResourceType("ciliumclusterwidenetworkpolicies", "ciliumclusterwidenetworkpolicy",
                 "CiliumClusterwideNetworkPolicy", "cilium.io", namespaced=False, short=("ccnp",)),
    ResourceType("ciliumendpoints", "ciliumendpoint", "CiliumEndpoint", "cilium.io", short=("cep", "ciliumep")),
    ResourceType("ciliumidentities", "ciliumidentity", "CiliumIdentity", "cilium.io", namespaced=False,
                 short=("ciliumid",)),
    # Served by a real cluster, not modelled here.
    ResourceType("replicasets", "replicaset", "ReplicaSet", "apps", short=("rs",), modelled=False),
    ResourceType("statefulsets", "statefulset", "StatefulSet", "apps", short=("sts",), modelled=False),
    ResourceType("daemonsets", "daemonset", "DaemonSet", "apps", short=("ds",), modelled=False),
    ResourceType("configmaps", "configmap", "ConfigMap", short=("cm",), modelled=False),
    ResourceType("secrets", "secret", "Secret", modelled=False),
    ResourceType("serviceaccounts", "serviceaccount", "ServiceAccount", short=("sa",), modelled=False),
    ResourceType("endpoints", "endpoints", "Endpoints", short=("ep",), modelled=False),
    ResourceType("endpointslices", "endpointslice", "EndpointSlice", "discovery.k8s.io", modelled=False),
    ResourceType("events", "event", "Event", short=("ev",), modelled=False),
    ResourceType("ingresses", "ingress", "Ingress", "networking.k8s.io", short=("ing",), modelled=False),
    ResourceType("jobs", "job", "Job", "batch", modelled=False),
    ResourceType("cronjobs", "cronjob", "CronJob", "batch", short=("cj",), modelled=False),
    ResourceType("ciliumnodes", "ciliumnode", "CiliumNode", "cilium.io", namespaced=False, short=("cn", "ciliumn"),
                 modelled=False),
    ResourceType("ciliumcidrgroups", "ciliumcidrgroup", "CiliumCIDRGroup", "cilium.io", namespaced=False,
                 short=("ccg",), modelled=False),
    ResourceType("customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition",
                 "apiextensions.k8s.io", namespaced=False, short=("crd", "crds"), modelled=False),
)

_BY_NAME = {name: rt for rt in RESOURCE_TYPES for name in rt.names()}
_BY_KIND = {rt.kind: rt for rt in RESOURCE_TYPES}


class UnknownResource(LookupError):
    """kubectl: `error: the server doesn't have a resource type "NAME"`."""

    def __init__(self, name: str):
        super().__init__(f'the server doesn\'t have a resource type "{name}"')
        self.name = name


CATEGORIES = ("all", "cilium", "ciliumpolicy")
"""Resource categories kubectl expands (`kubectl get all`); the simulated cluster does not expand them."""


def lookup(name: str) -> ResourceType:
    if name.lower() in CATEGORIES:
        return ResourceType(name.lower(), name.lower(), name.lower(), modelled=False)
    rt = _BY_NAME.get(name.lower())
    if rt is None:
        raise UnknownResource(name)
    return rt


def by_kind(kind: str) -> ResourceType | None:
    return _BY_KIND.get(kind)
