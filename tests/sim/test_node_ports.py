"""Node ports are allocated cluster-wide, as the API server does: taken ports are refused, unset ones assigned."""

from __future__ import annotations

import pytest

from labs.cluster.base import ClusterError
from labs.cluster.sim import SimCluster


def service(namespace: str, name: str, node_port: int | None = None, type_: str = "NodePort") -> str:
    port = f", nodePort: {node_port}" if node_port is not None else ""
    return f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {namespace}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  type: {type_}
  selector: {{app: {name}}}
  ports: [{{name: http, port: 80, targetPort: 80, protocol: TCP{port}}}]
"""


def node_ports(sim: SimCluster) -> dict[str, tuple]:
    return {s.key: tuple(p.node_port for p in s.ports) for s in sim.services() if s.type == "NodePort"}


def test_a_taken_node_port_is_refused_with_the_api_servers_message_and_nothing_changes():
    sim = SimCluster()
    sim.apply(service("a", "web", 30080))
    with pytest.raises(ClusterError) as err:
        sim.apply(service("b", "web", 30080))
    assert str(err.value) == ('Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port '
                              "is already allocated. Nothing was applied.")
    assert "b" not in {ns.name for ns in sim.namespaces()}
    assert node_ports(sim) == {"a/web": (30080,)}


def test_unset_node_ports_get_free_ones_and_keep_them_when_reapplied():
    sim = SimCluster()
    sim.apply(service("a", "fixed", 30000))
    sim.apply(service("a", "one"))
    sim.apply(service("b", "two"))
    sim.apply(service("a", "one"))
    sim.apply(service("c", "cip", type_="ClusterIP"))
    assert node_ports(sim) == {"a/fixed": (30000,), "a/one": (30001,), "b/two": (30002,)}
    assert [p.node_port for p in next(s for s in sim.services() if s.name == "cip").ports] == [None]


def test_the_same_service_may_keep_its_own_node_port():
    sim = SimCluster()
    sim.apply(service("a", "web", 30080))
    sim.apply(service("a", "web", 30080))
    assert node_ports(sim) == {"a/web": (30080,)}
