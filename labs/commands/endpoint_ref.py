"""Which Cilium endpoint a pod is, and which agent to ask about it: what `cilium-dbg endpoint config` needs.

`cilium-dbg` talks to one agent, and an agent knows only the endpoints of its own node, so a command
about a pod's endpoint must run in the agent pod on that pod's node. A trainee reads the endpoint ID
from `kubectl get cep -n NS POD` (its status.id) or from `cilium-dbg endpoint list` in that agent;
`endpoint_ref` does the same lookup so a notebook cell can write
`%kubectl exec -n kube-system {ref.agent} -- cilium-dbg endpoint config {ref.id} PolicyAuditMode=Enabled`.

Live: the CiliumEndpoint named like the pod (`status.id`), the pod's `spec.nodeName`, and the agent
pod (label `k8s-app=cilium`, the chart's agent label) scheduled on that node. Simulated: the
simulated agent answers for the lab's node, reached as `ds/cilium`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labs.cluster.base import ClusterError

__all__ = ["EndpointRef", "endpoint_ref"]


@dataclass(frozen=True)
class EndpointRef:
    pod: str
    """`namespace/name`."""
    id: int
    """The endpoint ID (what Hubble prints as `ID` and `cilium-dbg` takes)."""
    agent: str
    """The `kubectl exec -n kube-system` target of the agent that holds the endpoint."""

    def __str__(self) -> str:
        return f"endpoint {self.id} ({self.pod}), agent {self.agent}"


def endpoint_ref(cluster: Any, pod: str) -> EndpointRef:
    """The endpoint of pod `ns/name` and the agent to reach it through; ClusterError when there is none yet."""
    namespace, _, name = pod.partition("/")
    if not name:
        raise ValueError(f"pod {pod!r} must be written as namespace/name")
    if getattr(cluster, "backend", "") == "sim":
        ep_id = cluster.endpoint_id(pod)
        if ep_id is None:
            raise ClusterError(f"pod {pod} does not exist (run lab.deploy())")
        return EndpointRef(pod, int(ep_id), "ds/cilium")
    api = cluster.api
    cep = api.get_or_none(f"/apis/cilium.io/v2/namespaces/{namespace}/ciliumendpoints/{name}")
    ep_id = ((cep or {}).get("status") or {}).get("id")
    if ep_id is None:
        raise ClusterError(f"pod {pod} has no CiliumEndpoint with an ID yet: is it running "
                           f"(kubectl get cep -n {namespace} {name})?")
    node = ((api.get_or_none(f"/api/v1/namespaces/{namespace}/pods/{name}") or {}).get("spec") or {}).get("nodeName")
    agents = [p for p in api.items("/api/v1/namespaces/kube-system/pods", label_selector="k8s-app=cilium")
              if (p.get("spec") or {}).get("nodeName") == node]
    if not agents:
        raise ClusterError(f"no Cilium agent pod (label k8s-app=cilium) runs on node {node!r}, where {pod} is")
    return EndpointRef(pod, int(ep_id), str(agents[0]["metadata"]["name"]))
