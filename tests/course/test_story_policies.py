"""Do the policies the labs show in prose (not as steps) say what the prose claims, on the simulated cluster?

Lab 04's "Cluster-wide guard rails" shows a CiliumClusterwideNetworkPolicy that puts every namespace
but kube-system in default deny and keeps DNS; lab 02 and 03 claim the pod's own node is always let in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labs.course.probe_spec import parse_probe
from labs.manifests import load_text

ROOT = Path(__file__).resolve().parents[2]
YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)
STORY_LABS = ["00-environment", "01-flat-network", "02-segregation", "03-identity-default-deny",
              "04-namespace-isolation"]


def _yaml_blocks(lab: str) -> list[str]:
    nb = json.loads((ROOT / "notebooks" / f"{lab}.ipynb").read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return [b for b in YAML_BLOCK.findall(text) if "apiVersion:" in b]


@pytest.mark.parametrize("lab", STORY_LABS)
def test_every_policy_shown_in_prose_is_valid(lab):
    for index, block in enumerate(_yaml_blocks(lab)):
        load_text(block, name=f"{lab} prose block {index}")  # raises ManifestError naming the field


def _outcomes(lab, probes):
    results = lab.cluster.probe_many([parse_probe(p).probe for p in probes])
    return [r.outcome.value for r in results]


def test_the_cluster_wide_default_deny_of_lab_04_spares_kube_system_and_keeps_dns(open_sim):
    lab = open_sim("04-namespace-isolation")
    (block,) = _yaml_blocks("04-namespace-isolation")
    assert "CiliumClusterwideNetworkPolicy" in block
    probes = [
        {"from": "test/probe", "to": "backend/api", "port": 8080, "expect": "dropped"},
        {"from": "frontend/web", "to": "backend/api", "port": 8080, "expect": "dropped"},
        {"from": "frontend/web", "dns": "api.backend.svc.cluster.local", "expect": "allowed"},
        {"from": "frontend/web", "to": "ip:1.1.1.1", "port": 443, "expect": "dropped"},
    ]
    assert _outcomes(lab, probes) == ["allowed", "allowed", "allowed", "allowed"]  # before: a flat cluster
    assert lab.apply(block).ok
    assert _outcomes(lab, probes) == ["dropped", "dropped", "allowed", "dropped"]


@pytest.mark.parametrize(("lab_id", "step", "target"), [
    ("02-segregation", "isolate-a", "segregation/server-a"),
    ("03-identity-default-deny", "default-deny", "identity/test-app"),
])
def test_the_pods_own_node_is_let_in_under_default_deny(open_sim, lab_id, step, target):
    """allow-localhost: the lab 02 and 03 text says `host` is never dropped at a pod, policy or not."""
    lab = open_sim(lab_id)
    lab.enter(step, answer=lab.spec.path(lab.step(step).solution))
    probes = [{"from": "host", "to": target, "port": 80, "expect": "allowed"},
              {"from": "world", "to": target, "port": 80, "expect": "dropped"}]
    assert _outcomes(lab, probes) == ["allowed", "dropped"]


def test_in_always_mode_the_pods_own_node_still_gets_in_and_nothing_else_does(open_sim):
    """Lab 03's text: in `always` the kubelet's probes (from the local node) pass; pods and world do not."""
    lab = open_sim("03-identity-default-deny")
    cluster = lab.cluster_for(lab.step("enforcement-always"))
    probes = [{"from": "host", "to": "identity/test-app", "port": 80, "expect": "allowed"},
              {"from": "identity/busybox", "to": "identity/test-app", "port": 80, "expect": "dropped"},
              {"from": "world", "to": "identity/test-app", "port": 80, "expect": "dropped"}]
    results = cluster.probe_many([parse_probe(p).probe for p in probes])
    assert [r.outcome.value for r in results] == ["allowed", "dropped", "dropped"]
