"""The engine benchmark's code at a tiny size: the generator, both evaluation strategies, the NCA parser.

No timing is asserted; these prove the benchmark computes what it reports (the identity matrix and
the naive per-pod path agree on every pod pair) and reads NCA's output correctly. NCA itself is
never installed or run here.
"""

from __future__ import annotations

import sys

import pytest

from labs.paths import repo_root

if str(repo_root()) not in sys.path:
    sys.path.insert(0, str(repo_root()))

from benchmarks import engine as bench
from benchmarks._compare import NCA_PROBES, compare_identity_and_naive, compare_with_nca
from benchmarks._gen_cluster import EXTERNAL, ClusterSpec, generate
from benchmarks._matrix import (
    TRAFFIC,
    NaiveResult,
    identities,
    identity_matrix,
    naive_verdicts,
    pod_endpoints,
    reserved_peers,
    uncached_engine,
)
from benchmarks._nca import NcaRun, parse_connections, parse_rows
from labs.manifests import load_text
from labs.outcomes import Outcome
from labs.policy.endpoints import Traffic
from labs.policy.engine import PolicyEngine

TINY = ClusterSpec(namespaces=3, apps_per_namespace=4, replicas=2, policies=30, ccnps=1, knps=4, seed=11)


@pytest.fixture(scope="module")
def tiny():
    cluster = generate(TINY)
    return cluster, load_text(cluster.yaml(), name="tiny")


def test_generator_is_deterministic_and_valid(tiny):
    cluster, ms = tiny
    assert generate(TINY).yaml() == cluster.yaml()
    assert generate(ClusterSpec(**{**TINY.__dict__, "seed": 12})).yaml() != cluster.yaml()
    assert len(ms.pods) == 3 * 4 * 2
    kinds = sorted({p.kind for p in ms.policies})
    assert kinds == ["CiliumClusterwideNetworkPolicy", "CiliumNetworkPolicy", "NetworkPolicy"]
    assert len(identities(pod_endpoints(ms))) == 3 * 4


def test_full_size_generator_mixes_every_peer_kind():
    text = generate().yaml()
    for word in ("fromEndpoints", "matchExpressions", "k8s:io.kubernetes.pod.namespace",
                 "io.cilium.k8s.namespace.labels.team", "fromEntities", "toEntities", "fromCIDR", "toCIDRSet",
                 "except", "toFQDNs", "matchPattern", "dns:", "toServices", "http:", "ingressDeny", "egressDeny",
                 "enableDefaultDeny", "endPort", "icmps", "ipBlock", "namespaceSelector",
                 "kind: CiliumClusterwideNetworkPolicy", "kind: NetworkPolicy"):
        assert word in text, word


def test_identity_matrix_agrees_with_naive_per_pod_on_every_pair(tiny):
    _cluster, ms = tiny
    pods = pod_endpoints(ms)
    ids = identities(pods)
    extra_src, extra_dst = reserved_peers(EXTERNAL)
    matrix = identity_matrix(PolicyEngine(ms.policies, services=ms.services),
                             [i.endpoint for i in ids] + extra_src, [i.endpoint for i in ids] + extra_dst)
    pairs = [(a, b) for a in pods for b in pods if a is not b]
    naive = naive_verdicts(uncached_engine(ms.policies, services=ms.services), pairs)
    agree, lines = compare_identity_and_naive(matrix, ids, naive)
    assert lines == []
    assert agree == len(pairs) * len(TRAFFIC)
    outcomes = {v.outcome for v in matrix.verdicts.values()}
    assert {Outcome.ALLOWED, Outcome.DROPPED} <= outcomes


def test_a_wrong_cell_is_reported(tiny):
    _cluster, ms = tiny
    pods = pod_endpoints(ms)
    ids = identities(pods)
    engine = PolicyEngine(ms.policies, services=ms.services)
    matrix = identity_matrix(engine, [i.endpoint for i in ids], [i.endpoint for i in ids])
    src, dst = pods[0], pods[-1]
    cell = matrix.verdicts[0, len(ids) - 1, 0]
    flipped = Outcome.DROPPED if cell.outcome is Outcome.ALLOWED else Outcome.ALLOWED
    fake = type(cell)(flipped, "made up", cell.egress, cell.ingress)
    agree, lines = compare_identity_and_naive(matrix, ids, NaiveResult([(src, dst, 0, fake)], 0.0, [0.0]))
    assert agree == 0
    assert len(lines) == 1 and lines[0].startswith(f"{src.name} -> {dst.name} 80/TCP: per pod {flipped.value}")


def test_uncached_engine_keeps_nothing_between_verdicts(tiny):
    _cluster, ms = tiny
    pods = pod_endpoints(ms)
    engine = uncached_engine(ms.policies, services=ms.services)
    engine.verdict(pods[0], pods[-1], TRAFFIC[0])
    assert engine.memo.sizes() == {}
    cached = PolicyEngine(ms.policies, services=ms.services)
    cached.verdict(pods[0], pods[-1], TRAFFIC[0])
    assert cached.memo.sizes()["decide_class"] >= 1


def test_naive_verdicts_refuse_a_caching_engine(tiny):
    _cluster, ms = tiny
    with pytest.raises(ValueError, match="cache=False"):
        naive_verdicts(PolicyEngine(ms.policies), [])


