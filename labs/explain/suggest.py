"""The smallest change that would allow denied traffic, written as a YAML snippet.

Drops under default deny get a new allow rule for exactly this pair and port (for DNS, port 53 over UDP
and TCP, with a DNS rule for the name so the agent's DNS proxy sees it); an L7 denial gets the
one HTTP rule or DNS name to add; an explicit deny gets the advice to narrow it, since no allow can
override a deny. Snippets select by the pod's `app` label (or its own labels) plus its namespace.
"""

from __future__ import annotations

from labs.outcomes import Outcome
from labs.policy.endpoints import Endpoint, Traffic
from labs.policy.labels import NAMESPACE_LABEL, identity_relevant
from labs.policy.verdict import POLICY_DENY, DirectionVerdict, Verdict

__all__ = ["suggest_fix"]


def _own_labels(ep: Endpoint) -> dict[str, str]:
    labels = {lb.key: lb.value for lb in ep.labels
              if lb.source == "k8s" and identity_relevant(lb.key) and not lb.key.startswith("io.")}
    if "app" in labels:
        return {"app": labels["app"]}
    return dict(sorted(labels.items()))


def _selector(ep: Endpoint, with_namespace: bool) -> str:
    labels = _own_labels(ep)
    if with_namespace and ep.namespace:
        labels = {f"k8s:{NAMESPACE_LABEL}": ep.namespace, **labels}
    return "{matchLabels: {" + ", ".join(f"{k}: {v}" for k, v in labels.items()) + "}}"


DNS_PORT = 53


def _is_dns(traffic: Traffic) -> bool:
    """A lookup, or any UDP/TCP traffic to port 53: the resolver falls back to TCP for large answers."""
    return traffic.dns_name is not None or (traffic.port == DNS_PORT and traffic.protocol in ("UDP", "TCP"))


def _ports(traffic: Traffic, direction: str) -> str:
    if traffic.protocol == "ICMP":
        return "    icmps: [{fields: [{type: 8, family: IPv4}]}]"
    if _is_dns(traffic):
        # DNS needs UDP and TCP 53 (RFC 7766: TCP whenever an answer does not fit in UDP). On egress the
        # DNS rule sends lookups through the agent's DNS proxy, which is what lets toFQDNs learn addresses
        # (docs.cilium.io, "DNS Policy and IP Discovery"; rules.dns is egress only,
        # "DNS rules are not allowed on ingress" in pkg/policy/api/rule_validation.go).
        ports = f'[{{port: "{DNS_PORT}", protocol: UDP}}, {{port: "{DNS_PORT}", protocol: TCP}}]'
        if direction == "egress" and traffic.dns_name:
            name = traffic.dns_name.rstrip(".")
            return f"    toPorts: [{{ports: {ports}, rules: {{dns: [{{matchName: {name}}}]}}}}]"
        return f"    toPorts: [{{ports: {ports}}}]"
    return f'    toPorts: [{{ports: [{{port: "{traffic.port}", protocol: {traffic.protocol}}}]}}]'


def _peer(ep: Endpoint, direction: str, dns_names: frozenset[str]) -> str:
    side = "from" if direction == "ingress" else "to"
    if ep.is_pod:
        return f"  - {side}Endpoints: [{_selector(ep, True)}]"
    if ep.kind == "world":
        if dns_names and direction == "egress":
            name = sorted(dns_names)[0].rstrip(".")
            return f"  - toFQDNs: [{{matchName: {name}}}]"
        return f"  - {side}CIDR: [{ep.ip}/32]"
    entity = "kube-apiserver" if any(lb.key == "kube-apiserver" for lb in ep.labels) else ep.kind
    return f"  - {side}Entities: [{entity}]"


def suggest_fix(verdict: Verdict, src: Endpoint, dst: Endpoint, traffic: Traffic) -> str | None:
    """A YAML snippet (with a comment line saying what it does), or None when nothing is denied."""
    if verdict.outcome in (Outcome.ALLOWED, Outcome.ERROR):
        return None
    d: DirectionVerdict | None = verdict.decided_by
    if d is None:
        return None
    if d.drop_reason == POLICY_DENY and d.rule is not None:
        return (f"# {d.rule} denies this, and a deny always wins over any allow.\n"
                f"# Narrow or remove {d.rule.path} of {d.rule.kind} {d.rule.policy} "
                f"(for example, exclude {'the source' if d.direction == 'ingress' else 'the destination'} "
                "from its selector).")
    if d.l7 == "kafka" and d.rule is not None:
        return (f"# the port goes to Envoy's Kafka parser whatever else allows it; only Kafka clients get through.\n"
                f"# To let this (non-Kafka) traffic through, remove rules.kafka from {d.rule.path}.toPorts[...] "
                f"of {d.rule.kind} {d.rule.policy},\n# or serve it on a port without Kafka rules.")
    if d.outcome is Outcome.L7_DENIED and traffic.http is not None and d.rule is not None:
        return (f"# add one HTTP rule to {d.rule.path}.toPorts[...].rules.http of {d.rule.kind} {d.rule.policy}:\n"
                f"- {{method: {traffic.http.method}, path: '{_escape(traffic.http.path)}'}}")
    if d.outcome is Outcome.REFUSED and traffic.dns_name and d.rule is not None:
        return (f"# add the name to {d.rule.path}.toPorts[...].rules.dns of {d.rule.kind} {d.rule.policy}:\n"
                f"- matchName: {traffic.dns_name.rstrip('.')}")
    subject, peer = (src, dst) if d.direction == "egress" else (dst, src)
    name = f"allow-{_short(src)}-dns" if _is_dns(traffic) else f"allow-{_short(src)}-to-{_short(dst)}"
    namespace = subject.namespace or "default"
    what = (f"DNS on port {DNS_PORT}, UDP and TCP, as this {d.direction} needs ({traffic.describe()})"
            if _is_dns(traffic) else f"exactly this {d.direction} ({traffic.describe()})")
    lines = [f"# a new policy allowing {what}",
             "apiVersion: cilium.io/v2", "kind: CiliumNetworkPolicy",
             f"metadata: {{name: {name}, namespace: {namespace}}}", "spec:",
             f"  endpointSelector: {_selector(subject, False)}", f"  {d.direction}:",
             _peer(peer, d.direction, dst.dns_names), _ports(traffic, d.direction)]
    return "\n".join(lines)


def _short(ep: Endpoint) -> str:
    if ep.is_pod:
        return _own_labels(ep).get("app") or (ep.name.split("/", 1)[1])
    return ep.kind


def _escape(path: str) -> str:
    out = ""
    for ch in path:
        out += "\\" + ch if ch in ".?+*()[]{}|^$" else ch
    return out
