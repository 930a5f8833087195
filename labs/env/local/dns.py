"""Cluster DNS of the local cluster: CoreDNS as kubeadm deploys it (kube-system, `k8s-app: kube-dns`, the
`kube-dns` Service on 10.96.0.10), with one difference: the pod uses the host's network.

The API server listens on 127.0.0.1 only (the `kubernetes` Service has no endpoint, see
`components.apiserver_args`), which a pod on the pod network cannot reach; a host-network pod can. CoreDNS
binds only the node's own address, and reads the API with a client certificate of its own (a Secret)
bound to the read-only role CoreDNS needs.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from labs.env.local.nodeconfig import CLUSTER_DNS, NODE_IP

__all__ = ["coredns_objects", "READY_PORT", "CONFIG_DIGEST"]

READY_PORT = 8181
CONFIG_DIGEST = "ciliumlab.io/config-sha256"
"""Pod template annotation: the digest of the Corefile and kubeconfig the pod was started with."""

COREFILE = """.:53 {{
    bind {node_ip}
    errors
    ready {node_ip}:{ready}
    kubernetes cluster.local in-addr.arpa ip6.arpa {{
        kubeconfig /etc/coredns/kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }}
    forward . /etc/resolv.conf {{
        max_concurrent 100
    }}
    cache 30
    loop
    reload
    loadbalance
}}
"""


def coredns_objects(image: str, kubeconfig: str) -> list[dict[str, Any]]:
    """RBAC, the Corefile, the kubeconfig Secret, the Deployment and the kube-dns Service."""
    labels = {"k8s-app": "kube-dns"}
    ns = "kube-system"
    corefile = COREFILE.format(node_ip=NODE_IP, ready=READY_PORT)
    # CoreDNS reads its kubeconfig once, at start. An `up` after a `down` that kept the cluster's state gives the
    # API server a new port, so the pod template carries a digest of both files: a change rolls the pod, which
    # otherwise kept dialling the old port and never became Ready.
    digest = hashlib.sha256(f"{corefile}\0{kubeconfig}".encode()).hexdigest()
    rules = [{"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"],
              "verbs": ["list", "watch"]},
             {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]}]
    return [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "system:coredns"}, "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "ciliumlab:coredns"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:coredns"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ciliumlab:coredns"}]},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": ns},
         "data": {"Corefile": corefile}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "coredns-kubeconfig", "namespace": ns},
         "type": "Opaque", "data": {"kubeconfig": base64.b64encode(kubeconfig.encode()).decode()}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "coredns", "namespace": ns, "labels": labels},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                  "strategy": {"type": "Recreate"},
                  "template": {"metadata": {"labels": labels, "annotations": {CONFIG_DIGEST: digest}}, "spec": {
                      "hostNetwork": True, "dnsPolicy": "Default", "priorityClassName": "system-cluster-critical",
                      "terminationGracePeriodSeconds": 1,
                      "containers": [{
                          "name": "coredns", "image": image, "imagePullPolicy": "Never",
                          "args": ["-conf", "/etc/coredns/Corefile"],
                          "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                    {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}],
                          "readinessProbe": {"httpGet": {"path": "/ready", "port": READY_PORT, "host": NODE_IP},
                                             "periodSeconds": 2},
                          "resources": {"requests": {"cpu": "10m", "memory": "20Mi"},
                                        "limits": {"memory": "170Mi"}},
                          "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns", "readOnly": True}]}],
                      "volumes": [{"name": "config", "projected": {"sources": [
                          {"configMap": {"name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]}},
                          {"secret": {"name": "coredns-kubeconfig",
                                      "items": [{"key": "kubeconfig", "path": "kubeconfig"}]}}]}}]}}}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "kube-dns", "namespace": ns, "labels": labels},
         "spec": {"clusterIP": CLUSTER_DNS, "selector": labels,
                  "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]}},
    ]
