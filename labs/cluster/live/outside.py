"""`from: world` on a live cluster: the notebook's machine, outside the cluster, asks a node's NodePort.

The request is a plain HTTP GET (or the probe's `http` method and path) from this Python process to
the entry node's InternalIP and the Service's nodePort, with a bounded timeout, classified into the
course's outcome words: an HTTP answer is `allowed` (403 "Access denied" from Cilium's proxy is
`l7-denied`), no answer within the timeout is `dropped`, anything else (connection refused, no route)
is `error` with the reason. Cilium sees this client as `world`, or as `remote-node` when the entry node
forwards to a backend on another node (see `labs.cluster.sim.outside` for the semantics and source).

`from: host` needs a shell on a node, which the notebook does not have: it is an `error` here that
says so. Pod addresses are not routed outside the cluster, so a live `world` probe names a Service.
"""

from __future__ import annotations

import http.client
import time
from typing import Any

from labs.cluster.live.classify import Classified
from labs.outcomes import Outcome
from labs.probes import Probe, outside_problem

__all__ = ["EXTERNAL_SERVICE_TYPES", "entry_address", "node_port", "request_outcome", "run_outside"]

EXTERNAL_SERVICE_TYPES = ("NodePort", "LoadBalancer")
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


class OutsideSetupError(Exception):
    """The probe cannot be run from here; becomes an `error` outcome with this reason."""


def entry_address(nodes: list[dict[str, Any]]) -> tuple[str, str]:
    """(name, InternalIP) of the node an outside client connects to: the first worker by name, else the first."""
    def internal_ip(node: dict[str, Any]) -> str | None:
        for addr in (node.get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP" and addr.get("address"):
                return str(addr["address"])
        return None

    named = sorted((n for n in nodes if internal_ip(n)), key=lambda n: n["metadata"]["name"])
    if not named:
        raise OutsideSetupError("no node has an InternalIP address to connect to")
    workers = [n for n in named if CONTROL_PLANE_LABEL not in ((n.get("metadata") or {}).get("labels") or {})]
    node = (workers or named)[0]
    return node["metadata"]["name"], str(internal_ip(node))


def node_port(service: dict[str, Any], key: str, port: int | str | None) -> int:
    """The nodePort behind the Service port the probe names (its number or its name)."""
    spec = service.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    if kind not in EXTERNAL_SERVICE_TYPES:
        raise OutsideSetupError(f"Service {key} is of type {kind}: only a NodePort or LoadBalancer Service is "
                                "reachable from outside the cluster")
    for p in spec.get("ports") or []:
        if str(p.get("port")) == str(port) or (p.get("name") and p.get("name") == port):
            if not p.get("nodePort"):
                raise OutsideSetupError(f"Service {key} port {port} has no nodePort yet")
            return int(p["nodePort"])
    listed = ", ".join(str(p.get("port")) for p in spec.get("ports") or [])
    raise OutsideSetupError(f"Service {key} has no port {port!r} (its ports: {listed or 'none'})")


def request_outcome(host: str, port: int, probe: Probe, timeout: float) -> Classified:
    """One HTTP request, classified: answered, denied by the proxy, dropped (timeout) or error."""
    method = probe.http.method if probe.http else "GET"
    path = probe.http.path if probe.http else "/"
    headers = dict(probe.http.headers) if probe.http else {}
    shown = f"{method} http://{host}:{port}{path}"
    started = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers)
        reply = conn.getresponse()
        body = reply.read(2048).decode("utf-8", "replace")
    except TimeoutError:
        return Classified(Outcome.DROPPED, f"no answer from {host}:{port} within {timeout:g} s (a policy drop "
                          "looks like this)", {"command": shown})
    except ConnectionRefusedError:
        return Classified(Outcome.ERROR, f"connection to {host}:{port} refused: nothing answers on that port",
                          {"command": shown})
    except OSError as exc:
        return Classified(Outcome.ERROR, f"cannot reach {host}:{port}: {exc.strerror or exc}", {"command": shown})
    finally:
        conn.close()
    elapsed = time.monotonic() - started
    detail = {"command": shown, "http_status": reply.status, "seconds": round(elapsed, 3)}
    if reply.status == 403 and "access denied" in body.lower():
        return Classified(Outcome.L7_DENIED, f"HTTP 403 Access denied from Cilium's proxy ({shown})", detail)
    return Classified(Outcome.ALLOWED, f"HTTP {reply.status} from {shown}", detail)


def run_outside(api: Any, probe: Probe, timeout: float) -> Classified:
    """Run a `world` probe from this machine; every setup problem is an `error` outcome with its reason."""
    problem = outside_problem(probe.source, probe.target, probe.protocol)
    target = probe.target
    try:
        if problem or target is None:
            raise OutsideSetupError(problem or "the probe has no target")
        if probe.source == "host":
            raise OutsideSetupError("a probe from host runs on a node, and the notebook has no shell there: "
                                    "grade it on the simulated backend, or run curl on the node (vagrant ssh)")
        if target.kind != "svc":
            raise OutsideSetupError(f"pod addresses are not routed outside the cluster: probe {target.namespace}'s "
                                    "NodePort Service (svc:ns/name) from world")
        if probe.protocol != "TCP":
            raise OutsideSetupError(f"{probe.protocol} probes from world cannot be judged here; use TCP")
        namespace, _, name = target.value.partition("/")
        service = api.get_or_none(f"/api/v1/namespaces/{namespace}/services/{name}")
        if service is None:
            raise OutsideSetupError(f"the Service {target.value!r} does not exist")
        port = node_port(service, target.value, probe.port)
        node, address = entry_address(api.items("/api/v1/nodes"))
    except OutsideSetupError as exc:
        return Classified(Outcome.ERROR, str(exc))
    found = request_outcome(address, port, probe, timeout)
    found.detail.setdefault("destination", f"NodePort {address}:{port} on node {node}")
    return found
