"""The engine's per-identity policy map: reused decisions must never change a verdict.

Decisions are cached per peer class (the rule items that match a peer) and traffic; these tests
pin the cases where a shortcut could give one endpoint another's answer.
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import replace

import pytest

from labs.manifests import load_text
from labs.outcomes import Outcome
from labs.policy.endpoints import Endpoint, Traffic, pod_endpoint, reserved_endpoint
from labs.policy.engine import PolicyEngine
from labs.probes import HttpRequest

NAMESPACES = {"shop": {"kubernetes.io/metadata.name": "shop"}, "ops": {"kubernetes.io/metadata.name": "ops"}}

POLICIES = textwrap.dedent("""
    apiVersion: cilium.io/v2
    kind: CiliumNetworkPolicy
    metadata: {name: api, namespace: shop}
    spec:
      endpointSelector: {matchLabels: {app: api}}
      ingress:
      - fromEndpoints: [{matchLabels: {app: web}}]
        toPorts: [{ports: [{port: http, protocol: TCP}]}]
      - fromEndpoints: [{matchLabels: {app: web}}]
        toPorts: [{ports: [{port: "9000", protocol: TCP}], rules: {http: [{method: GET, path: "/ok"}]}}]
      egress:
      - toEndpoints: [{matchLabels: {app: db}}]
        toPorts: [{ports: [{port: sql, protocol: TCP}]}]
      - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
        toPorts: [{ports: [{port: "53", protocol: UDP}], rules: {dns: [{matchPattern: "*.shop.test"}]}}]
      - toCIDR: [192.0.2.0/24]
    ---
    apiVersion: cilium.io/v2
    kind: CiliumNetworkPolicy
    metadata: {name: no-ops, namespace: shop}
    spec:
      endpointSelector: {matchLabels: {app: api}}
      ingressDeny:
      - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: ops}}]
