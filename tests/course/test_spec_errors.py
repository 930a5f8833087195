"""Does a broken lab.yaml say exactly what is wrong, where, and open nothing?"""

from __future__ import annotations

import pytest

from labs.course.spec import LabSpecError, parse_lab

GOOD_STEP = "  - {id: s, kind: observe, title: t, probes: [{from: a/b, to: a/c, port: 80, expect: allowed}]}\n"
HEAD = "id: x\ntitle: T\nminutes: 5\nobjectives: [o]\nworkloads: [w.yaml]\nsteps:\n"

CASES = [
    ("unknown-lab-key", HEAD + GOOD_STEP + "colour: red\n",
     "lab.yaml:8: colour: unknown key 'colour'; known keys: external, id, minutes, needs_internet, objectives, "
     "steps, title, workloads"),
    ("bad-kind", HEAD + GOOD_STEP.replace("observe", "watch"),
     "lab.yaml:7: steps[0].kind: kind 'watch' is not one of observe, exercise, pitfall"),
    ("bad-outcome", HEAD + GOOD_STEP.replace("expect: allowed", "expect: blocked"),
     "lab.yaml:7: steps[0].probes[0].expect: unknown outcome 'blocked'; expected one of: allowed, dropped, "
     "l7-denied, refused, error"),
    ("missing-port", HEAD + GOOD_STEP.replace("port: 80, ", ""),
     "lab.yaml:7: steps[0].probes[0].port: a TCP probe to 'a/c' needs a port"),
    ("pitfall-without-intent", HEAD + GOOD_STEP.replace("observe", "pitfall").replace("title: t", "title: t, why: w"),
     "lab.yaml:7: steps[0].probes[0].intended: a pitfall probe says what the policy's author meant (`intended`) "
     "next to what really happens (`expect`)"),
    ("field-on-its-own-line", HEAD + "  - id: s\n    kind: observe\n    title: t\n    probes:\n      - from: a/b\n"
     "        to: a/c\n        protocol: ICMP\n        port: 80\n        expect: allowed\n",
     "lab.yaml:14: steps[0].probes[0].port: ICMP probes have no port"),
    ("several-problems-in-one-probe", HEAD + GOOD_STEP.replace("from: a/b", "from: a").replace("port: 80", "port: 0"),
     "lab.yaml:7: steps[0].probes[0].port: port 0 is outside 1-65535"),
    ("missing-file", HEAD + GOOD_STEP.replace("title: t", "title: t, policies: [nope.yaml]"),
     "lab.yaml:7: steps[0].policies[0]: file 'nope.yaml' does not exist in lab/"),
    ("zero-minutes", HEAD.replace("minutes: 5", "minutes: 0") + GOOD_STEP,
     "lab.yaml:3: minutes: expected the time estimate in minutes (a positive number), got 0"),
]


@pytest.mark.parametrize(("name", "text", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_broken_lab_yaml_names_file_line_and_field(name, text, message, tmp_path):
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "w.yaml").write_text("")
    with pytest.raises(LabSpecError) as err:
        parse_lab(text, directory=lab, source="lab.yaml")
    assert message in err.value.problems


def test_every_problem_of_one_probe_is_listed(tmp_path):
    """The lab reader lists all of a probe's problems (the shared probe reader), not only the first."""
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "w.yaml").write_text("")
    text = HEAD + GOOD_STEP.replace("from: a/b", "from: a").replace("port: 80", "port: 0")
    with pytest.raises(LabSpecError) as err:
        parse_lab(text, directory=lab, source="lab.yaml")
    assert err.value.problems == (
        "lab.yaml:7: steps[0].probes[0].from: 'a' is not a probe source; write a pod as namespace/pod, "
        "or world or host",
        "lab.yaml:7: steps[0].probes[0].port: port 0 is outside 1-65535")
