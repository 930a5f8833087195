"""Connectivity over identities, and the naive per-pod evaluation it is measured against.

Cilium resolves policy per identity (unique label set), not per pod: every pod of an identity gets
the same verdict towards every pod of another identity. `identity_matrix` evaluates each
(source identity, destination identity, traffic) once with one engine whose cache is keyed by
identity. `naive_verdicts` decides individual pod pairs with the same decision code and its cache
switched off (`PolicyEngine(cache=False)`), i.e. what one computes without identities.
"""

from __future__ import annotations

import gc
import random
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

from labs.manifests import ManifestSet
from labs.policy.endpoints import Endpoint, Traffic, pod_endpoint, reserved_endpoint
from labs.policy.engine import PolicyEngine
from labs.policy.selectors import _by_key as _selector_index
from labs.policy.verdict import Verdict
from labs.probes import HttpRequest

__all__ = [
    "TRAFFIC", "Identity", "MatrixResult", "NaiveResult", "identities", "identity_matrix", "naive_verdicts",
    "pod_endpoints", "reserved_peers", "sample_pairs", "uncached_engine", "verdict_key",
]

TRAFFIC: tuple[Traffic, ...] = (
    Traffic("TCP", 80),
    Traffic("TCP", 443),
    Traffic("TCP", 8080),
    Traffic("TCP", 8080, http=HttpRequest("GET", "/api/v1/items")),
)
NODES = ("worker-1", "worker-2", "worker-3")


@dataclass(frozen=True)
class Identity:
    """One label set: a representative endpoint (no pod name or IP) and the pods that carry it."""

    number: int
    endpoint: Endpoint
    pods: tuple[Endpoint, ...]


def pod_endpoints(ms: ManifestSet) -> list[Endpoint]:
    """Every pod as the engine sees it, with a deterministic IP from 10.0.0.0/16 and a node."""
    ns_labels = {ns.name: dict(ns.labels) for ns in ms.namespaces}
    out = []
    for i, pod in enumerate(ms.pods):
        ip = f"10.0.{i // 250}.{i % 250 + 1}"
        node_pod = pod if pod.node else _with_node(pod, NODES[i % len(NODES)])
        out.append(pod_endpoint(node_pod, ip, ns_labels.get(pod.namespace, {})))
    return out


def _with_node(pod, node: str):
    from dataclasses import replace

    return replace(pod, node=node)


def identities(pods: Iterable[Endpoint]) -> list[Identity]:
    """Group pods by label set, in first-seen order; numbers start at 256 as Cilium's local ones do."""
    groups: dict[frozenset, list[Endpoint]] = {}
    for ep in pods:
        groups.setdefault(ep.labels, []).append(ep)
    out = []
    for n, (labels, members) in enumerate(groups.items(), start=256):
        first = members[0]
        ports = {m.named_ports for m in members}
        if len(ports) != 1:
            raise ValueError(f"identity {n} ({first.name}...) has pods with different named ports {sorted(ports)}; "
                             "the benchmark needs uniform ports per label set")
        rep = Endpoint(kind="pod", name=f"identity {n} ({first.name.rsplit('-', 2)[0]})", labels=labels,
                       named_ports=first.named_ports, namespace=first.namespace)
        out.append(Identity(n, rep, tuple(members)))
    return out


def reserved_peers(external: Sequence[tuple[str, str, tuple[str, ...]]]) -> tuple[list[Endpoint], list[Endpoint]]:
    """(sources, destinations) that are not pods: nodes, the API server and world addresses."""
    world = [reserved_endpoint("world", ip=ip, dns_names=frozenset(names)) for ip, _what, names in external]
    nodes = [reserved_endpoint("host", ip="192.168.56.10", node=NODES[0]),
             reserved_endpoint("remote-node", ip="192.168.56.11", node=NODES[1])]
    apiserver = [reserved_endpoint("kube-apiserver", ip="192.168.56.10")]
    return nodes + world, nodes + apiserver + world


