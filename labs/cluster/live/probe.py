"""Run one Probe in the live cluster: find the source pod and the destination address, exec the right
command in the source pod, classify what it printed. Hubble correlation happens afterwards, once per
batch (`labs.cluster.live.cluster.LiveCluster.probe_many`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labs.cluster.base import ClusterError
from labs.cluster.live.api import KubeApi
from labs.cluster.live.classify import Classified, classify_dns, classify_http, classify_ping
from labs.cluster.live.commands import dns_command, http_command, ping_command
from labs.cluster.live.correlate import Endpoints
from labs.cluster.live.execpod import PodExec
from labs.cluster.live.outside import run_outside
from labs.cluster.live.probe_tools import PROBE_CONTAINER_ANNOTATION, probe_container
from labs.cluster.live.wait import pod_problem, pod_ready
from labs.outcomes import Outcome
from labs.probes import Probe

__all__ = ["ProbeRunner", "Resolved", "ProbeSetupError", "EXEC_GRACE", "PROBE_CONTAINER_ANNOTATION", "WORLD_ADDRESS"]

EXEC_GRACE = 3.0
"""Seconds an exec may take beyond the probe's own timeout (exec setup, process start)."""
WORLD_ADDRESS = "1.1.1.1"


class ProbeSetupError(Exception):
    """The probe cannot be run (missing pod, unknown port...): becomes an `error` outcome with this reason."""


@dataclass(frozen=True)
class Resolved:
    namespace: str
    pod: str
    container: str | None
    argv: list[str]
    kind: str
    """"http", "dns" or "ping": which classifier reads the output."""
    what: str
    """Human name of the destination, e.g. `backend/api (10.244.1.7:8080)`."""
    ends: Endpoints


def _fmt_host(address: str) -> str:
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