@pytest.mark.parametrize(("text", "probe", "allowed"), [
    ("All connections", ("UDP", 53), True),
    ("No connections", ("TCP", 80), False),
    ("{protocols:TCP,dst_ports:443,8080}", ("TCP", 8080), True),
    ("{protocols:TCP,dst_ports:443,8080}", ("TCP", 80), False),
    ("{protocols:TCP,dst_ports:443,8080}", ("UDP", 443), False),
    ("{protocols:TCP,dst_ports:6379,8000-8090}", ("TCP", 8085), True),
    ("{protocols:TCP,UDP,dst_ports:53}", ("UDP", 53), True),
    ("{protocols:TCP,dst_ports:80},{protocols:UDP,dst_ports:53}", ("UDP", 53), True),
    ("{protocols:TCP,dst_ports:80},{protocols:UDP,dst_ports:53}", ("UDP", 80), False),
    ("{protocols:UDP}", ("UDP", 9999), True),
], ids=["all", "none", "listed", "not-listed", "other-protocol", "range", "two-protocols", "two-groups",
        "two-groups-miss", "protocol-only"])
def test_nca_connections(text, probe, allowed):
    assert parse_connections(text).allows(*probe) is allowed


def test_nca_connection_with_unknown_field_is_refused():
    with pytest.raises(ValueError, match=r"unrecognised NCA connection field 'methods'"):
        parse_connections("{protocols:TCP,dst_ports:80,methods:GET}")


RECORDED = """\
Warning: policies will be taken from the provided networkPolicy list key.
global: cluster has 32 unique endpoints, 4 namespaces
0.0.0.0-9.255.255.255 => kube-system/app-01[Deployment] : All connections
ns-01/app-00[Deployment] => ns-02/app-03[Deployment] : {protocols:TCP,dst_ports:6379,8080}
kube-system/app-01[Deployment] => 0.0.0.0-255.255.255.255 : All connections
ns-03/app-00[Deployment] => kube-system/coredns[Deployment] : All connections
"""


def test_nca_rows_keep_deployments_and_count_ip_rows():
    rows, ip_rows = parse_rows(RECORDED)
    assert rows == [("ns-01/app-00", "ns-02/app-03", "{protocols:TCP,dst_ports:6379,8080}"),
                    ("ns-03/app-00", "kube-system/coredns", "All connections")]
    assert ip_rows == 2


def test_nca_rows_for_one_pair_add_up():
    """NCA prints a row per protocol group; the pair allows what any of its rows allows."""
    cluster = generate(ClusterSpec(namespaces=2, apps_per_namespace=2, replicas=1, policies=0, ccnps=0, knps=0,
                                   seed=5))
    deployments = [f"{d['metadata']['namespace']}/{d['metadata']['name']}" for d in cluster.deployment_docs]
    a, b = deployments[1], deployments[2]
    rows = [(x, y, "All connections") for x in deployments for y in deployments if x != y and (x, y) != (a, b)]
    rows += [(a, b, "{protocols:TCP,dst_ports:80,9090}"), (a, b, "{protocols:UDP,dst_ports:53}")]
    report = compare_with_nca(cluster, NcaRun(1.0, rows))
    wrong = sorted({line.split(": engine")[0].split(" ", 3)[3] for line in report.disagreements})
    assert wrong == sorted(["443/TCP", "5432/TCP", "53/TCP", "6379/TCP", "8080/TCP", "8085/TCP"])
    assert all(line.startswith(f"{a}-") for line in report.disagreements)


def _rows_from_engine(cluster):
    """NCA-style rows written from the engine's own answers on the probed ports."""
    ms = load_text(cluster.yaml(cilium=False), name="knp")
    engine = PolicyEngine(ms.policies)
    first = {}
    for pod, ep in zip(ms.pods, pod_endpoints(ms)):
        first.setdefault(f"{pod.namespace}/{pod.owner.split('/', 1)[1]}", ep)
    rows = {}
    for a, src in first.items():
        for b, dst in first.items():
            if a == b:
                continue
            by_proto = {}
            for proto, port in NCA_PROBES:
                if engine.verdict(src, dst, Traffic(proto, port)).outcome is Outcome.ALLOWED:
                    by_proto.setdefault(proto, []).append(str(port))
            groups = [f"{{protocols:{proto},dst_ports:{','.join(ports)}}}" for proto, ports in by_proto.items()]
            rows[a, b] = (",".join(groups) or "No connections", sum(len(v) for v in by_proto.values()))
    return rows


def test_engine_vs_nca_comparison_finds_a_planted_difference():
    cluster = generate(ClusterSpec(namespaces=2, apps_per_namespace=3, replicas=2, policies=0, ccnps=0, knps=3,
                                   seed=5))
    rows = _rows_from_engine(cluster)
    report = compare_with_nca(cluster, NcaRun(1.0, [(a, b, text) for (a, b), (text, _n) in rows.items()]))
    assert report.disagreements == []
    assert report.checked == report.agree == len(rows) * 2 * 2 * len(NCA_PROBES)

    victim = next(key for key, (_text, allowed) in rows.items() if allowed)
    planted = [(a, b, "No connections" if (a, b) == victim else text) for (a, b), (text, _n) in rows.items()]
    changed = compare_with_nca(cluster, NcaRun(1.0, planted))
    assert len(changed.disagreements) == rows[victim][1] * 2 * 2
    assert all(" engine allowed, NCA not allowed;" in line for line in changed.disagreements)
    assert all(line.startswith(f"{victim[0]}-") and f" -> {victim[1]}-" in line for line in changed.disagreements)


def test_quick_run_prints_agreement(capsys):
    assert bench.main(["--quick", "--sample", "40"]) == 0
    out = capsys.readouterr().out
    assert "agreement on sampled pairs: 160/160 verdicts identical" in out
    assert "speed-up of per-identity resolution:" in out
    assert "extrapolated to all 14280 ordered pod pairs" in out
