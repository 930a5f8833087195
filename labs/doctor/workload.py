"""The doctor's traffic test: two small pods in a throw-away namespace, a DNS lookup, a pod-to-pod HTTP
request, the Hubble flows they caused, and the lab's outside network (labs.doctor.outside). The
namespace is removed afterwards (also on failure).
"""

from __future__ import annotations

import os
from typing import Any

from labs.cluster.base import ClusterError
from labs.doctor.outside import outside_checks, outside_hosts, outside_probes
from labs.doctor.report import Check
from labs.probes import HttpRequest, Probe, Target

__all__ = ["traffic_checks", "workload_yaml", "NAMESPACE", "IMAGE_ENV", "DEFAULT_IMAGE"]

NAMESPACE = "ciliumlab-doctor"
IMAGE_ENV = "LABS_DOCTOR_IMAGE"
DEFAULT_IMAGE = "docker.io/library/busybox:1.36.1"


def workload_yaml(image: str) -> str:
    server = "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"
    return f"""\
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: server, namespace: {NAMESPACE}, labels: {{app: doctor-server}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: "{image}"
    command: ["sh", "-c", "{server}"]
    ports: [{{containerPort: 8080, name: http}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: client, namespace: {NAMESPACE}, labels: {{app: doctor-client}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: client
    image: "{image}"
    command: ["sleep", "3600"]
"""


def traffic_checks(conn: Any, *, wait: float = 120.0, cluster: Any = None) -> list[Check]:
    from labs.cluster.live import LiveCluster

    live = cluster or LiveCluster(conn, progress=False)
    image = os.environ.get(IMAGE_ENV) or DEFAULT_IMAGE
    checks: list[Check] = []
    try:
        try:
            live.apply(workload_yaml(image), lab="doctor", timeout=wait)
        except ClusterError as exc:
            return [Check("test-pods", "fail", f"The doctor's test pods did not start: {exc}",
                          f"If the image cannot be pulled, set {IMAGE_ENV} to an image with sh, wget and nslookup "
                          "that the cluster can pull; or raise --wait.")]
        checks.append(Check("test-pods", "pass", f"Two pods running in {NAMESPACE} ({image})."))
        name, address = next(iter(outside_hosts().items()))
        dns, http, out_dns, out_http = live.probe_many([
            Probe(f"{NAMESPACE}/client", None, dns="kubernetes.default.svc.cluster.local"),
            Probe(f"{NAMESPACE}/client", Target("pod", f"{NAMESPACE}/server"), 8080, http=HttpRequest()),
            *outside_probes(f"{NAMESPACE}/client", name, address),
        ], timeout=5)
        checks.append(Check("dns", "pass", f"kube-dns answered: {dns.reason}.") if dns.outcome.value == "allowed"
                      else Check("dns", "fail", f"DNS lookup {dns.outcome.value}: {dns.reason}.",
                                 "Check `kubectl -n kube-system get pods -l k8s-app=kube-dns`; CoreDNS waits for "
                                 "the Cilium agent on its node."))
        checks.append(Check("pod-to-pod", "pass", f"client reached server: {http.reason}.")
                      if http.outcome.value == "allowed"
                      else Check("pod-to-pod", "fail", f"client to server {http.outcome.value}: {http.reason}.",
                                 "Run `cilium-dbg status` in a Cilium agent pod; with several nodes check that the "
                                 "VXLAN port 8472/udp between them is open."))
        flows = len(dns.flows) + len(http.flows)
        error = http.detail.get("hubble_error") or dns.detail.get("hubble_error")
        if flows:
            checks.append(Check("hubble", "pass", f"Hubble returned {flows} flows for the test traffic."))
        else:
            checks.append(Check("hubble", "fail", "Hubble returned no flows for the test traffic"
                                + (f": {str(error).rstrip('.')}." if error else "."),
                                "Check that hubble.enabled is true and `cilium-dbg status` shows Hubble: Ok."))
        checks += outside_checks(out_dns, out_http, name, address)
        return checks
    finally:
        try:
            live.api.delete(f"/api/v1/namespaces/{NAMESPACE}")
        except ClusterError:
            checks.append(Check("cleanup", "warn", f"The namespace {NAMESPACE} could not be deleted.",
                                f"kubectl delete namespace {NAMESPACE}"))
