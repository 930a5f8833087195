"""A seeded synthetic cluster for the engine benchmark: namespaces, Deployments, Services, policies.

Everything comes from one `random.Random(seed)`, so a size and a seed always give the same YAML.
Each Deployment is one label set (one Cilium identity once its namespace is added); its replicas
share labels and container ports, so all pods of an identity resolve named ports the same way.

The policy mix covers every peer kind the engine models: endpoints (matchLabels, matchExpressions,
same namespace, another namespace by name, namespace labels), entities, CIDR and CIDRSet with
except, toFQDNs with the DNS rule that lets the proxy see lookups, toServices, HTTP rules, ICMP,
deny sections, enableDefaultDeny, CCNPs and Kubernetes NetworkPolicies.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["EXTERNAL", "ClusterSpec", "GeneratedCluster", "generate"]

TIERS = ("web", "api", "db", "cache", "worker")
TEAMS = ("red", "blue", "green", "gold", "grey")
ENVS = ("prod", "staging", "dev")
HTTP_PATHS = ("/api/v1/items", "/api/v1/items/[0-9]+", "/public/.*", "/healthz", "/admin/.*")
TCP_PORTS = ("80", "443", "8080", "5432", "6379", "9090")

EXTERNAL: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (ip, what it is, DNS names the DNS proxy saw resolve to it)
    ("1.1.1.1", "public resolver", ()),
    ("8.8.8.8", "public resolver", ()),
    ("203.0.113.10", "partner range", ()),
    ("203.0.113.200", "partner range, excepted part", ()),
    ("192.168.10.5", "private range", ()),
    ("140.82.112.5", "api.github.com", ("api.github.com.",)),
    ("93.184.215.14", "example.com", ("example.com.", "www.example.com.")),
    ("52.1.2.3", "s3.eu.amazonaws.com", ("s3.eu.amazonaws.com.",)),
)
"""World addresses the benchmark probes; the names stand for lookups already seen by the DNS proxy."""

FQDN_NAMES = ("api.github.com", "example.com", "www.example.com", "s3.eu.amazonaws.com")
FQDN_PATTERNS = ("*.example.com", "*.amazonaws.com", "**.amazonaws.com", "*.github.com", "*")


@dataclass(frozen=True)
class ClusterSpec:
    """Sizes of the generated cluster. `policies` counts CNPs; CCNPs and NetworkPolicies come on top."""

    namespaces: int = 20
    apps_per_namespace: int = 10
    replicas: int = 10
    policies: int = 480
    ccnps: int = 5
    knps: int = 15
    seed: int = 2024


@dataclass
class GeneratedCluster:
    spec: ClusterSpec
    workloads: list[dict[str, Any]] = field(default_factory=list)
    """Namespaces, Deployments and Services."""
    cilium_policies: list[dict[str, Any]] = field(default_factory=list)
    network_policies: list[dict[str, Any]] = field(default_factory=list)

    def yaml(self, *, cilium: bool = True, knp: bool = True) -> str:
        docs = list(self.workloads)
        if cilium:
            docs += self.cilium_policies
        if knp:
            docs += self.network_policies
        return yaml.safe_dump_all(docs, sort_keys=False)

    @property
    def namespace_docs(self) -> list[dict[str, Any]]:
        return [d for d in self.workloads if d["kind"] == "Namespace"]

    @property
    def deployment_docs(self) -> list[dict[str, Any]]:
        return [d for d in self.workloads if d["kind"] == "Deployment"]


@dataclass(frozen=True)
class _App:
    namespace: str
    name: str
    labels: dict[str, str]


def generate(spec: ClusterSpec = ClusterSpec()) -> GeneratedCluster:
    """The cluster for `spec`; identical output for identical input."""
    rng = random.Random(spec.seed)
    out = GeneratedCluster(spec)
    namespaces = _namespaces(spec, rng)
    apps: list[_App] = []
    exposed: list[_App] = []
    for ns, labels in namespaces:
        out.workloads.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    for ns, _labels in namespaces:
        for j in range(spec.apps_per_namespace):
            app = _app(ns, j, rng)
            apps.append(app)
            out.workloads.append(_deployment(app, spec.replicas))
            if j % 2 == 0:
                exposed.append(app)
                out.workloads.append(_service(app))
    gen = _PolicyGen(rng, namespaces, apps, exposed)
    for i in range(spec.policies):
        out.cilium_policies.append(gen.cnp(i))
    for i in range(spec.ccnps):
        out.cilium_policies.append(gen.ccnp(i))
    for i in range(spec.knps):
        out.network_policies.append(gen.knp(i))
    return out


def _namespaces(spec: ClusterSpec, rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    out = [("kube-system", {"kubernetes.io/metadata.name": "kube-system", "team": "platform", "env": "prod"})]
    for i in range(1, spec.namespaces):
        name = f"ns-{i:02d}"
        out.append((name, {"kubernetes.io/metadata.name": name, "team": rng.choice(TEAMS), "env": rng.choice(ENVS)}))
    return out


def _app(ns: str, j: int, rng: random.Random) -> _App:
    if ns == "kube-system" and j == 0:
        return _App(ns, "coredns", {"k8s-app": "kube-dns", "tier": "dns"})
    labels = {"app": f"app-{j:02d}", "tier": TIERS[j % len(TIERS)], "version": rng.choice(("v1", "v2"))}
    if rng.random() < 0.5:
        labels["team"] = rng.choice(TEAMS)
    return _App(ns, f"app-{j:02d}", labels)


def _deployment(app: _App, replicas: int) -> dict[str, Any]:
    ports = [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
             {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
    if app.labels.get("k8s-app") == "kube-dns":
        ports = [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                 {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": dict(app.labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(app.labels)},
            "template": {"metadata": {"labels": dict(app.labels)},
                         "spec": {"containers": [{"name": "main", "image": "registry.example/app:1", "ports": ports}]}},
        },
    }


def _service(app: _App) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": {"exposed": "true", **app.labels}},
        "spec": {"selector": dict(app.labels), "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]},
    }


class _PolicyGen:
    """Random but valid rule items; one method per peer kind."""

    def __init__(self, rng: random.Random, namespaces: list[tuple[str, dict[str, str]]], apps: list[_App],
                 exposed: list[_App]):
        self.rng = rng
        self.exposed = exposed
        self.namespaces = namespaces
        self.ns_names = [n for n, _ in namespaces]
        self.apps = apps
        self.by_ns: dict[str, list[_App]] = {}
        for a in apps:
            self.by_ns.setdefault(a.namespace, []).append(a)

    # --- selectors -----------------------------------------------------------------------------------

    def subject(self, ns: str) -> dict[str, Any]:
        r = self.rng.random()
        app = self.rng.choice(self.by_ns[ns])
        if r < 0.5:
            return {"matchLabels": {"app": app.labels.get("app", "coredns")}}
        if r < 0.75:
            return {"matchLabels": {"tier": self.rng.choice(TIERS)}}
        if r < 0.9:
            return {"matchExpressions": [{"key": "tier", "operator": "In",
                                          "values": sorted(self.rng.sample(TIERS, 2))}]}
        return {}

    def endpoint_peer(self, ns: str) -> dict[str, Any]:
        r = self.rng.random()
        other = self.rng.choice(self.ns_names)
        if r < 0.35:
            return {"matchLabels": {"tier": self.rng.choice(TIERS)}}
        if r < 0.5:
            return {"matchLabels": {"app": f"app-{self.rng.randrange(10):02d}",
                                    "k8s:io.kubernetes.pod.namespace": other}}
        if r < 0.65:
            return {"matchLabels": {"io.cilium.k8s.namespace.labels.team": self.rng.choice(TEAMS)}}
        if r < 0.75:
            return {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]},
                                         {"key": "team", "operator": "Exists"}]}
        if r < 0.85:
            return {"matchLabels": {"k8s:io.kubernetes.pod.namespace": other},
                    "matchExpressions": [{"key": "version", "operator": "In", "values": ["v2"]}]}
        if r < 0.92:
            return {"matchExpressions": [{"key": "io.kubernetes.pod.namespace", "operator": "In",
                                          "values": sorted(self.rng.sample(self.ns_names, 3))}]}
        return {}

    # --- ports ---------------------------------------------------------------------------------------

    def ports(self, *, l7: bool, ingress: bool) -> list[dict[str, Any]]:
        r = self.rng.random()
        if l7:
            rules = [{"method": self.rng.choice(("GET", "POST", "GET|HEAD")), "path": self.rng.choice(HTTP_PATHS)}
                     for _ in range(self.rng.randint(1, 3))]
            port = self.rng.choice(("80", "8080")) if ingress else "80"
            return [{"ports": [{"port": port, "protocol": "TCP"}], "rules": {"http": rules}}]
        if r < 0.5:
            return [{"ports": [{"port": p, "protocol": "TCP"} for p in self.rng.sample(TCP_PORTS, 2)]}]
        if r < 0.65:
            return [{"ports": [{"port": "8000", "endPort": 8090, "protocol": "TCP"}]}]
        if r < 0.8:
            return [{"ports": [{"port": "http", "protocol": "TCP"}]}]
        return [{"ports": [{"port": self.rng.choice(TCP_PORTS)}]}]  # protocol omitted: TCP, UDP and SCTP

    # --- rule items ----------------------------------------------------------------------------------

    def ingress_item(self, ns: str) -> dict[str, Any]:
        r = self.rng.random()
        if r < 0.45:
            item: dict[str, Any] = {"fromEndpoints": [self.endpoint_peer(ns) for _ in range(self.rng.randint(1, 2))]}
        elif r < 0.6:
            item = {"fromEntities": self.rng.sample(["world", "cluster", "host", "remote-node", "all"], 2)}
        elif r < 0.7:
            item = {"fromCIDR": ["203.0.113.0/24"]}
        elif r < 0.8:
            item = {"fromCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "192.168.0.0/16"]}]}
        elif r < 0.85:
            return {"fromEndpoints": [self.endpoint_peer(ns)], "icmps": [{"fields": [{"type": 8}]}]}
        else:
            item = {}  # ports only: any peer
        if not item or self.rng.random() < 0.7:
            item["toPorts"] = self.ports(l7=self.rng.random() < 0.3, ingress=True)
        return item

    def egress_item(self, ns: str) -> dict[str, Any]:
        r = self.rng.random()
        if r < 0.35:
            item: dict[str, Any] = {"toEndpoints": [self.endpoint_peer(ns)]}
        elif r < 0.45:
            item = {"toEntities": self.rng.sample(["world", "cluster", "kube-apiserver", "host"], 2)}
        elif r < 0.55:
            item = {"toCIDRSet": [{"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]}]}
        elif r < 0.6:
            item = {"toCIDR": ["1.1.1.1/32", "8.8.8.8/32"]}
        elif r < 0.75:
            fqdns = [{"matchName": self.rng.choice(FQDN_NAMES)}]
            if self.rng.random() < 0.5:
                fqdns.append({"matchPattern": self.rng.choice(FQDN_PATTERNS)})
            item = {"toFQDNs": fqdns}
        elif r < 0.85:
            target = self.rng.choice(self.exposed)
            if self.rng.random() < 0.5:
                item = {"toServices": [{"k8sService": {"serviceName": target.name, "namespace": target.namespace}}]}
            else:
                item = {"toServices": [{"k8sServiceSelector": {
                    "selector": {"matchLabels": {"tier": target.labels["tier"]}}, "namespace": target.namespace}}]}
            return item  # Cilium rejects toPorts next to toServices
        else:
            item = {"toEndpoints": [self.endpoint_peer(ns)]}
            item["toPorts"] = self.ports(l7=True, ingress=False)
            return item
        if self.rng.random() < 0.5:
            item["toPorts"] = self.ports(l7=False, ingress=False)
        return item

    def dns_item(self) -> dict[str, Any]:
        names = [{"matchPattern": self.rng.choice(FQDN_PATTERNS)}, {"matchName": self.rng.choice(FQDN_NAMES)}]
        return {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                                 "k8s:k8s-app": "kube-dns"}}],
                "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": names}}]}

    def deny_item(self, ns: str, ingress: bool) -> dict[str, Any]:
        r = self.rng.random()
        side = "from" if ingress else "to"
        if r < 0.5:
            item: dict[str, Any] = {f"{side}Endpoints": [self.endpoint_peer(ns)]}
        elif r < 0.75:
            item = {f"{side}Entities": ["world"]}
        else:
            item = {f"{side}CIDRSet": [{"cidr": "203.0.113.0/24", "except": ["203.0.113.0/28"]}]}
        if self.rng.random() < 0.6:
            item["toPorts"] = [{"ports": [{"port": self.rng.choice(TCP_PORTS), "protocol": "TCP"}]}]
        return item

    # --- policies ------------------------------------------------------------------------------------

    def cnp(self, i: int) -> dict[str, Any]:
        ns = self.rng.choice(self.ns_names)
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                "metadata": {"name": f"cnp-{i:03d}", "namespace": ns}, "spec": self.rule(ns)}

    def rule(self, home: str) -> dict[str, Any]:
        spec: dict[str, Any] = {"endpointSelector": self.subject(home)}
        r = self.rng.random()
        if r < 0.55:
            spec["ingress"] = [self.ingress_item(home) for _ in range(self.rng.randint(1, 3))]
        if r >= 0.35:
            egress = [self.egress_item(home) for _ in range(self.rng.randint(1, 2))]
            if any("toFQDNs" in e for e in egress) or self.rng.random() < 0.5:
                egress.append(self.dns_item())
            spec["egress"] = egress
        if self.rng.random() < 0.15:
            spec["ingressDeny"] = [self.deny_item(home, True)]
        if self.rng.random() < 0.1:
            spec["egressDeny"] = [self.deny_item(home, False)]
        if self.rng.random() < 0.08:
            spec["enableDefaultDeny"] = {"ingress": False, "egress": False}
        return spec

    def ccnp(self, i: int) -> dict[str, Any]:
        spec = {"endpointSelector": {"matchLabels": {"tier": TIERS[i % len(TIERS)]}},
                "ingressDeny": [{"fromEntities": ["world"], "toPorts": [{"ports": [{"port": "5432"}]}]}],
                "ingress": [{"fromEntities": ["cluster"]},
                            {"fromEndpoints": [{"matchLabels": {"tier": self.rng.choice(TIERS)}}],
                             "toPorts": self.ports(l7=True, ingress=True)}]}
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
                "metadata": {"name": f"ccnp-{i:02d}"}, "spec": spec}

    def knp(self, i: int) -> dict[str, Any]:
        ns = self.rng.choice(self.ns_names[1:] or self.ns_names)
        r = self.rng.random()
        spec: dict[str, Any] = {"podSelector": {"matchLabels": {"tier": self.rng.choice(TIERS)}} if r < 0.8 else {}}
        if r < 0.1:
            spec["policyTypes"] = ["Ingress"]  # no ingress items: deny all ingress
            return _knp_doc(i, ns, spec)
        spec["ingress"] = [self.knp_item("from", ns) for _ in range(self.rng.randint(1, 2))]
        types = ["Ingress"]
        if self.rng.random() < 0.5:
            spec["egress"] = [self.knp_item("to", ns)]
            types.append("Egress")
        if self.rng.random() < 0.7 or "egress" in spec:
            spec["policyTypes"] = types
        return _knp_doc(i, ns, spec)

    def knp_item(self, side: str, ns: str) -> dict[str, Any]:
        peers: list[dict[str, Any]] = []
        for _ in range(self.rng.randint(1, 2)):
            r = self.rng.random()
            if r < 0.35:
                peers.append({"podSelector": {"matchLabels": {"tier": self.rng.choice(TIERS)}}})
            elif r < 0.6:
                peers.append({"namespaceSelector": {"matchLabels": {"team": self.rng.choice(TEAMS)}},
                              "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In",
                                                                    "values": sorted(self.rng.sample(TIERS, 2))}]}})
            elif r < 0.75:
                peers.append({"namespaceSelector": {"matchLabels": {
                    "kubernetes.io/metadata.name": self.rng.choice(self.ns_names)}}})
            elif r < 0.85:
                peers.append({"namespaceSelector": {}})
            else:
                peers.append({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}})
        item: dict[str, Any] = {side: peers}
        if self.rng.random() < 0.7:
            item["ports"] = [{"protocol": "TCP", "port": int(p)} for p in self.rng.sample(TCP_PORTS, 2)]
            if self.rng.random() < 0.3:
                item["ports"].append({"protocol": "UDP", "port": 53})
            if self.rng.random() < 0.2:
                item["ports"].append({"protocol": "TCP", "port": 8000, "endPort": 8090})
        return item


def _knp_doc(i: int, ns: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"knp-{i:03d}", "namespace": ns}, "spec": spec}
