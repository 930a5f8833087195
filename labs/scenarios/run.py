"""Run a scenario on a backend and compare every probe with its expectation.

On the simulated backend the scenario's `cluster:` section, manifests and policies make a fresh
cluster; on a live cluster the manifests and policies are applied and the policies are removed again
afterwards. A `cluster:` section becomes a real workload of its own in `labs.scenarios.live_run`
(`labs verify --backend live`), not here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from labs.cluster.base import Cluster
from labs.manifests import ManifestSet, load_sources
from labs.manifests.errors import ManifestError, Problem
from labs.outcomes import Outcome
from labs.probes import ProbeResult
from labs.scenarios.spec import Expectation, Scenario

__all__ = ["ProbeCheck", "ScenarioResult", "build_sim_cluster", "policy_documents", "run_scenario"]


@dataclass(frozen=True)
class ProbeCheck:
    expectation: Expectation
    result: ProbeResult

    @property
    def ok(self) -> bool:
        return self.expectation.expect is None or self.result.outcome is self.expectation.expect

    def line(self) -> str:
        exp = self.expectation
        mark = "ok  " if self.ok else "FAIL"
        want = exp.expect.value if exp.expect else "(no expectation)"
        text = f"{mark} {exp.probe.describe()}: expected {want}, observed {self.result.outcome.value}"
        if not self.ok or self.result.outcome is Outcome.ERROR:
            text += f"\n       {self.result.reason}"
        return text

    def to_json(self) -> dict[str, Any]:
        p = self.expectation.probe
        return {"from": p.source, "to": str(p.target) if p.target else None, "port": p.port, "protocol": p.protocol,
                "http": {"method": p.http.method, "path": p.http.path, "headers": dict(p.http.headers),
                         "host": p.http.host} if p.http else None, "dns": p.dns,
                "expect": self.expectation.expect.value if self.expectation.expect else None,
                "observed": self.result.outcome.value, "ok": self.ok, "reason": self.result.reason,
                "line": self.expectation.line}


@dataclass
class ScenarioResult:
    scenario: Scenario
    checks: list[ProbeCheck] = field(default_factory=list)
    skipped: list[tuple[Expectation, str]] = field(default_factory=list)
    """Probes the backend cannot answer (a live cluster without an outside world, Envoy...), with the reason."""

    @property
    def passed(self) -> int:
        return sum(c.ok for c in self.checks)

    @property
    def failed(self) -> int:
        return len(self.checks) - self.passed

    def report(self) -> str:
        head = f"{self.scenario.name} ({self.scenario.file}): {self.passed}/{len(self.checks)} probes as expected"
        if self.skipped:
            head += f", {len(self.skipped)} skipped"
        lines = [head] + ["  " + c.line().replace("\n", "\n  ") for c in self.checks]
        lines += [f"  skip {exp.probe.describe()}: {why}" for exp, why in self.skipped]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        report: dict[str, Any] = {"name": self.scenario.name, "file": self.scenario.file,
                                  "probes": [c.to_json() for c in self.checks]}
        if self.skipped:
            report["skipped"] = [{"probe": exp.probe.describe(), "line": exp.line, "reason": why}
                                 for exp, why in self.skipped]
        return report


def _policy_set(scenario: Scenario) -> ManifestSet:
    if not scenario.policies.strip():
        return ManifestSet()
    from labs.manifests import load_text

    try:
        return load_text(scenario.policies, name=f"{scenario.file} (policies)")
    except ManifestError as exc:
        offset = scenario.policies_line - 1
        raise ManifestError([Problem(p.message, scenario.file, p.document,
                                     None if p.line is None else p.line + offset, f"policies: {p.path}".rstrip(": "),
                                     p.kind, p.name) for p in exc.problems]) from None


def policy_documents(scenario: Scenario) -> list[dict[str, Any]]:
    """The scenario's policies as plain objects, checked first (a ManifestError names the scenario's lines)."""
    return [copy.deepcopy(doc.obj) for doc in _policy_set(scenario).documents]


def build_sim_cluster(scenario: Scenario, **options: Any):
    """A fresh SimCluster with everything the scenario describes (raises ManifestError if invalid).

    `options` go to SimCluster (tests pass a clock, or choose eager or lazy flows)."""
    from labs.cluster.sim import SimCluster

    cluster = SimCluster(enforcement=scenario.enforcement, external=scenario.external, **options)
    base = ManifestSet(namespaces=list(scenario.namespaces), pods=list(scenario.pods),
                       services=list(scenario.services))
    parts = [base]
    if scenario.manifests:
        parts.append(load_sources([str(p) for p in scenario.manifests], nodes=tuple(n.name for n in cluster.nodes)))
    parts.append(_policy_set(scenario))
    merged = ManifestSet()
    for ms in parts:
        for name in ("documents", "namespaces", "pods", "services", "policies", "others"):
            getattr(merged, name).extend(getattr(ms, name))
    cluster.apply_set(merged)
    return cluster


def run_scenario(scenario: Scenario, cluster: Cluster | None = None, *, timeout: float = 5.0) -> ScenarioResult:
    """Run every probe; on the simulated backend (cluster None) a fresh cluster is built first."""
    if cluster is None:
        cluster = build_sim_cluster(scenario)
        cleanup = None
    else:
        cleanup = _apply_live(scenario, cluster, timeout)
    probes = [e.probe for e in scenario.expectations]
    # An outside address becomes reachable through toFQDNs only after an allowed lookup, so probes
    # that look names up or reach addresses keep their written order; the others may run in parallel.
    ordered = any(p.dns is not None or (p.target is not None and p.target.kind in ("fqdn", "ip")) for p in probes)
    try:
        results = cluster.probe_many(probes, timeout=timeout, parallel=1 if ordered else 8)
    finally:
        if cleanup:
            cluster.delete(cleanup)
    return ScenarioResult(scenario, [ProbeCheck(e, r) for e, r in zip(scenario.expectations, results)])


def _apply_live(scenario: Scenario, cluster: Cluster, timeout: float) -> list[str]:
    if scenario.has_cluster_section:
        raise ManifestError([Problem("a `cluster:` section describes simulated pods; on a live cluster run the "
                                     "scenario with `labs verify --backend live` (it creates them as real pods), "
                                     "or describe the workloads in `manifests:` files", scenario.file, 0, None,
                                     "cluster")])
    if scenario.manifests:
        cluster.apply([str(p) for p in scenario.manifests], timeout=timeout * 24)
    if scenario.policies.strip():
        cluster.apply(scenario.policies, timeout=timeout * 24)
        return [scenario.policies]
    return []