""")


def pod(ns: str, name: str, labels: dict[str, str], ports: dict[str, int] | None = None) -> Endpoint:
    containers = [{"name": "c", "image": "busybox:1.36.1",
                   "ports": [{"name": n, "containerPort": p} for n, p in (ports or {}).items()]}]
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
                "spec": {"containers": containers}}
    import yaml

    (obj,) = load_text(yaml.safe_dump(manifest), name="pod.yaml").pods
    return pod_endpoint(obj, f"10.0.{len(name)}.{sum(map(ord, name)) % 250}", NAMESPACES.get(ns, {}))


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine(load_text(POLICIES, name="policies.yaml").policies)


def test_named_ports_are_resolved_per_destination_not_per_peer_class(engine):
    # the two databases match the same rule item alike, but `sql` is 5432 on one and 3306 on the other
    api = pod("shop", "api", {"app": "api"}, {"http": 8080})
    pg = pod("shop", "pg", {"app": "db", "flavour": "pg"}, {"sql": 5432})
    my = pod("shop", "my", {"app": "db", "flavour": "my"}, {"sql": 3306})
    assert engine.verdict(api, pg, Traffic("TCP", 5432)).outcome is Outcome.ALLOWED
    assert engine.verdict(api, my, Traffic("TCP", 5432)).outcome is Outcome.DROPPED
    assert engine.verdict(api, my, Traffic("TCP", 3306)).outcome is Outcome.ALLOWED


def test_equal_traffic_objects_share_one_decision_and_text(engine):
    web, api = pod("shop", "web", {"app": "web"}), pod("shop", "api", {"app": "api"}, {"http": 8080})
    first = engine.verdict(web, api, Traffic("TCP", 8080))
    second = engine.verdict(web, api, Traffic("TCP", 8080))
    assert first == second
    assert first.ingress is second.ingress  # one immutable DirectionVerdict serves both
    assert second.traffic == "8080/TCP"


def test_peers_in_one_class_get_their_own_names_in_the_verdict(engine):
    api = pod("shop", "api", {"app": "api"}, {"http": 8080})
    one, two = pod("shop", "web-1", {"app": "web"}), pod("shop", "web-2", {"app": "web"})
    a, b = engine.verdict(one, api, Traffic("TCP", 8080)), engine.verdict(two, api, Traffic("TCP", 8080))
    assert (a.source, b.source) == ("shop/web-1", "shop/web-2")
    assert a.ingress is b.ingress


def test_headers_given_as_a_list_are_decided_without_the_cache(engine):
    web, api = pod("shop", "web", {"app": "web"}), pod("shop", "api", {"app": "api"}, {"http": 8080})
    listed = Traffic("TCP", 9000, http=HttpRequest("GET", "/ok", headers=[("x", "1")]))  # type: ignore[arg-type]
    tupled = Traffic("TCP", 9000, http=HttpRequest("GET", "/ok", headers=(("x", "1"),)))
    assert engine.verdict(web, api, listed) == engine.verdict(web, api, tupled)
    assert engine.verdict(web, api, listed).outcome is Outcome.ALLOWED


def test_world_addresses_are_classed_by_address(engine):
    api = pod("shop", "api", {"app": "api"}, {"http": 8080})
    inside = reserved_endpoint("world", ip="192.0.2.7")
    outside = reserved_endpoint("world", ip="198.51.100.7")
    assert engine.verdict(api, inside, Traffic("TCP", 443)).outcome is Outcome.ALLOWED
    assert engine.verdict(api, outside, Traffic("TCP", 443)).outcome is Outcome.DROPPED


def test_a_shared_engine_decides_like_a_fresh_engine_per_cell():
    """Random cells in random order: the cached answers equal what a new engine says about each alone."""
    policies = load_text(POLICIES, name="policies.yaml").policies
    shared = PolicyEngine(policies)
    endpoints = [
        pod("shop", "api", {"app": "api"}, {"http": 8080}), pod("shop", "web", {"app": "web"}),
        pod("shop", "pg", {"app": "db"}, {"sql": 5432}), pod("shop", "my", {"app": "db", "v": "2"}, {"sql": 3306}),
        pod("ops", "tool", {"app": "web"}), pod("kube-system", "coredns", {"k8s-app": "kube-dns"}),
        reserved_endpoint("world", ip="192.0.2.9"), reserved_endpoint("host", node=None),
        reserved_endpoint("remote-node"),
    ]
    traffic = [Traffic("TCP", 8080), Traffic("TCP", 9000, http=HttpRequest("GET", "/ok")),
               Traffic("TCP", 9000, http=HttpRequest("POST", "/ok")), Traffic("TCP", 5432), Traffic("TCP", 3306),
               Traffic("UDP", 53, dns_name="api.shop.test"), Traffic("UDP", 53, dns_name="evil.test"),
               Traffic("ICMP")]
    rng = random.Random(5)
    cells = [(s, d, t) for s in endpoints for d in endpoints for t in traffic if s is not d]
    rng.shuffle(cells)
    outcomes = set()
    for src, dst, t in cells:
        got = shared.verdict(src, dst, t)
        assert got == PolicyEngine(policies).verdict(src, dst, t), (src.name, dst.name, t)
        outcomes.add(got.outcome)
    assert outcomes == {Outcome.ALLOWED, Outcome.DROPPED, Outcome.L7_DENIED, Outcome.REFUSED}


def _random_corpus(seed: int):
    """A seeded random cluster from the benchmark's generator, plus a CIDR rule that holds pod addresses."""
    import sys

    from labs.paths import repo_root

    if str(repo_root()) not in sys.path:
        sys.path.insert(0, str(repo_root()))
    from benchmarks._gen_cluster import EXTERNAL, ClusterSpec, generate
    from benchmarks._matrix import pod_endpoints, reserved_peers

    spec = ClusterSpec(namespaces=4, apps_per_namespace=4, replicas=2, policies=40, ccnps=2, knps=6, seed=seed)
    ms = load_text(generate(spec).yaml(), name=f"random-{seed}")
    pods = pod_endpoints(ms)
    ns = pods[0].namespace
    # two pods of one identity whose port `web` is a different number: a key without the named ports shows
    twin = next(p for p in pods if p.namespace == ns and p is not pods[0])
    twins = [replace(twin, name=f"{twin.name}-{n}", ip=f"10.1.0.{n}", named_ports=(("web", "TCP", port),))
             for n, port in ((1, 8080), (2, 9090))]
    extra = load_text(textwrap.dedent(f"""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {{name: cidr-to-pods, namespace: {ns}}}
        spec:
          endpointSelector: {{}}
          egress:
          - toCIDR: [10.0.0.0/16]
          - toEndpoints: [{{}}]
            toPorts: [{{ports: [{{port: web, protocol: TCP}}]}}]
          ingress:
          - fromCIDRSet: [{{cidr: 10.0.0.0/8, except: [10.0.0.0/30]}}]
          - toPorts: [{{ports: [{{port: web}}]}}]
    """), name="extra.yaml").policies
    sources, destinations = reserved_peers(EXTERNAL)
    return ms, list(ms.policies) + list(extra), pods, twins, sources, destinations