class ProbeRunner:
    """Resolve and run probes through `execer` in the source pods."""

    def __init__(self, api: KubeApi, execer: PodExec):
        self.api = api
        self.execer = execer

    # Lookups ------------------------------------------------------------------------------------

    def _pod(self, key: str, role: str) -> dict[str, Any]:
        namespace, _, name = key.partition("/")
        pod = self.api.get_or_none(f"/api/v1/namespaces/{namespace}/pods/{name}")
        if pod is None:
            existing = [p["metadata"]["name"] for p in self.api.items(f"/api/v1/namespaces/{namespace}/pods")]
            known = ", ".join(existing[:10]) or "none"
            raise ProbeSetupError(f"the {role} pod {key!r} does not exist (pods in namespace {namespace!r}: {known}); "
                                  "apply the lab's workloads first")
        if not pod_ready(pod):
            raise ProbeSetupError(f"the {role} pod {key!r} is not ready ({pod_problem(pod)})")
        return pod

    @staticmethod
    def _named_port(pod: dict[str, Any], port: int | str | None, key: str) -> int | None:
        if port is None or isinstance(port, int) or str(port).isdigit():
            return int(port) if port is not None else None
        names = []
        for container in (pod.get("spec") or {}).get("containers") or []:
            for p in container.get("ports") or []:
                if p.get("name") == port:
                    return int(p["containerPort"])
                if p.get("name"):
                    names.append(p["name"])
        raise ProbeSetupError(f"the pod {key!r} has no port named {port!r} (its named ports: "
                              f"{', '.join(names) or 'none'})")

    def _service(self, key: str, port: int | str | None) -> tuple[str, int | None, Endpoints]:
        namespace, _, name = key.partition("/")
        svc = self.api.get_or_none(f"/api/v1/namespaces/{namespace}/services/{name}")
        if svc is None:
            raise ProbeSetupError(f"the Service {key!r} does not exist")
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        address = ip if ip and ip != "None" else f"{name}.{namespace}.svc.cluster.local"
        number = None
        if port is not None:
            for p in spec.get("ports") or []:
                if str(p.get("port")) == str(port) or (p.get("name") and p.get("name") == port):
                    number = int(p["port"])
            if number is None:
                listed = ", ".join(f"{p.get('port')}" + (f" ({p['name']})" if p.get("name") else "")
                                   for p in spec.get("ports") or [])
                raise ProbeSetupError(f"the Service {key!r} has no port {port!r} (its ports: {listed or 'none'})")
        backends: set[str] = set()
        ips: set[str] = {ip} if ip and ip != "None" else set()
        selector = spec.get("selector") or {}
        if selector:
            sel = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
            for pod in self.api.items(f"/api/v1/namespaces/{namespace}/pods", label_selector=sel):
                backends.add(f"{namespace}/{pod['metadata']['name']}")
                if (pod.get("status") or {}).get("podIP"):
                    ips.add(pod["status"]["podIP"])
        ends = Endpoints("", "", dest_ips=frozenset(ips), dest_pods=frozenset(backends), port=number,
                         extra={"any_port": True})
        return address, number, ends

    def _entity(self, entity: str, source: dict[str, Any]) -> str:
        host_ip = (source.get("status") or {}).get("hostIP")
        if entity == "host":
            if not host_ip:
                raise ProbeSetupError("the source pod has no hostIP yet")
            return host_ip
        if entity == "remote-node":
            for node in self.api.items("/api/v1/nodes"):
                for addr in (node.get("status") or {}).get("addresses") or []:
                    if addr.get("type") == "InternalIP" and addr.get("address") != host_ip:
                        return addr["address"]
            raise ProbeSetupError("there is no remote node: the cluster has a single node")
        if entity == "world":
            return WORLD_ADDRESS
        if entity == "kube-apiserver":
            svc = self.api.get_or_none("/api/v1/namespaces/default/services/kubernetes") or {}
            return str((svc.get("spec") or {}).get("clusterIP") or "kubernetes.default.svc")
        raise ProbeSetupError(f"the entity {entity!r} cannot be probed on the live backend "
                              "(use host, remote-node, world or kube-apiserver)")

    # Resolution ---------------------------------------------------------------------------------

    def resolve(self, probe: Probe, timeout: float) -> Resolved:
        source = self._pod(probe.source, "source")
        container = probe_container(source)
        src_ips = frozenset(filter(None, [(source.get("status") or {}).get("podIP")]))
        base: dict[str, Any] = dict(source_namespace=probe.source_namespace, source_pod=probe.source_pod,
                                    source_ips=src_ips)
        if probe.target is None:
            if not probe.dns:
                raise ProbeSetupError("the probe has neither a target nor a DNS name")
            argv = dns_command(probe.dns, timeout=timeout)
            return Resolved(probe.source_namespace, probe.source_pod, container, argv, "dns", f"dns {probe.dns}",
                            Endpoints(**base, dns_name=probe.dns))
        target = probe.target
        extra: dict[str, Any] = {}
        dest_ips: set[str] = set()
        dest_pods: set[str] = set()
        port: int | None
        if target.kind == "pod":
            dest = self._pod(target.value, "destination")
            address = str((dest.get("status") or {}).get("podIP") or "")
            port = self._named_port(dest, probe.port, target.value)
            dest_ips.add(address)
            dest_pods.add(target.value)
        elif target.kind == "svc":
            address, port, svc_ends = self._service(target.value, probe.port)
            dest_ips |= svc_ends.dest_ips
            dest_pods |= svc_ends.dest_pods
            extra["any_port"] = True
        elif target.kind == "fqdn":
            address = target.value
            port = self._named_port({}, probe.port, target.value)
            extra["fqdn"] = target.value
        elif target.kind == "ip":
            address = target.value
            port = self._named_port({}, probe.port, target.value)
            dest_ips.add(address)
        else:
            address = self._entity(target.value, source)
            port = self._named_port({}, probe.port, str(target))
            dest_ips.add(address)
        ends = Endpoints(**base, dest_ips=frozenset(dest_ips), dest_pods=frozenset(dest_pods), port=port, extra=extra)
        shown = f"{target} ({address}" + (f":{port})" if port is not None else ")")
        protocol = probe.protocol.upper()
        if protocol == "ICMP":
            return Resolved(probe.source_namespace, probe.source_pod, container,
                            ping_command(address, timeout=timeout), "ping", shown, ends)
        if protocol != "TCP":
            raise ProbeSetupError(f"{protocol} probes cannot be judged on the live backend: a dropped datagram and "
                                  "a silent server look the same (use a DNS probe, `dns: NAME`, for UDP port 53)")
        if port is None:
            raise ProbeSetupError("a TCP probe needs a port")
        path = probe.http.path if probe.http else "/"
        url = f"http://{_fmt_host(address)}:{port}{path if path.startswith('/') else '/' + path}"
        argv = http_command(url, probe.http, connect_timeout=timeout, timeout=timeout)
        return Resolved(probe.source_namespace, probe.source_pod, container, argv, "http", shown, ends)

    def run(self, probe: Probe, *, timeout: float) -> tuple[Classified, Endpoints | None]:
        """Resolve, exec and classify; setup problems become `error` outcomes with the reason.

        Probes from outside the cluster (`world`) run from this machine (`labs.cluster.live.outside`).
        """
        if probe.outside:
            return run_outside(self.api, probe, timeout), None
        try:
            res = self.resolve(probe, timeout)
        except ProbeSetupError as exc:
            return Classified(Outcome.ERROR, str(exc)), None
        except ClusterError as exc:  # e.g. 403 for a workshop trainee: this cell fails, not the matrix
            return Classified(Outcome.ERROR, f"the destination could not be looked up: {exc}"), None
        result = self.execer.run(res.namespace, res.pod, res.argv, container=res.container,
                                 timeout=timeout + EXEC_GRACE)
        if res.kind == "dns":
            found = classify_dns(result, name=str(probe.dns), timeout=timeout)
        elif res.kind == "ping":
            found = classify_ping(result, address=res.what, timeout=timeout)
        else:
            found = classify_http(result, is_http=probe.http is not None, timeout=timeout, what=res.what)
        found.detail.setdefault("command", res.argv[-1] if res.argv else "")
        if res.kind != "dns":
            found.detail.setdefault("destination", res.what)
        return found, res.ends
