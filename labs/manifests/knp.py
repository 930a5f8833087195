"""Kubernetes NetworkPolicy documents -> `labs.policy.model.KubeNetworkPolicy`.

The schema check (labs.manifests.k8s) has already run; this adds the API server's validation
(`pkg/apis/networking/validation`): one peer kind per item (ipBlock alone), ipBlock CIDRs and
excepts strictly inside, protocol TCP/UDP/SCTP, port 1-65535 or an IANA name, endPort only with a
numeric port and not below it, policyTypes Ingress/Egress.
"""

from __future__ import annotations

from labs.manifests.fields import Field
from labs.manifests.meta import parse_metadata
from labs.manifests.selectors import parse_selector
from labs.manifests.values import iana_service_name, parse_cidr
from labs.manifests.yaml_lines import format_path
from labs.policy.model import CIDRRule, KnpPeer, KnpPort, KnpRule, KubeNetworkPolicy, LabelSelector

__all__ = ["parse_network_policy"]


def _ip_block(node: Field) -> CIDRRule | None:
    fields = node.mapping(("cidr", "except"), what="ipBlock")
    if fields is None:
        return None
    if "cidr" not in fields:
        node.problem("ipBlock needs a 'cidr' such as '10.0.0.0/8'.")
        return None
    text = fields["cidr"].string(allow_empty=False)
    network = parse_cidr(text) if text is not None else None
    if text is not None and network is None:
        fields["cidr"].problem(f"{text!r} is not a CIDR; expected an address with prefix length such as '10.0.0.0/8'.")
        return None
    excepts: list[str] = []
    for entry in (fields["except"].items() or ()) if "except" in fields else ():
        value = entry.string(allow_empty=False)
        inner = parse_cidr(value) if value is not None else None
        if value is not None and inner is None:
            entry.problem(f"{value!r} is not a CIDR; expected an address with prefix length such as '10.1.0.0/16'.")
        elif inner is not None and network is not None and (
                inner.version != network.version or not inner.subnet_of(network) or inner == network):  # type: ignore[arg-type]
            entry.problem(f"The exception {value!r} must be strictly inside the ipBlock cidr {text!r}.")
        elif value is not None:
            excepts.append(value)
    return CIDRRule(cidr=text, except_=tuple(excepts)) if text is not None and network is not None else None


def _peer(node: Field) -> KnpPeer | None:
    fields = node.mapping(("podSelector", "namespaceSelector", "ipBlock"), what="a NetworkPolicy peer")
    if fields is None:
        return None
    if not fields:
        node.problem("A peer needs podSelector, namespaceSelector or ipBlock; an empty peer is rejected.")
        return None
    if "ipBlock" in fields and len(fields) > 1:
        fields["ipBlock"].problem("ipBlock cannot be combined with podSelector or namespaceSelector in one peer; "
                                  "write it as a separate list item.")
        return None
    if "ipBlock" in fields:
        block = _ip_block(fields["ipBlock"])
        return KnpPeer(ip_block=block) if block is not None else None
    pods = parse_selector(fields["podSelector"], cilium=False) if "podSelector" in fields else None
    namespaces = parse_selector(fields["namespaceSelector"], cilium=False) if "namespaceSelector" in fields else None
    if any(k in fields and s is None for k, s in (("podSelector", pods), ("namespaceSelector", namespaces))):
        return None
    return KnpPeer(pod_selector=pods, namespace_selector=namespaces)


