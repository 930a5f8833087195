"""Services and Cilium Helm values: node ports outside the range, kube-proxy replacement modes that are gone.

Facts relied on (provisioning-notes §2.4, §2.5, §3.1): the API server's default NodePort range is
30000-32767; since chart 1.16 `kubeProxyReplacement` must be true or false (`strict`, `partial`,
`probe`, `disabled` make the chart fail); the Hubble UI needs Hubble Relay.
"""

from __future__ import annotations

from typing import Any, Iterator

from labs.lint.checks._yaml import snippet
from labs.lint.context import LintContext
from labs.lint.finding import Finding
from labs.lint.registry import check

__all__ = ["service_node_port_range", "kube_proxy_replacement", "hubble_node_port_range", "hubble_ui_without_relay",
           "NODE_PORT_RANGE"]

NODE_PORT_RANGE = (30000, 32767)
"""kube-apiserver's default --service-node-port-range."""


def _in_range(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and NODE_PORT_RANGE[0] <= value <= NODE_PORT_RANGE[1]


def _range_text() -> str:
    return f"{NODE_PORT_RANGE[0]}-{NODE_PORT_RANGE[1]}"


@check("CL601", "error", "A Service `nodePort` outside 30000-32767",
       "Kubernetes Service docs (type NodePort, --service-node-port-range)")
def service_node_port_range(ctx: LintContext) -> Iterator[Finding]:
    for doc in ctx.manifests_of_kind("Service"):
        ports = doc.get("spec", "ports")
        for i, port in enumerate(ports if isinstance(ports, list) else []):
            node_port = port.get("nodePort") if isinstance(port, dict) else None
            if node_port is None or _in_range(node_port):
                continue
            yield ctx.finding(
                "CL601",
                f"nodePort {node_port!r} is outside the node port range {_range_text()}; the API server rejects the "
                f"Service ('provided port is not in the valid range'). 'port' is the Service port, 'targetPort' the "
                f"container port; only nodePort must come from the range.",
                doc=doc, path=("spec", "ports", i, "nodePort"),
                fix=f"nodePort: 31234   # any free port in {_range_text()}, or omit it to get one assigned")


@check("CL602", "error", "Helm value `kubeProxyReplacement` other than true/false",
       "Cilium chart templates/cilium-configmap.yaml (1.16+); docs network/kubernetes/kubeproxy-free.rst")
def kube_proxy_replacement(ctx: LintContext) -> Iterator[Finding]:
    for doc in ctx.documents("helm-values"):
        if "kubeProxyReplacement" not in doc.data:
            continue
        value = doc.data["kubeProxyReplacement"]
        if value in (True, False) or (isinstance(value, str) and value.lower() in ("true", "false")):
            continue
        instead = "false" if str(value).lower() == "disabled" else "true"
        yield ctx.finding(
            "CL602",
            f"kubeProxyReplacement {value!r} is an old mode (Cilium 1.13 and earlier); since chart 1.16 only true "
            f"or false is accepted and the install fails with 'kubeProxyReplacement must be explicitly set to a "
            f"valid value (true or false) to continue'.",
            doc=doc, path=("kubeProxyReplacement",),
            fix=f"kubeProxyReplacement: {instead}" + ("\nk8sServiceHost: 192.168.56.10   # API server address, "
                                                      "needed without kube-proxy\nk8sServicePort: 6443"
                                                      if instead == "true" else ""))


@check("CL603", "error", "A Hubble Relay / UI `nodePort` outside 30000-32767 (e.g. 4245)",
       "Cilium chart values.yaml (hubble.relay.service, hubble.ui.service); provisioning-notes §3.1")
def hubble_node_port_range(ctx: LintContext) -> Iterator[Finding]:
    defaults = {"relay": 31234, "ui": 31235}
    for doc in ctx.documents("helm-values"):
        for part, default in defaults.items():
            node_port = doc.get("hubble", part, "service", "nodePort")
            if node_port is None or _in_range(node_port):
                continue
            extra = (" 4245 is the port Relay listens on inside its pod and the local port of "
                     "'cilium hubble port-forward', not a node port." if node_port == 4245 else "")
            yield ctx.finding(
                "CL603",
                f"hubble.{part}.service.nodePort {node_port!r} is outside the node port range {_range_text()}, so "
                f"the API server rejects the Service and the install fails.{extra}",
                doc=doc, path=("hubble", part, "service", "nodePort"),
                fix=snippet({"hubble": {part: {"service": {"type": "NodePort", "nodePort": default}}}}))


@check("CL604", "warning", "Hubble UI enabled without Hubble Relay",
       "Documentation/observability/hubble/hubble-ui.rst; provisioning-notes §3.2")
def hubble_ui_without_relay(ctx: LintContext) -> Iterator[Finding]:
    for doc in ctx.documents("helm-values"):
        if doc.get("hubble", "ui", "enabled") is True and doc.get("hubble", "relay", "enabled") is not True:
            yield ctx.finding(
                "CL604",
                "hubble.ui.enabled is true but hubble.relay.enabled is not: the UI reads flows from Relay and "
                "shows nothing without it.",
                doc=doc, path=("hubble", "ui", "enabled"),
                fix=snippet({"hubble": {"relay": {"enabled": True}, "ui": {"enabled": True}}}))
