"""Which Cilium endpoint a pod is, and which agent to ask about it: what `cilium-dbg endpoint config` needs.

`cilium-dbg` talks to one agent, and an agent knows only the endpoints of its own node, so a command
about a pod's endpoint must run in the agent pod on that pod's node. A trainee reads the endpoint ID
from `kubectl get cep -n NS POD` (its status.id) or from `cilium-dbg endpoint list` in that agent;
`endpoint_ref` does the same lookup so a notebook cell can write
`%kubectl exec -n kube-system {ref.agent} -- cilium-dbg endpoint config {ref.id} PolicyAuditMode=Enabled`.

Live: the CiliumEndpoint named like the pod (`status.id`), the pod's `spec.nodeName`, and the agent
on that node as the live backend finds it (`labs.cluster.live.agents`): the agent pod (label
`k8s-app=cilium`, the chart's agent label) scheduled there, or the host agent of CILIUM_SOCK, which
`cilium-dbg` on this machine reaches directly (`EndpointRef.dbg` is the command either way). Simulated:
the simulated agent answers for the lab's node, reached as `ds/cilium`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labs.cluster.base import ClusterError
from labs.cluster.live.agents import HostAgent, PodAgents

__all__ = ["EndpointRef", "endpoint_ref"]


@dataclass(frozen=True)
class EndpointRef:
    pod: str
    """`namespace/name`."""
    id: int
    """The endpoint ID (what Hubble prints as `ID` and `cilium-dbg` takes)."""
    agent: str
    """The `kubectl exec -n kube-system` target of the agent that holds the endpoint (an agent pod), or the
    host agent's name when the agent runs on this machine (`host`)."""
    host: bool = False
    """The agent is a host process: `cilium-dbg` on this machine reaches it (CILIUM_SOCK), no exec needed."""

    @property
    def dbg(self) -> str:
        """The command that runs `cilium-dbg` in that agent: append its arguments."""
        return "cilium-dbg" if self.host else f"kubectl exec -n kube-system {self.agent} -- cilium-dbg"

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
    agents = getattr(cluster, "agents", None) or PodAgents(api, getattr(cluster, "execer", None))
    agent = agents.on_node(node)
    if agent is None:
        raise ClusterError(f"no Cilium agent runs on node {node!r}, where {pod} is (looked for {agents.where})")
    return EndpointRef(pod, int(ep_id), agent, host=isinstance(agents, HostAgent))
