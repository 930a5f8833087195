"""Lab 07's `hubble observe -o json` cell: one line per flow shown, the JSON kept exactly and one click away."""

from __future__ import annotations

import json

import pytest

from labs.commands.json_flows import hubble_json
from labs.commands.magics import run_command
from labs.probes import Probe, parse_target


@pytest.fixture
def observed(sim):
    sim.probe(Probe("frontend/web", parse_target("backend/api"), 8080))
    sim.probe(Probe("frontend/other", parse_target("backend/api"), 8080))
    return sim


def test_the_flows_are_hubbles_json_read_line_by_line(observed):
    line = "observe -n backend --last 6 -o json"
    flows = hubble_json(line, observed)
    printed = run_command("hubble", line, observed, on_output=None).stdout
    assert flows.json == printed  # exactly what the command prints
    assert len(flows) == len(printed.splitlines()) > 0
    assert [f.verdict for f in flows] == [json.loads(x)["flow"]["verdict"] for x in printed.splitlines()]


def test_the_summary_is_one_short_line_per_flow_and_the_json_is_collapsed(observed):
    flows = hubble_json("hubble observe -n backend --last 6 -o json", observed)
    text = repr(flows).splitlines()
    assert text[0].startswith(f"{len(flows)} flows from `hubble observe -n backend --last 6 -o json`")
    assert all(len(line) < 160 and "{" not in line for line in text[1:-1])
    assert len(text) == len(flows) + 2
    shown = flows._repr_html_()
    head, folded = shown.split("<details>", 1)
    assert '"flow"' not in head and "&quot;flow&quot;" in folded  # the JSON only inside the collapsed block


@pytest.mark.parametrize("line", ["observe -n backend --last 6", "status -o json", ""],
                         ids=["no-json-output", "not-observe", "empty"])
def test_a_line_that_does_not_ask_for_json_is_refused_with_the_way_out(sim, line):
    with pytest.raises(ValueError, match="add -o json"):
        hubble_json(line, sim)


def test_a_failing_command_says_why(sim):
    with pytest.raises(ValueError, match="failed \\(exit code"):
        hubble_json("observe --verdict NOPE -o json", sim)