def verdict_key(v: Verdict) -> tuple:
    """What must agree between two evaluations: outcome, drop reason and the rule that decided."""
    d = v.decided_by
    return v.outcome, v.drop_reason, d.rule if d is not None else None, d.direction if d is not None else None


@dataclass
class MatrixResult:
    sources: list[Endpoint]
    destinations: list[Endpoint]
    traffic: tuple[Traffic, ...]
    verdicts: dict[tuple[int, int, int], Verdict]
    seconds: float
    """Wall time, including one full collection afterwards (see `identity_matrix`)."""
    collect_seconds: float = 0.0
    """Of which the full collection after the matrix."""

    def outcome_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for v in self.verdicts.values():
            counts[v.outcome.value] = counts.get(v.outcome.value, 0) + 1
        return dict(sorted(counts.items()))


def identity_matrix(engine: PolicyEngine, sources: Sequence[Endpoint], destinations: Sequence[Endpoint],
                    traffic: Sequence[Traffic] = TRAFFIC) -> MatrixResult:
    """Every (source, destination, traffic) cell where at least one side is a pod, timed.

    The cyclic collector is paused while the cells are computed (verdicts make no reference cycles,
    but keeping 176,800 of them would make it walk the loaded cluster again and again), and the
    full collection it would have done is run at the end, inside the timed span.
    """
    verdicts: dict[tuple[int, int, int], Verdict] = {}
    collecting = gc.isenabled()
    gc.disable()
    start = time.perf_counter()
    try:
        for i, src in enumerate(sources):
            for j, dst in enumerate(destinations):
                if not (src.is_pod or dst.is_pod):
                    continue
                for k, t in enumerate(traffic):
                    verdicts[i, j, k] = engine.verdict(src, dst, t)
    finally:
        if collecting:
            gc.enable()
    collect_start = time.perf_counter()
    gc.collect()
    end = time.perf_counter()
    return MatrixResult(list(sources), list(destinations), tuple(traffic), verdicts, end - start, end - collect_start)


def uncached_engine(policies, *, services=()) -> PolicyEngine:
    """The same decisions with nothing carried over from one verdict to the next (`cache=False`)."""
    return PolicyEngine(policies, services=services, cache=False)


def sample_pairs(pods: Sequence[Endpoint], count: int, seed: int) -> list[tuple[Endpoint, Endpoint]]:
    """`count` distinct-pod pairs drawn with a seeded generator (with replacement across pairs)."""
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < count:
        a, b = rng.choice(pods), rng.choice(pods)
        if a is not b:
            pairs.append((a, b))
    return pairs


@dataclass
class NaiveResult:
    verdicts: list[tuple[Endpoint, Endpoint, int, Verdict]]
    seconds: float
    batch_seconds: list[float]
    """Time per batch of equal size, to show how stable the per-pair figure is."""

    @property
    def per_pair(self) -> float:
        return self.seconds / max(1, len({(a.name, b.name) for a, b, _k, _v in self.verdicts}))


def naive_verdicts(engine: PolicyEngine, pairs: Sequence[tuple[Endpoint, Endpoint]],
                   traffic: Sequence[Traffic] = TRAFFIC, batches: int = 5) -> NaiveResult:
    """Decide each sampled pod pair on every traffic with a cache-free engine, timed per batch.

    The selectors' per-label-set index (an `lru_cache` keyed by the label set) is emptied before each
    verdict too, so nothing learnt about one identity helps the next pair.
    """
    if engine.memo.enabled:
        raise ValueError("naive_verdicts needs an engine built with cache=False")
    out: list[tuple[Endpoint, Endpoint, int, Verdict]] = []
    batch_seconds = []
    size = max(1, len(pairs) // batches)
    for b in range(0, len(pairs), size):
        start = time.perf_counter()
        for src, dst in pairs[b:b + size]:
            for k, t in enumerate(traffic):
                _selector_index.cache_clear()
                out.append((src, dst, k, engine.verdict(src, dst, t)))
        batch_seconds.append(time.perf_counter() - start)
    return NaiveResult(out, sum(batch_seconds), batch_seconds)
