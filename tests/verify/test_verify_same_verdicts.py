"""`labs verify --json` prints the same report on its fast paths as on the slow reference paths.

The reference: YAML read by PyYAML's pure-Python composer, flows built at every probe, the policy
engine without its cache (`cache=False`), the report written by `json.dumps(..., indent=1)`. The
input: a generated NetworkPolicy fixture (benchmarks/_gen_verify.py, small size) and the scenario
corpus, whose probes cover services, DNS, FQDNs, HTTP, ICMP and outside sources.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from labs.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def _report(files: list[str], capsys) -> tuple[int, str]:
    code = main(["verify", "--json", *files])
    return code, capsys.readouterr().out


def _reference(monkeypatch: pytest.MonkeyPatch) -> None:
    from labs.cluster.sim.cluster import SimCluster
    from labs.manifests import yaml_lines
    from labs.policy.engine import PolicyEngine
    from labs.scenarios import cli

    monkeypatch.setattr(yaml_lines, "_FAST", None)
    monkeypatch.setitem(SimCluster.__init__.__kwdefaults__, "lazy_flows", False)
    monkeypatch.setitem(PolicyEngine.__init__.__kwdefaults__, "cache", False)
    monkeypatch.setattr(cli, "dumps_indented", lambda value, indent=1: json.dumps(value, indent=indent))


@pytest.fixture
def generated(tmp_path: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from benchmarks._gen_verify import VerifySpec, fixture

    path = tmp_path / "generated.yaml"
    fx = fixture(VerifySpec(namespaces=4, apps_per_namespace=5, policies=40, seed=11))
    path.write_text(fx.scenario_text(lambda p: "dropped" if p.port == 443 else None))
    return str(path)


def test_generated_fixture_same_report(generated, capsys, monkeypatch):
    fast = _report([generated], capsys)
    _reference(monkeypatch)
    slow = _report([generated], capsys)
    assert fast == slow
    report = json.loads(fast[1])
    observed = {p["observed"] for p in report["scenarios"][0]["probes"]}
    assert {"allowed", "dropped"} <= observed  # the fixture decides both ways
    assert len(report["scenarios"][0]["probes"]) == 20 * 21


def test_scenario_corpus_same_report(capsys, monkeypatch):
    files = [str(p) for p in sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))]
    fast = _report(files, capsys)
    _reference(monkeypatch)
    assert _report(files, capsys) == fast