def _port(node: Field) -> KnpPort | None:
    fields = node.mapping(("protocol", "port", "endPort"), what="a NetworkPolicy port")
    if fields is None:
        return None
    count = len(node.ctx.problems)
    protocol = "TCP"
    if "protocol" in fields:
        value = fields["protocol"].string()
        if value is not None and value not in ("TCP", "UDP", "SCTP"):
            fields["protocol"].problem(f"Unknown protocol {value!r}; a NetworkPolicy port takes TCP, UDP or SCTP"
                                       + (" (ICMP cannot be expressed in a NetworkPolicy)." if value.upper() == "ICMP"
                                          else "."))
        protocol = value or "TCP"
    port: int | str | None = None
    if "port" in fields:
        raw = fields["port"].value
        if isinstance(raw, int) and not isinstance(raw, bool):
            if not 1 <= raw <= 65535:
                fields["port"].problem(f"The port {raw!r} is out of range; expected 1-65535 or a port name.")
            port = raw
        elif isinstance(raw, str) and iana_service_name(raw) and raw == raw.lower():
            port = raw
        else:
            fields["port"].problem(f"The port {raw!r} must be a number from 1 to 65535 or a port name "
                                   "(1-15 lower case letters, digits and '-').")
    end_port = None
    if "endPort" in fields:
        end_port = fields["endPort"].integer(low=1, high=65535)
        if end_port is not None and not isinstance(port, int):
            fields["endPort"].problem("endPort needs a numeric 'port' as the start of the range.")
        elif end_port is not None and isinstance(port, int) and end_port < port:
            fields["endPort"].problem(f"endPort {end_port} is below port {port}; a range needs endPort >= port.")
    if len(node.ctx.problems) != count:
        return None
    return KnpPort(protocol=protocol, port=port, end_port=end_port)


def _rules(node: Field, peer_key: str) -> tuple[KnpRule, ...] | None:
    items = node.items()
    if items is None:
        return None
    result: list[KnpRule] = []
    for index, item in enumerate(items):
        fields = item.mapping((peer_key, "ports"), what=f"a NetworkPolicy {node.path[-1]} rule")
        if fields is None:
            continue
        count = len(item.ctx.problems)
        peers = ports = None
        if peer_key in fields:
            entries = fields[peer_key].items()
            peers = tuple(p for p in (_peer(e) for e in entries or ()) if p is not None)
        if "ports" in fields:
            entries = fields["ports"].items()
            ports = tuple(p for p in (_port(e) for e in entries or ()) if p is not None)
        if len(item.ctx.problems) == count:
            result.append(KnpRule(index=index, peers=peers, ports=ports, path=item.where, line=item.line))
    return tuple(result) if len(result) == len(items) else None


def parse_network_policy(doc: Field, *, default_namespace: str) -> KubeNetworkPolicy | None:
    fields = doc.mapping(("apiVersion", "kind", "metadata", "spec", "status"), what="NetworkPolicy")
    if fields is None:
        return None
    count = len(doc.ctx.problems)
    meta = parse_metadata(fields.get("metadata"), doc, namespaced=True, default_namespace=default_namespace)
    if "spec" not in fields:  # absent or null: the zero spec, every pod of the namespace, ingress denied
        fields["spec"] = doc.child("spec", {})
    spec = fields["spec"].mapping(("podSelector", "policyTypes", "ingress", "egress"), what="a NetworkPolicy spec")
    if spec is None:
        return None
    selector: LabelSelector | None
    if "podSelector" not in spec:
        # Optional since networking/v1's podSelector became `+optional`: absent or null is the empty
        # selector, every pod of the namespace (the Go struct's zero value).
        selector = LabelSelector(path=format_path((*fields["spec"].path, "podSelector")))
    else:
        selector = parse_selector(spec["podSelector"], cilium=False)
    policy_types = None
    if "policyTypes" in spec:
        entries = spec["policyTypes"].items() or ()
        values = [e.string() for e in entries]
        for entry, value in zip(entries, values):
            if value is not None and value not in ("Ingress", "Egress"):
                entry.problem(f"Unknown policy type {value!r}; expected 'Ingress' or 'Egress' (capitalised).")
        if len(set(values)) != len(values):
            spec["policyTypes"].problem("policyTypes lists the same type twice.")
        policy_types = tuple(v for v in values if v is not None)
    ingress = _rules(spec["ingress"], "from") if "ingress" in spec else None
    egress = _rules(spec["egress"], "to") if "egress" in spec else None
    if meta is None or selector is None or len(doc.ctx.problems) != count:
        return None
    return KubeNetworkPolicy(name=meta.name, namespace=meta.namespace or default_namespace, pod_selector=selector,
                             policy_types=policy_types, ingress=ingress, egress=egress, source=meta.source)
