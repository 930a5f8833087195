"""What a client inside a pod experiences on the simulated network: name resolution, a TCP/HTTP exchange,
an ICMP echo, each answered by `SimCluster.probe` (which also records the Hubble flows of the attempt).

Name resolution follows musl libc's resolver (the course's client images are Alpine based): with the
cluster's `ndots:5`, a name with fewer than five dots is tried under each search domain
(`<ns>.svc.cluster.local svc.cluster.local cluster.local`) before as written; NXDOMAIN moves on to the
next candidate, while REFUSED (Cilium's DNS proxy), an empty answer or no answer at all (a drop, after
musl's 5 s x 2 attempts) ends the search with a failure. So a DNS rule narrower than `*` refuses the
search-domain candidates and Alpine clients cannot resolve even the names the rule allows.
Sources: musl `src/network/lookup_name.c` (`name_from_dns_search`, `name_from_dns`),
`src/network/resolvconf.c` (defaults timeout 5, attempts 2).

What the servers answer is known only for the course's echo server (hashicorp/http-echo: the `-text`
argument and a newline, on the `-listen` port) and for Cilium's L7 proxy (HTTP 403, body
`Access denied\\r\\n`, cilium/proxy's access-denied response). Anything else is reported as unknown, so
the callers answer with the simulation note instead of inventing a reply.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labs.outcomes import Outcome
from labs.probes import HttpRequest, Probe, ProbeResult, Target

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["LOCAL_NOTE", "is_local", "Lookup", "lookup_host", "connect", "echo", "ServerReply", "server_reply",
           "search_domains", "ACCESS_DENIED_BODY", "RESOLVER_TIMEOUT_S"]

ACCESS_DENIED_BODY = "Access denied\r\n"
RESOLVER_TIMEOUT_S = 10
"""musl: 5 s per attempt, 2 attempts."""
NDOTS = 5


def search_domains(namespace: str) -> list[str]:
    """The search line kubelet writes into a pod's /etc/resolv.conf (ClusterFirst DNS policy)."""
    return [f"{namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local"]


@dataclass(frozen=True)
class Lookup:
    """The outcome of resolving one name: an address, or why not (`nxdomain`, `refused`, `timeout`)."""

    ip: str | None
    failure: str | None = None
    name: str = ""
    """The name that answered (the search candidate)."""


def _dns(cluster: SimCluster, source: str, name: str) -> ProbeResult:
    return cluster.probe(Probe(source, None, None, "UDP", None, name))


def lookup_host(cluster: SimCluster, source: str, host: str) -> Lookup:
    """Resolve `host` from pod `source` (`ns/name`) as musl's getaddrinfo does."""
    if host.rstrip(".") == "localhost":  # /etc/hosts, read before DNS
        return Lookup("127.0.0.1", name=host)
    try:
        ipaddress.ip_address(host)
        return Lookup(host, name=host)
    except ValueError:
        pass
    name = host.rstrip(".")
    candidates = [] if host.endswith(".") else [f"{name}.{d}" for d in search_domains(source.split("/")[0])]
    if host.endswith(".") or name.count(".") >= NDOTS:
        candidates = [name]
    else:
        candidates.append(name)
    for candidate in candidates:
        result = _dns(cluster, source, candidate)
        if result.outcome is Outcome.DROPPED:
            return Lookup(None, "timeout", candidate)
        if result.outcome is Outcome.REFUSED:
            return Lookup(None, "refused", candidate)
        if result.outcome is Outcome.ERROR:
            return Lookup(None, "error", candidate)
        ips = result.detail.get("ips") or []
        if ips:
            return Lookup(ips[0], None, candidate)
        if result.detail.get("dns") not in (None, "NXDOMAIN"):
            return Lookup(None, "nodata", candidate)  # musl: an empty answer ends the search (EAI_NONAME)
    return Lookup(None, "nxdomain", name)


def is_local(ip: str) -> bool:
    """Loopback traffic stays inside the pod: no policy, no flow, and nothing the simulation models."""
    return ipaddress.ip_address(ip).is_loopback


LOCAL_NOTE = "traffic to localhost stays inside the pod; the simulated cluster models traffic between endpoints"


def dns_query(cluster: SimCluster, source: str, name: str) -> tuple[str, list[str]]:
    """One query as nslookup sends it: (`NOERROR`|`NXDOMAIN`|`REFUSED`|`TIMEOUT`, addresses)."""
    result = _dns(cluster, source, name)
    if result.outcome is Outcome.DROPPED:
        return "TIMEOUT", []
    if result.outcome is Outcome.REFUSED:
        return "REFUSED", []
    if result.outcome is Outcome.ERROR:
        return "TIMEOUT", []
    return str(result.detail.get("dns") or "NOERROR"), list(result.detail.get("ips") or [])


def connect(cluster: SimCluster, source: str, ip: str, port: int, http: HttpRequest | None) -> ProbeResult:
    return cluster.probe(Probe(source, Target("ip", ip), port, "TCP", http))


def echo(cluster: SimCluster, source: str, ip: str) -> ProbeResult:
    return cluster.probe(Probe(source, Target("ip", ip), None, "ICMP"))


@dataclass(frozen=True)
class ServerReply:
    status: int
    body: str


def server_reply(cluster: SimCluster, source: str, ip: str, port: int) -> ServerReply | str | None:
    """What answers an allowed HTTP request at ip:port: a ServerReply, `refused` (nothing listens), or None
    (the simulation does not know that server)."""
    from labs.commands.kubectl.views import pod_containers

    landing = cluster.destination(source, ip, port)
    if landing is None:
        return None
    pod, target_port = landing
    known = True
    for container in pod_containers(cluster, pod.namespace, pod.name):
        image = str(container.get("image", ""))
        if "http-echo" not in image:
            known = known and image.split(":")[0] in CLIENT_IMAGES
            continue
        args = [str(a) for a in container.get("args") or []]
        listen = next((a.split("=", 1)[1] for a in args if a.startswith("-listen=")), ":5678")
        text = next((a.split("=", 1)[1] for a in args if a.startswith("-text=")), None)
        if listen.rsplit(":", 1)[-1] == str(target_port):
            return ServerReply(200, text + "\n") if text is not None else None
    return "refused" if known else None


CLIENT_IMAGES = ("curlimages/curl", "busybox")
"""Client images of the course: they run `sleep` and listen on no port."""