@pytest.mark.parametrize("seed", [3, 17])
def test_cache_true_and_cache_false_agree_cell_by_cell_on_a_random_corpus(seed):
    """The memo must never change a verdict: every field, every cell, in random order, all enforcement modes."""
    ms, policies, pods, twins, extra_src, extra_dst = _random_corpus(seed)
    rng = random.Random(seed)
    traffic = [Traffic("TCP", 80), Traffic("TCP", 443), Traffic("TCP", 8080), Traffic("TCP", 5432),
               Traffic("TCP", 8080, http=HttpRequest("GET", "/api/v1/items")),
               Traffic("TCP", 8080, http=HttpRequest("DELETE", "/admin")),
               Traffic("UDP", 53, dns_name="api.example.com"), Traffic("UDP", 53, dns_name="evil.test"),
               Traffic("ICMP"), Traffic("SCTP", 9090), Traffic("TCP", 9090), Traffic("UDP", 8125)]
    sources = rng.sample(pods, 10) + twins + extra_src
    destinations = rng.sample(pods, 10) + twins + extra_dst
    cells = [(s, d, t) for s in sources for d in destinations for t in traffic
             if s is not d and (s.is_pod or d.is_pod)]
    outcomes, noted = set(), 0
    for mode in ("default", "always", "never"):
        cached = PolicyEngine(policies, services=ms.services, enforcement=mode)
        fresh = PolicyEngine(policies, services=ms.services, enforcement=mode, cache=False)
        rng.shuffle(cells)
        for src, dst, t in cells:
            got = cached.verdict(src, dst, t)
            assert got == fresh.verdict(src, dst, t), (mode, src.name, dst.name, t)
            outcomes.add(got.outcome)
            noted += bool(got.notes)
        assert fresh.memo.sizes() == {}
    assert {Outcome.ALLOWED, Outcome.DROPPED} <= outcomes
    assert noted > 0  # the CIDR-holds-a-pod note is exercised too


def test_cache_keys_are_the_step_arguments():
    """Two calls that differ in any argument of a step never share a result (named ports, traffic, subject)."""
    engine = PolicyEngine(load_text(POLICIES, name="policies.yaml").policies)
    api = pod("shop", "api", {"app": "api"}, {"http": 8080})
    pg = pod("shop", "pg", {"app": "db"}, {"sql": 5432})
    my = pod("shop", "my", {"app": "db"}, {"sql": 3306})
    engine.verdict(api, pg, Traffic("TCP", 5432))
    engine.verdict(api, my, Traffic("TCP", 5432))
    engine.verdict(api, my, Traffic("TCP", 3306))
    sizes = engine.memo.sizes()
    assert sizes["peer_class"] == 2  # egress api -> db identity (shared by pg and my), ingress at the db pods
    assert sizes["decide_class"] == 5  # egress: 3 (ports differ or traffic differs), ingress: 2 (my on 5432 dropped)
