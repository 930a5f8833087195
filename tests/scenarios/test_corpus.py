"""The scenario corpus: every file is well formed, and every probe matches Cilium's documented behaviour.

Each `NNN-short-id.yaml` in this folder is one scenario written from Cilium's documentation, its
policy examples or its connectivity tests (cited in `source:`). The structural test keeps the corpus
honest (names, sources, outcome words, probe shapes); the behaviour test runs each file through
`python -m labs verify FILE --json` in-process and asserts every probe is `ok`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from labs.outcomes import Outcome
from labs.probes import OUTSIDE_SOURCES, PROTOCOLS, parse_target

HERE = Path(__file__).resolve().parent
FILES = sorted(HERE.glob("[0-9][0-9][0-9]-*.yaml"))
FILE_NAME = re.compile(r"^(?P<number>\d{3})-(?P<short_id>[a-z0-9]+(?:-[a-z0-9]+)*)\.yaml$")
TOP_KEYS = {"name", "description", "source", "notes", "cluster", "manifests", "policies", "probes", "enforcement"}
OUTCOME_WORDS = {o.value for o in Outcome}
MINIMUM_SCENARIOS = 70

# Files where the simulated engine disagrees with the cited Cilium sources, with the reason. They run as
# strict xfail: the day the engine is fixed they pass, the run fails, and the entry must be removed.
# An expectation is never edited to match the engine; only the sources can change it.
KNOWN_ENGINE_DISAGREEMENTS: dict[str, str] = {}


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict), f"{path.name}: a scenario file holds one YAML mapping, found {type(data).__name__}"
    return data


def test_corpus_is_large_enough() -> None:
    assert len(FILES) >= MINIMUM_SCENARIOS, f"only {len(FILES)} scenario files in {HERE}"


def test_file_numbers_and_names_are_unique() -> None:
    numbers = [FILE_NAME.match(p.name)["number"] for p in FILES if FILE_NAME.match(p.name)]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    assert not duplicates, f"scenario numbers used twice: {duplicates}"
    names = [_load(p).get("name") for p in FILES]
    repeated = sorted({n for n in names if names.count(n) > 1})
    assert not repeated, f"scenario names used twice: {repeated}"


def _structure_problems(path: Path) -> list[str]:
    """Everything wrong with one file's shape, as sentences naming the field."""
    problems: list[str] = []
    match = FILE_NAME.match(path.name)
    if not match:
        return [f"file name {path.name!r} is not NNN-short-id.yaml"]
    data = _load(path)
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        problems.append(f"unknown top-level keys {unknown}")
    if data.get("name") != match["short_id"]:
        problems.append(f"name {data.get('name')!r} should be the file's short id {match['short_id']!r}")
    for key in ("description", "source"):
        if not isinstance(data.get(key), str) or len(data[key].split()) < 5:
            problems.append(f"`{key}` must say in a sentence or more what the scenario shows / where it comes from")
    if "cilium" not in str(data.get("source", "")).lower() and "kubernetes" not in str(data.get("source", "")).lower():
        problems.append("`source` must cite a Cilium (or Kubernetes) document, example or test")
    if data.get("enforcement", "default") not in ("default", "always", "never"):
        problems.append(f"enforcement {data.get('enforcement')!r} is not default, always or never")
    probes = data.get("probes")
    if not isinstance(probes, list) or not probes:
        return [*problems, "`probes` must list at least one probe"]
    pods = {f"{p.get('namespace', 'default')}/{p.get('name')}" for p in (data.get("cluster") or {}).get("pods", [])}
    for index, probe in enumerate(probes):
        where = f"probes[{index}]"
        if not isinstance(probe, dict):
            problems.append(f"{where} is not a mapping")
            continue
        if probe.get("expect") not in OUTCOME_WORDS:
            problems.append(f"{where}.expect {probe.get('expect')!r} is not one of {sorted(OUTCOME_WORDS)}")
        if probe.get("from") not in pods and probe.get("from") not in OUTSIDE_SOURCES:
            problems.append(f"{where}.from {probe.get('from')!r} is not a pod of cluster.pods, world or host")
        has_to, has_dns = "to" in probe, "dns" in probe
        if has_to == has_dns:
            problems.append(f"{where} needs exactly one of `to` and `dns`")
        protocol = str(probe.get("protocol", "TCP")).upper()
        if protocol not in PROTOCOLS:
            problems.append(f"{where}.protocol {protocol!r} is not one of {PROTOCOLS}")
        if has_to:
            try:
                target = parse_target(str(probe["to"]))
            except ValueError as exc:
                problems.append(f"{where}.to: {exc}")
                continue
            if target.kind == "pod" and target.value not in pods:
                problems.append(f"{where}.to {target.value!r} is not a pod of cluster.pods")
            if (protocol == "ICMP") == ("port" in probe):
                problems.append(f"{where}: ICMP probes have no port, other probes need one")
        if "http" in probe and protocol != "TCP":
            problems.append(f"{where}: HTTP probes run over TCP")
    return problems


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_scenario_is_well_formed(path: Path) -> None:
    problems = _structure_problems(path)
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def _verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any] | None, str]:
    """Run `labs verify FILE --json` in-process; return exit code, parsed report and stderr."""
    from labs.__main__ import main

    code = main(["verify", str(path), "--json"])
    captured = capsys.readouterr()
    try:
        report = json.loads(captured.out) if captured.out.strip() else None
    except json.JSONDecodeError:
        report = None
    return code, report, captured.err


def _describe(probe: dict[str, Any]) -> str:
    target = probe.get("to") or f"dns {probe.get('dns')}"
    text = f"{probe.get('from')} -> {target}"
    if probe.get("protocol") == "ICMP":
        text += " (ICMP)"
    elif probe.get("port") is not None:
        text += f":{probe.get('port')}/{probe.get('protocol')}"
    if probe.get("http"):
        text += f" {probe['http'].get('method')} {probe['http'].get('path')}"
    return text


def _behaviour_params() -> list[Any]:
    params = []
    for path in FILES:
        reason = KNOWN_ENGINE_DISAGREEMENTS.get(path.name)
        marks = [pytest.mark.xfail(reason=f"engine disagrees with Cilium: {reason}", strict=True)] if reason else []
        params.append(pytest.param(path, id=path.name, marks=marks))
    return params


def test_known_disagreements_name_existing_files() -> None:
    missing = sorted(set(KNOWN_ENGINE_DISAGREEMENTS) - {p.name for p in FILES})
    assert not missing, f"KNOWN_ENGINE_DISAGREEMENTS names files that do not exist: {missing}"


@pytest.mark.parametrize("path", _behaviour_params())
def test_scenario_matches_cilium(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, stderr = _verify(path, capsys)
    assert code != 2, f"{path.name} was rejected as invalid input:\n{stderr}"
    assert report is not None, f"{path.name}: `labs verify --json` printed no JSON report (exit {code}):\n{stderr}"
    failing = [p for sc in report["scenarios"] for p in sc["probes"] if not p["ok"]]
    lines = [f"{_describe(p)}: expected {p['expect']}, observed {p['observed']} ({p['reason']})" for p in failing]
    assert not failing, f"{path.name}: {len(failing)} probe(s) differ from Cilium's behaviour:\n  " + "\n  ".join(lines)
    assert code == 0, f"{path.name}: every probe matched but verify exited {code}"
    expected_count = len(_load(path)["probes"])
    assert report["passed"] == expected_count, f"{path.name}: {report['passed']} of {expected_count} probes ran"
