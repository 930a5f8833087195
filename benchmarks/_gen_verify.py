"""A seeded scenario file of NetworkPolicies and probes, for timing `labs verify` (and NCA on the same input).

The default size is that of the reference measurement in issue 18: 200 workloads (one pod each) in 20
namespaces, 420 NetworkPolicies, 40,200 probes (every pod to every pod, itself included, plus one
probe per pod to an outside address), about 3 MB of YAML. Workloads and policies come from
`_gen_cluster.generate` (its NetworkPolicy generator: pod and namespace selectors, `namespaceSelector:
{}`, ipBlock with except, endPort, policyTypes), so the same seed gives the same file. Each pod probes
the others on one of the ports the policies name, chosen by the seed, UDP 53 among them.

The same workloads are written as Namespaces and one-replica Deployments for network-config-analyzer
(`nca_inputs`), which reads no scenario files.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import yaml

from benchmarks._gen_cluster import ClusterSpec, GeneratedCluster, generate

__all__ = ["PROBE_PORTS", "OUTSIDE", "VerifyFixture", "VerifySpec", "fixture"]

PROBE_PORTS: tuple[tuple[str, int], ...] = (
    ("TCP", 80), ("TCP", 443), ("TCP", 5432), ("TCP", 6379), ("TCP", 8080), ("TCP", 8085), ("TCP", 9090),
    ("UDP", 53), ("TCP", 53),
)
"""Every port the generated NetworkPolicies name, one inside their 8000-8090 range, DNS on both protocols."""

OUTSIDE = ("203.0.113.10", 443)
"""The outside address each pod also probes (inside the generator's `0.0.0.0/0 except 10.0.0.0/8` ipBlocks)."""


@dataclass(frozen=True)
class VerifySpec:
    namespaces: int = 20
    apps_per_namespace: int = 10
    policies: int = 420
    seed: int = 2024


@dataclass(frozen=True)
class FixtureProbe:
    """One probe of the fixture: pod keys ("ns/name"), or an `ip:` target."""

    source: str
    target: str
    protocol: str
    port: int

    @property
    def pod_to_pod(self) -> bool:
        return not self.target.startswith("ip:")


@dataclass
class VerifyFixture:
    spec: VerifySpec
    cluster: GeneratedCluster
    pods: list[tuple[str, str, dict[str, str], str]] = field(default_factory=list)
    """(namespace, pod name, labels, owning Deployment name) per workload, one pod each."""
    probes: list[FixtureProbe] = field(default_factory=list)

    def scenario_text(self, expect: Callable[[FixtureProbe], str | None] | None = None) -> str:
        """The scenario file; `expect` gives each probe's expected outcome (None: no expectation)."""
        out = [f"name: generated-verify-{self.spec.seed}",
               f"description: {len(self.pods)} workloads, {len(self.cluster.network_policies)} NetworkPolicies, "
               f"{len(self.probes)} probes (benchmarks/_gen_verify.py, seed {self.spec.seed})",
               "cluster:", "  namespaces:"]
        for doc in self.cluster.namespace_docs:
            out.append(f"    {doc['metadata']['name']}: {{labels: {_flow(doc['metadata']['labels'])}}}")
        out.append("  pods:")
        for ns, name, labels, _owner in self.pods:
            ports = ("[{name: dns, containerPort: 53, protocol: UDP}, "
                     "{name: dns-tcp, containerPort: 53, protocol: TCP}]"
                     if labels.get("k8s-app") == "kube-dns" else
                     "[{name: http, containerPort: 8080, protocol: TCP}, "
                     "{name: metrics, containerPort: 9090, protocol: TCP}]")
            out.append(f"    - {{name: {name}, namespace: {ns}, labels: {_flow(labels)}, ports: {ports}}}")
        out.append("policies: |")
        text = yaml.safe_dump_all(self.cluster.network_policies, sort_keys=False)
        out.extend("  " + line for line in text.splitlines())
        out.append("probes:")
        for p in self.probes:
            item = f"from: {p.source}, to: {p.target}, port: {p.port}"
            if p.protocol != "TCP":
                item += f", protocol: {p.protocol}"
            want = expect(p) if expect is not None else None
            if want is not None:
                item += f", expect: {want}"
            out.append(f"  - {{{item}}}")
        return "\n".join(out) + "\n"

    def nca_inputs(self) -> tuple[str, str]:
        """(policies YAML, resources YAML: Namespaces and one-replica Deployments) for NCA."""
        return (yaml.safe_dump_all(self.cluster.network_policies, sort_keys=False),
                yaml.safe_dump_all(self.cluster.namespace_docs + self.cluster.deployment_docs, sort_keys=False))

    def owner(self, pod_key: str) -> str:
        """The "ns/deployment" a pod belongs to."""
        return self._owners[pod_key]

    @property
    def _owners(self) -> dict[str, str]:
        return {f"{ns}/{name}": f"{ns}/{owner}" for ns, name, _labels, owner in self.pods}


def _flow(labels: dict[str, str]) -> str:
    """A flow mapping whose keys and values stay strings (JSON strings are valid YAML flow scalars)."""
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in labels.items()) + "}"


def fixture(spec: VerifySpec = VerifySpec()) -> VerifyFixture:
    """The fixture for `spec`; identical output for identical input."""
    cluster = generate(ClusterSpec(namespaces=spec.namespaces, apps_per_namespace=spec.apps_per_namespace,
                                   replicas=1, policies=0, ccnps=0, knps=spec.policies, seed=spec.seed))
    out = VerifyFixture(spec, cluster)
    for doc in cluster.deployment_docs:
        meta = doc["metadata"]
        out.pods.append((meta["namespace"], f"{meta['name']}-0", dict(meta["labels"]), meta["name"]))
    rng = random.Random(spec.seed + 18)
    keys: Sequence[str] = [f"{ns}/{name}" for ns, name, _labels, _owner in out.pods]
    for src in keys:
        for dst in keys:
            proto, port = rng.choice(PROBE_PORTS)
            out.probes.append(FixtureProbe(src, dst, proto, port))
        out.probes.append(FixtureProbe(src, f"ip:{OUTSIDE[0]}", "TCP", OUTSIDE[1]))
    return out


def _main() -> None:
    import argparse
    import sys

    p = argparse.ArgumentParser(description="write the generated scenario file to standard output")
    p.add_argument("--seed", type=int, default=VerifySpec.seed)
    p.add_argument("--namespaces", type=int, default=VerifySpec.namespaces)
    p.add_argument("--apps", type=int, default=VerifySpec.apps_per_namespace)
    p.add_argument("--policies", type=int, default=VerifySpec.policies)
    a = p.parse_args()
    sys.stdout.write(fixture(VerifySpec(a.namespaces, a.apps, a.policies, a.seed)).scenario_text())


if __name__ == "__main__":
    _main()

