"""One reader of the probe format: scenario files, lab steps and workshop mode read a probe alike.

`labs.probe_entry` is the only code that reads a probe entry; these tests hold the three places that
use it to the same verdict on the same entry (accepted with the same `Probe`, or refused naming the
same field with the same words), and pin the rules the three used to disagree on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.course.probe_spec import parse_probe, read_probe
from labs.manifests.errors import ManifestError
from labs.manifests.yaml_lines import parse_documents
from labs.outcomes import Outcome
from labs.probe_entry import LAB_STEP_RULES, SCENARIO_RULES, read_probe_entry
from labs.scenarios.spec import scenario_from_data
from labs.workshop.labfile import load_lab_spec, rewrite_lab_spec
from labs.workshop.scope import NamespaceMap

GOOD = [
    {"from": "a/b", "to": "c/d", "port": 80, "expect": "allowed"},
    {"from": "a/b", "to": "svc:c/d", "port": "http", "protocol": "tcp", "expect": "dropped"},
    {"from": "a/b", "to": "c/d", "port": "8080", "expect": "dropped"},
    {"from": "a/b", "to": "entity:host", "protocol": "ICMP", "expect": "allowed"},
    {"from": "a/b", "dns": "Api.Example.COM.", "expect": "refused"},
    {"from": "a/b", "to": "c/d", "port": 80, "http": {"method": "get", "path": "/x", "headers": {"X-A": 1}},
     "expect": "l7-denied"},
    {"from": "world", "to": "svc:c/d", "port": 30080, "expect": "allowed"},
]

BAD = [
    ({"to": "c/d", "port": 80, "expect": "allowed"}, ("from",), "is required"),
    ({"from": "internet", "to": "c/d", "port": 80, "expect": "allowed"}, ("from",), "'internet' is not a probe source"),
    ({"from": "a/b", "port": 80, "expect": "allowed"}, (), "a probe needs `to` (a target) or `dns`"),
    ({"from": "a/b", "to": None, "port": 80, "expect": "allowed"}, ("to",), "expected a target"),
    ({"from": "a/b", "to": "c-d", "port": 80, "expect": "allowed"}, ("to",), "target 'c-d' is not understood"),
    ({"from": "a/b", "to": "c/d", "dns": "x.com", "port": 80, "expect": "allowed"}, ("dns",), "either `to` or `dns`"),
    ({"from": "a/b", "to": "c/d", "expect": "allowed"}, ("port",), "a TCP probe to 'c/d' needs a port"),
    ({"from": "a/b", "to": "c/d", "port": 0, "expect": "allowed"}, ("port",), "port 0 is outside 1-65535"),
    ({"from": "a/b", "to": "c/d", "port": True, "expect": "allowed"}, ("port",), "expected a port number"),
    ({"from": "a/b", "to": "c/d", "port": 80, "protocol": "ICMP", "expect": "allowed"}, ("port",),
     "ICMP probes have no port"),
    ({"from": "a/b", "to": "c/d", "port": 80, "protocol": "QUIC", "expect": "allowed"}, ("protocol",),
     "protocol 'QUIC' is not one of TCP, UDP, SCTP, ICMP"),
    ({"from": "a/b", "to": "c/d", "port": 80, "protocol": "UDP", "http": {"path": "/"}, "expect": "allowed"},
     ("http",), "HTTP probes run over TCP"),
    ({"from": "a/b", "to": "c/d", "port": 80, "http": {"path": "x"}, "expect": "allowed"}, ("http", "path"),
     "expected a path starting with '/'"),
    ({"from": "a/b", "to": "c/d", "port": 80, "http": {"verb": "GET"}, "expect": "allowed"}, ("http", "verb"),
     "unknown key 'verb'"),
    ({"from": "a/b", "to": "c/d", "port": 80, "http": {"headers": ["a"]}, "expect": "allowed"},
     ("http", "headers"), "expected a mapping of header names"),
    ({"from": "a/b", "dns": "", "expect": "allowed"}, ("dns",), "expected a name to look up"),
    ({"from": "a/b", "to": "c/d", "port": 80, "expect": "blocked"}, ("expect",), "unknown outcome 'blocked'"),
    ({"from": "a/b", "to": "c/d", "port": 80, "expect": "allowed", "colour": "red"}, ("colour",),
     "unknown key 'colour'"),
    ("a/b -> c/d", (), "expected a probe mapping"),
    ({}, (), "a probe needs at least `from` and `to`"),
]


def _scenario(probe: object):
    data = {"name": "n", "cluster": {"namespaces": {"a": {}, "c": {}}}, "probes": [probe]}
    text = "name: n\nprobes:\n  - x\n"
    return scenario_from_data(data, "s.yaml", parse_documents(text)[0].lines)


@pytest.mark.parametrize("raw", GOOD, ids=range(len(GOOD)))
def test_a_good_probe_is_the_same_probe_in_a_scenario_and_a_lab_step(raw):
    scenario = _scenario(raw).expectations[0]
    lab = parse_probe(raw)
    assert scenario.probe == lab.probe
    assert (scenario.expect,) == lab.expect


def test_what_the_reader_makes_of_the_forms():
    probes = [parse_probe(raw).probe for raw in GOOD]
    assert probes[1].protocol == "TCP" and probes[1].port == "http"
    assert probes[2].port == 8080  # a number written as text is a number, not a port named "8080"
    assert probes[3].port is None
    assert probes[4].dns == "api.example.com" and probes[4].target is None
    http = probes[5].http
    assert http is not None and http.method == "get"  # kept as written: Envoy matches methods case-sensitively
    assert http.headers == (("X-A", "1"),)


@pytest.mark.parametrize(("raw", "field", "words"), BAD, ids=[b[2][:30] for b in BAD])
def test_a_bad_probe_is_refused_alike_naming_the_field(raw, field, words):
    for rules in (SCENARIO_RULES, LAB_STEP_RULES):
        entry, problems = read_probe_entry(raw, rules)
        assert entry is None
        assert any(p.path == field and words in p.message for p in problems), problems
    with pytest.raises(ManifestError) as err:
        _scenario(raw)
    where = ".".join(["probes[0]", *map(str, field)]) if field else "probes[0]"
    assert any(p.path == where and words in p.message for p in err.value.problems), err.value.problems
    with pytest.raises(ValueError) as info:
        parse_probe(raw)
    assert words in str(info.value)


def test_file_kinds_differ_only_in_their_extra_keys_and_expect():
    lab_only = {"from": "a/b", "to": "c/d", "port": 80, "expect": ["dropped", "l7-denied"], "hint": "h"}
    assert parse_probe(lab_only).expect == (Outcome.DROPPED, Outcome.L7_DENIED)
    _, problems = read_probe_entry(lab_only, SCENARIO_RULES)
    assert {p.path for p in problems} == {("expect",), ("hint",)}
    scenario_only = {"from": "a/b", "to": "c/d", "port": 80, "note": "why it is so", "id": 3}
    entry, problems = read_probe_entry(scenario_only, SCENARIO_RULES)
    assert entry is not None and entry.expect == () and entry.note == "why it is so"
    _, problems = read_probe_entry(scenario_only, LAB_STEP_RULES)
    assert {p.path for p in problems} == {("note",), ("id",), ("expect",)}


def test_pitfall_probes_need_intended_and_only_they_have_it():
    raw = {"from": "a/b", "to": "c/d", "port": 80, "expect": "dropped"}
    spec, problems = read_probe(raw, pitfall=True)
    assert spec is None and problems[0].path == ("intended",)
    assert parse_probe({**raw, "intended": "allowed"}, pitfall=True).intended is Outcome.ALLOWED
    _, problems = read_probe({**raw, "intended": "allowed"})
    assert [p.message for p in problems] == ["only pitfall steps have `intended` outcomes"]


def test_workshop_rewrites_the_probe_keys_and_reads_them_back_with_the_same_reader(tmp_path: Path):
    lab = tmp_path / "99-x"
    lab.mkdir()
    (lab / "lab.yaml").write_text(
        "id: 99-x\nsource: cilium/cilium\nsteps:\n  - id: s\n    probes:\n"
        "      - {from: a/b, to: svc:c/d, port: 80, expect: allowed}\n"
        "      - {from: a/b, dns: d.c.svc.cluster.local, expect: allowed}\n")
    spec = rewrite_lab_spec(load_lab_spec(lab), NamespaceMap("alice"))
    assert spec["source"] == "cilium/cilium"  # a citation, not a probe's reference
    probes = [parse_probe(p).probe for p in spec["steps"][0]["probes"]]
    assert probes[0].source == "alice-a/b" and str(probes[0].target) == "svc:alice-c/d"
    assert probes[1].dns == "d.alice-c.svc.cluster.local"


def test_workshop_lab_file_errors_name_the_line(tmp_path: Path):
    from labs.workshop.rewrite import WorkshopRewriteError

    lab = tmp_path / "99-x"
    lab.mkdir()
    (lab / "lab.yaml").write_text("id: 99-x\nsteps:\n  - {id: s\n")
    with pytest.raises(WorkshopRewriteError, match=r"lab\.yaml:\d+: the lab file cannot be read"):
        load_lab_spec(lab)
    (lab / "lab.yaml").write_text("id: a\n---\nid: b\n")
    with pytest.raises(WorkshopRewriteError, match="one YAML document, found 2"):
        load_lab_spec(lab)
