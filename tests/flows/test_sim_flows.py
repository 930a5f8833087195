"""The simulated cluster's flows go through the same parser: every probe's flows parse, and their
classification agrees with the probe's outcome word."""

from __future__ import annotations

import pytest

from labs.flows import FlowOutcome, aggregate, classify, parse_flow
from labs.outcomes import Outcome
from labs.probes import HttpRequest, Probe, parse_target

sim = pytest.importorskip("labs.cluster.sim", reason="the simulated cluster is not available")

MANIFESTS = """
apiVersion: v1
kind: Namespace
metadata: {name: frontend}
---
apiVersion: v1
kind: Namespace
metadata: {name: backend}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: frontend, labels: {app: web}}
spec: {containers: [{name: web, image: curl}]}
---
apiVersion: v1
kind: Pod
metadata: {name: scraper, namespace: frontend, labels: {app: scraper}}
spec: {containers: [{name: scraper, image: curl}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: backend, labels: {app: api}}
spec: {containers: [{name: api, image: api, ports: [{containerPort: 8080, protocol: TCP}]}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: read-only-api, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web, k8s:io.kubernetes.pod.namespace: frontend}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules: {http: [{method: GET, path: /api/v1/products.*}]}
"""

_ORDER = [FlowOutcome.FORWARDED, FlowOutcome.AUDIT, FlowOutcome.L7_DENIED, FlowOutcome.REFUSED,
          FlowOutcome.EXPLICIT_DENY, FlowOutcome.DEFAULT_DENY]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "lab.yaml"
    path.write_text(MANIFESTS)
    c = sim.SimCluster()
    c.apply([str(path)])
    return c


@pytest.mark.parametrize(
    ("source", "method", "outcome", "edge"),
    [
        ("frontend/web", "GET", Outcome.ALLOWED,
         "frontend/web -> backend/api 8080/TCP GET /api/v1/products: forwarded x1"),
        ("frontend/web", "POST", Outcome.L7_DENIED,
         "frontend/web -> backend/api 8080/TCP POST /api/v1/products: l7-denied x1"),
        ("frontend/scraper", "GET", Outcome.DROPPED,
         "frontend/scraper -> backend/api 8080/TCP: dropped: default deny x2 (POLICY_DENIED)"),
    ],
    ids=["allowed", "l7-denied", "default-deny"],
)
def test_probe_flows_parse_and_agree_with_the_outcome(cluster, source, method, outcome, edge):
    result = cluster.probe(Probe(source, parse_target("backend/api"), 8080,
                                 http=HttpRequest(method, "/api/v1/products")))
    assert result.outcome is outcome, result.reason
    flows = [parse_flow(f) for f in result.flows]
    assert flows, "the probe produced no flows"
    requests = [classify(f) for f in flows if not f.is_reply]
    assert max(requests, key=_ORDER.index).outcome is outcome
    assert edge in [e.describe() for e in aggregate(flows)]
