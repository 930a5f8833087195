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
     "lab.yaml:7: steps[0].probes[0]: expect: unknown outcome 'blocked'; expected one of: allowed, dropped, "
     "l7-denied, refused, error"),
    ("missing-port", HEAD + GOOD_STEP.replace("port: 80, ", ""),
     "lab.yaml:7: steps[0].probes[0]: port: a TCP probe to 'a/c' needs a port"),
    ("pitfall-without-intent", HEAD + GOOD_STEP.replace("observe", "pitfall").replace("title: t", "title: t, why: w"),
     "lab.yaml:7: steps[0].probes[0]: intended: a pitfall probe says what the policy's author meant (`intended`) "
     "next to what really happens (`expect`)"),
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
