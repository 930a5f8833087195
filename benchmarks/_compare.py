"""Agreement checks: identity matrix vs naive per-pod verdicts, and the engine vs NCA."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

from benchmarks._gen_cluster import GeneratedCluster
from benchmarks._matrix import Identity, MatrixResult, NaiveResult, pod_endpoints, verdict_key
from benchmarks._nca import Connections, NcaRun, parse_connections
from labs.manifests import load_text
from labs.outcomes import Outcome
from labs.policy.endpoints import Traffic
from labs.policy.engine import PolicyEngine

__all__ = ["NCA_PROBES", "NcaReport", "compare_identity_and_naive", "compare_with_nca"]

NCA_PROBES: tuple[tuple[str, int], ...] = (
    ("TCP", 80), ("TCP", 443), ("TCP", 5432), ("TCP", 6379), ("TCP", 8080), ("TCP", 8085), ("TCP", 9090),
    ("UDP", 53), ("TCP", 53),
)
"""Every port the generated NetworkPolicies name, one inside the 8000-8090 range, and DNS on both protocols."""


def compare_identity_and_naive(matrix: MatrixResult, ids: Sequence[Identity],
                               naive: NaiveResult) -> tuple[int, list[str]]:
    """How many sampled pod verdicts equal their identity cell, and a line per one that does not."""
    index = {identity.endpoint.labels: n for n, identity in enumerate(ids)}
    agree, lines = 0, []
    for src, dst, k, verdict in naive.verdicts:
        cell = matrix.verdicts[index[src.labels], index[dst.labels], k]
        if verdict_key(cell) == verdict_key(verdict):
            agree += 1
        else:
            lines.append(f"{src.name} -> {dst.name} {matrix.traffic[k].describe()}: per pod {verdict.outcome.value} "
                         f"({verdict.reason}); per identity {cell.outcome.value} ({cell.reason})")
    return agree, lines


@dataclass
class NcaReport:
    checked: int = 0
    agree: int = 0
    disagreements: list[str] = field(default_factory=list)
    load_seconds: float = 0.0
    eval_seconds: float = 0.0
    ports: str = ""
    excluded: str = ""


def compare_with_nca(cluster: GeneratedCluster, run: NcaRun,
                     probes: Sequence[tuple[str, int]] = NCA_PROBES) -> NcaReport:
    """Every ordered pod pair of different Deployments, on every probe, engine vs NCA's rows."""
    report = NcaReport(ports=", ".join(f"{port}/{proto}" for proto, port in probes))
    start = time.perf_counter()
    ms = load_text(cluster.yaml(cilium=False), name="generated NetworkPolicies")
    engine = PolicyEngine(ms.policies, services=ms.services)
    pods = pod_endpoints(ms)
    owner = {p.key: f"{p.namespace}/{(p.owner or '/?').split('/', 1)[1]}" for p in ms.pods}
    report.load_seconds = time.perf_counter() - start

    traffic = [Traffic(proto, port) for proto, port in probes]
    start = time.perf_counter()
    ours: dict[tuple[str, str, int], bool] = {}
    for src in pods:
        for dst in pods:
            if owner[src.name] == owner[dst.name]:
                continue
            for k, t in enumerate(traffic):
                ours[src.name, dst.name, k] = engine.verdict(src, dst, t).outcome is Outcome.ALLOWED
    report.eval_seconds = time.perf_counter() - start

    nca: dict[tuple[str, str], Connections] = {}
    nothing = Connections()
    for src_dep, dst_dep, conn in run.rows:
        nca[src_dep, dst_dep] = nca.get((src_dep, dst_dep), nothing).merged(parse_connections(conn))
    for (src, dst, k), allowed in ours.items():
        proto, port = probes[k]
        theirs = nca.get((owner[src], owner[dst]), nothing).allows(proto, port)
        report.checked += 1
        if theirs == allowed:
            report.agree += 1
        else:
            verdict = engine.verdict(_pod(pods, src), _pod(pods, dst), traffic[k])
            report.disagreements.append(
                f"{src} -> {dst} {port}/{proto}: engine {'allowed' if allowed else 'dropped'}, "
                f"NCA {'allowed' if theirs else 'not allowed'}; engine: {verdict.reason}")
    report.excluded = ("IP-range rows (world and ipBlock: Cilium never matches pods with CIDR rules and uses the "
                       "world identity), node traffic (allow-localhost), pairs inside one Deployment (NCA prints "
                       "no row for them), SCTP")
    return report


def _pod(pods, name: str):
    return next(p for p in pods if p.name == name)
