"""Cluster checks: the API answers, nodes are Ready on the private network, Cilium and its parts are
ready, and (with a small workload) DNS resolves, a pod reaches another pod, and Hubble returns flows.

Without any kubeconfig the labs run on the simulated backend: that is a warning, not a failure.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from labs.cluster.base import ClusterError
from labs.doctor.report import Check

__all__ = ["cluster_checks", "component_checks", "node_checks", "PRIVATE_NETWORK", "COMPONENTS"]

PRIVATE_NETWORK = ipaddress.ip_network("192.168.56.0/21")
COMPONENTS = (
    # (check name, API path, required, fix when missing or not ready)
    ("cilium", "/apis/apps/v1/namespaces/kube-system/daemonsets/cilium", True,
     "Look at `kubectl -n kube-system get pods -l k8s-app=cilium` and the agent logs; reprovision with "
     "`vagrant up --provision`."),
    ("cilium-envoy", "/apis/apps/v1/namespaces/kube-system/daemonsets/cilium-envoy", False,
     "L7 (HTTP and DNS) policies need the Envoy proxy: keep envoy.enabled and l7Proxy at their defaults, then "
     "`vagrant up --provision`."),
    ("cilium-operator", "/apis/apps/v1/namespaces/kube-system/deployments/cilium-operator", True,
     "On a single node set operator.replicas=1 (two replicas cannot both be scheduled), then "
     "`vagrant up --provision`."),
    ("hubble-relay", "/apis/apps/v1/namespaces/kube-system/deployments/hubble-relay", False,
     "Enable hubble.relay.enabled=true in the Cilium values, then `vagrant up --provision`."),
)


def node_checks(api: Any) -> list[Check]:
    from labs.cluster.live.facts import nodes

    found = nodes(api)
    if not found:
        return [Check("nodes", "fail", "The cluster has no nodes.", "Check `vagrant status`; the VMs may be "
                      "stopped.")]
    checks = []
    for node in found:
        name = f"node {node.name}"
        if not node.ready:
            checks.append(Check(name, "fail", f"Node {node.name!r} is not Ready.",
                                f"Run `kubectl describe node {node.name}`; a node stays NotReady until the Cilium "
                                "agent on it is running."))
            continue
        try:
            private = ipaddress.ip_address(node.internal_ip) in PRIVATE_NETWORK
        except ValueError:
            private = False
        if private:
            checks.append(Check(name, "pass", f"Ready, InternalIP {node.internal_ip} on the private network."))
        else:
            checks.append(Check(name, "warn", f"Ready, but InternalIP {node.internal_ip or 'none'} is not on the "
                                "private network 192.168.56.0/21 (10.0.2.15 is VirtualBox's NAT address).",
                                "Start the kubelet with --node-ip set to the node's 192.168.56.x address "
                                "(the course's provisioning does this from settings.yaml)."))
    return checks


def component_checks(api: Any) -> list[Check]:
    from labs.cluster.live.facts import cilium_config, workload_ready

    checks = []
    for name, path, required, fix in COMPONENTS:
        obj = api.get_or_none(path)
        ok, text = workload_ready(obj)
        if ok:
            checks.append(Check(name, "pass", f"{text}."))
        elif obj is None:
            checks.append(Check(name, "fail" if required else "warn", f"{name} is not installed.", fix))
        else:
            checks.append(Check(name, "fail" if required else "warn", f"{name} is not ready ({text}).", fix))
    config = cilium_config(api)
    if config is None:
        checks.append(Check("cilium-config", "fail", "The ConfigMap kube-system/cilium-config is missing.",
                            "Reinstall Cilium with `vagrant up --provision`."))
    else:
        found = (f"policy enforcement {config.policy_enforcement!r}, kube-proxy replacement "
                 f"{config.kube_proxy_replacement!r}, L7 proxy {'on' if config.l7_proxy else 'off'}.")
        if config.policy_enforcement != "default" or not config.l7_proxy:
            checks.append(Check("cilium-config", "warn", found, "The labs expect enable-policy=default and the L7 "
                                "proxy on; set policyEnforcementMode=default and l7Proxy=true in the Cilium values."))
        else:
            checks.append(Check("cilium-config", "pass", found))
    return checks


def cluster_checks(*, timeout: float = 5.0, workload: bool = True, wait: float = 120.0) -> list[Check]:
    """Every cluster check; stops early (with one line saying why) when the cluster cannot be reached."""
    from labs.cluster.live.api import ApiUnreachable
    from labs.cluster.live.connect import connect, no_kubeconfig_message
    from labs.cluster.live.kubeconfig import discover

    try:
        choice = discover()
    except ClusterError as exc:
        return [Check("kubeconfig", "fail", str(exc).split(". ")[0] + ".", str(exc).split(". ", 1)[-1])]
    if choice is None:
        message = no_kubeconfig_message()
        return [Check("kubeconfig", "warn", message.split(". ")[0] + "; the labs use the simulated backend.",
                      "Start the course VM with `vagrant up` (it exports .kube/config), or set KUBECONFIG.")]
    checks = []
    loose = choice.insecure_files()
    if loose:
        checks.append(Check("kubeconfig", "warn", f"{choice.label} ({', '.join(map(str, loose))}) can be read by "
                            "other users; it holds the cluster's admin credentials.",
                            "chmod 600 " + " ".join(str(p) for p in loose)))
    else:
        checks.append(Check("kubeconfig", "pass", f"{choice.label}, context {choice.context!r}."))
    try:
        conn = connect(choice, timeout=timeout)
    except ApiUnreachable as exc:
        text = str(exc)
        head, _, advice = text.partition(f"{exc.why}. ")
        return [*checks, Check("api-server", "fail", f"{head}{exc.why}.", advice)]
    except ClusterError as exc:
        return [*checks, Check("api-server", "fail", str(exc), "Export the kubeconfig again with `vagrant up`.")]
    checks.append(Check("api-server", "pass", f"Kubernetes {conn.kubernetes_version} at {choice.server}."))
    if not conn.cilium_installed:
        return [*checks, Check("cilium", "fail", "Cilium is not installed (no ciliumnetworkpolicies.cilium.io CRD).",
                               "Provision the cluster with `vagrant up --provision`.")]
    checks.append(Check("cilium-version", "pass", f"Cilium {conn.cilium_version or 'version unknown'}."))
    try:
        checks += node_checks(conn.api)
        checks += component_checks(conn.api)
    except ClusterError as exc:
        return [*checks, Check("api-server", "fail", f"The API server stopped answering: {exc}",
                               "Check `vagrant status`, then run `python -m labs doctor` again.")]
    if not workload:
        checks.append(Check("traffic", "skip", "Not tried (--no-workload)."))
        return checks
    if any(c.status == "fail" for c in checks):
        checks.append(Check("traffic", "skip", "Not tried: fix the failures above first."))
        return checks
    from labs.doctor.workload import traffic_checks

    return checks + traffic_checks(conn, wait=wait)
