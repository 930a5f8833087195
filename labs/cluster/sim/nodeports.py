"""Node ports, allocated cluster-wide the way the API server's allocator does it.

A nodePort belongs to one Service port in the whole cluster: a second Service asking for a taken one
is rejected with the API server's own message, and a NodePort or LoadBalancer Service port without one
gets a free port of 30000-32767 (the lowest free one here, so runs repeat; the API server picks at
random). A re-applied Service keeps the ports it already has.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from labs.cluster.base import ClusterError
from labs.manifests.objects import Service

__all__ = ["NODE_PORT_RANGE", "NODE_PORT_TYPES", "allocate_node_ports"]

NODE_PORT_RANGE = (30000, 32767)
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


def allocate_node_ports(services: Iterable[Service], existing: Mapping[str, Service]) -> list[Service]:
    """`services` with every node port set; ClusterError (nothing changed) when one asks for a taken port."""
    incoming = list(services)
    replaced = {s.key for s in incoming}
    taken: dict[int, str] = {p.node_port: s.key for s in existing.values() if s.key not in replaced
                             for p in s.ports if p.node_port}
    out = []
    for svc in incoming:
        if svc.type not in NODE_PORT_TYPES:
            out.append(svc)
            continue
        previous = existing.get(svc.key)
        kept = {(p.port, p.protocol): p.node_port for p in (previous.ports if previous else ()) if p.node_port}
        ports = []
        for index, port in enumerate(svc.ports):
            wanted = port.node_port
            if wanted is not None:
                owner = taken.get(wanted)
                if owner is not None and owner != svc.key:
                    raise ClusterError(
                        f'Service "{svc.name}" is invalid: spec.ports[{index}].nodePort: Invalid value: {wanted}: '
                        "provided port is already allocated. Nothing was applied.")
            else:
                wanted = kept.get((port.port, port.protocol))
                if wanted is None or taken.get(wanted, svc.key) != svc.key:
                    wanted = _free(taken)
            taken[wanted] = svc.key
            ports.append(replace(port, node_port=wanted))
        out.append(replace(svc, ports=tuple(ports)))
    return out


def _free(taken: Mapping[int, str]) -> int:
    low, high = NODE_PORT_RANGE
    for port in range(low, high + 1):
        if port not in taken:
            return port
    raise ClusterError(f"Service is invalid: no node port free in {low}-{high} (range is full). Nothing was applied.")
