"""`kubectl describe pod NAME` on the simulated cluster.

The layout is kubectl's `describePod` (k8s.io/kubectl `pkg/describe/describe.go`): Name, Namespace,
Priority, Service Account, Node (`name/hostIP`), Start Time (RFC 1123 with numeric zone), Labels and
Annotations (`printLabelsMultiline`), Status, IP, IPs, Controlled By, then `describeContainers`
(`describeContainerBasicInfo`: Container ID, Image, Image ID, Port/Ports, Host Port/Host Ports;
`describeContainerCommand`; `describeContainerState`: State Running with Started, Ready, Restart Count;
`describeResources`: Limits and Requests, resource names sorted; Environment; Mounts), Conditions
(`  Type\\tStatus`, each `%v \\t%v \\n`), `describeVolumes` (the projected service-account volume,
`printProjectedVolumeSource`), QoS Class, Node-Selectors, Tolerations (`printPodTolerationsMultiline`),
Events. Everything goes through kubectl's tabwriter (`tabbedString`, padding 2).

What a real API server and kubelet add is reproduced as they add it: priority 0, the `default` service
account, the `kube-api-access-<5 chars>` projected volume mounted read-only at
/var/run/secrets/kubernetes.io/serviceaccount (ServiceAccount admission: token 3607 s, `kube-root-ca.crt`,
downward API), the not-ready/unreachable tolerations for 300 s (DefaultTolerationSeconds admission), the
five pod conditions of a running pod, and the QoS class from the requests and limits (`qos.GetPodQOS`).
Container IDs and the volume's suffix are random on a real cluster; here they are derived from the pod's
uid. The simulated cluster pulls no image, so Image ID is empty; no events are recorded (`<none>`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster
    from labs.commands.kubectl.views import ObjectView

__all__ = ["describe_pod", "qos_class"]

_RAND_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
"""k8s.io/apimachinery `util/rand.String`'s alphabet (the kube-api-access-<suffix> volume name)."""
_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def _rfc1123z(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _suffix(uid: str, length: int = 5) -> str:
    digest = hashlib.sha256(uid.encode()).digest()
    return "".join(_RAND_ALPHABET[b % len(_RAND_ALPHABET)] for b in digest[:length])


def qos_class(containers: list[dict[str, Any]]) -> str:
    """`qos.GetPodQOS`: BestEffort without any request or limit; Guaranteed when every container limits
    cpu and memory and its requests (defaulted to the limits) equal them; Burstable otherwise."""
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        limits, requests = dict(res.get("limits") or {}), dict(res.get("requests") or {})
        if limits or requests:
            any_set = True
        for name in ("cpu", "memory"):
            if name not in limits or str(requests.get(name, limits[name])) != str(limits[name]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _multiline(lines: list[str], title: str, values: dict[str, str]) -> None:
    if not values:
        lines.append(f"{title}:\t<none>")
        return
    for i, key in enumerate(sorted(values)):
        lines.append(f"{title + ':' if i == 0 else ''}\t{key}={values[key]}")


def _ports(ports: list[dict[str, Any]], key: str) -> str:
    return ", ".join(f"{int(p.get(key) or 0)}/{p.get('protocol') or 'TCP'}" for p in ports)


def _container(lines: list[str], c: dict[str, Any], uid: str, started: str, volume: str) -> None:
    name = str(c.get("name", ""))
    lines.append(f"  {name}:")
    lines.append(f"    Container ID:\tcontainerd://{hashlib.sha256(f'{uid}/{name}'.encode()).hexdigest()}")
    lines.append(f"    Image:\t{c.get('image', '')}")
    lines.append("    Image ID:\t")
    ports = [p for p in c.get("ports") or [] if isinstance(p, dict)]
    text = _ports(ports, "containerPort")
    lines.append(f"    Ports:\t{text}" if "," in text else f"    Port:\t{text or '<none>'}")
    hosts = _ports(ports, "hostPort")
    lines.append(f"    Host Ports:\t{hosts}" if "," in hosts else f"    Host Port:\t{hosts or '<none>'}")
    for title, key in (("Command", "command"), ("Args", "args")):
        words = [str(w) for w in c.get(key) or []]
        if words:
            lines.append(f"    {title}:")
            lines += [f"      {part}" for w in words for part in w.split("\n")]
    lines += ["    State:\tRunning", f"      Started:\t{started}", "    Ready:\tTrue", "    Restart Count:\t0"]
    res = c.get("resources") or {}
    for title, key in (("Limits", "limits"), ("Requests", "requests")):
        values = dict(res.get(key) or {})
        if key == "requests":  # the API server defaults a request to its limit
            values = {**dict(res.get("limits") or {}), **values}
        if values:
            lines.append(f"    {title}:")
            lines += [f"      {k}:\t{values[k]}" for k in sorted(values)]
    env = [e for e in c.get("env") or [] if isinstance(e, dict)]
    lines.append("    Environment:" + ("" if env else "\t<none>"))
    for e in env:
        lines.append(f"      {e.get('name')}:\t{e.get('value', '')}")
    lines.append("    Mounts:")
    lines.append(f"      /var/run/secrets/kubernetes.io/serviceaccount from {volume} (ro)")


def describe_pod(view: ObjectView, cluster: SimCluster) -> str:
    from labs.commands.kubectl.describe import LAST_APPLIED, go_tabwriter
    from labs.commands.kubectl.views import pod_containers

    pod = view.extra["pod"]
    record = cluster.records.get("Pod", pod.namespace, pod.name)
    created = record.created if record else cluster.created
    uid = record.uid if record else pod.key
    meta = view.obj.get("metadata") or {}
    containers = pod_containers(cluster, pod.namespace, pod.name)
    node_ip = next((n.internal_ip for n in cluster.nodes if n.name == pod.node), "")
    ip = cluster.pod_ip(pod.key) or ""
    started = _rfc1123z(created)
    volume = f"kube-api-access-{_suffix(uid)}"
    lines = [f"Name:\t{pod.name}", f"Namespace:\t{pod.namespace}", "Priority:\t0",
             f"Service Account:\t{pod.service_account}",
             f"Node:\t{pod.node}/{node_ip}" if pod.node else "Node:\t<none>", f"Start Time:\t{started}"]
    _multiline(lines, "Labels", dict(pod.labels))
    _multiline(lines, "Annotations", {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED})
    lines += ["Status:\tRunning", f"IP:\t{ip}", "IPs:", f"  IP:\t{ip}"]
    if pod.owner:
        kind, _, name = pod.owner.partition("/")
        if kind == "Deployment":  # a Deployment's pods belong to its ReplicaSet, named like the pod minus its suffix
            kind, name = "ReplicaSet", pod.name.rsplit("-", 1)[0]
        lines.append(f"Controlled By:\t{kind}/{name}")
    lines.append("Containers:")
    for c in containers:
        _container(lines, c, uid, started, volume)
    lines += ["Conditions:", "  Type\tStatus", *(f"  {name} \tTrue " for name in _CONDITIONS)]
    lines += ["Volumes:", f"  {volume}:",
              "    Type:\tProjected (a volume that contains injected data from multiple sources)",
              "    TokenExpirationSeconds:\t3607", "    ConfigMapName:\tkube-root-ca.crt", "    Optional:\tfalse",
              "    DownwardAPI:\ttrue"]
    lines.append(f"QoS Class:\t{qos_class(containers)}")
    lines.append("Node-Selectors:\t<none>")
    lines += ["Tolerations:\tnode.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
              "\tnode.kubernetes.io/unreachable:NoExecute op=Exists for 300s"]
    lines.append("Events:\t<none>")
    return go_tabwriter("\n".join(lines) + "\n")
