"""What a command cell shows beside the command's own output, in a real notebook kernel.

The stdout stream must stay exactly what the tool prints; the unwrapping marker and the "no flow
matched" note are separate display outputs.
"""

from __future__ import annotations

import pytest
from magic_notebook import execute_cells, sim_cluster_cell  # tests/commands/magic_notebook.py

from labs.commands.cell_display import NOWRAP_CLASS, empty_observe_note
from labs.commands.magics import run_command


@pytest.fixture(scope="module")
def executed(tmp_path_factory, workloads_yaml_text):
    """A notebook that runs a wide table, a matching and an empty `hubble observe`, executed once."""
    cells = [
        sim_cluster_cell(workloads_yaml_text),
        "%load_ext labs.commands",
        "%cilium-dbg endpoint list",
        "%hubble observe --verdict DROPPED --from-pod frontend/other",
        "%hubble observe --verdict DROPPED --from-pod frontend/web --last 5",
        "from labs.commands.magics import run_command\n"
        "_ = run_command('cilium-dbg', 'endpoint list', cluster, on_output=None).stdout\nprint(_, end='')",
    ]
    return execute_cells(cells, tmp_path_factory.mktemp("cells"))


@pytest.fixture(scope="module")
def workloads_yaml_text():
    from tests.conftest import WORKLOADS

    return WORKLOADS


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def _html(cell) -> list[str]:
    return [o["data"]["text/html"] for o in cell.outputs if o.get("output_type") == "display_data"
            and "text/html" in o.get("data", {})]


def test_a_wide_table_keeps_its_exact_stdout_and_gets_the_unwrapping_marker_first(executed):
    """Is `%cilium-dbg endpoint list`'s stdout byte for byte the tool's, preceded by the no-wrap marker?"""
    cell = executed.cells[2]
    assert _stdout(cell) == _stdout(executed.cells[5])
    assert _stdout(cell).startswith("ENDPOINT   POLICY (ingress)")
    assert max(len(line) for line in _stdout(cell).splitlines()) > 120  # wide enough to wrap in a notebook
    kinds = [o["output_type"] for o in cell.outputs]
    assert kinds == ["display_data", "stream"], kinds
    assert NOWRAP_CLASS in _html(cell)[0] and "white-space:pre;" in _html(cell)[0]


def test_hubble_lines_keep_wrapping_and_get_no_note_when_flows_match(executed):
    """Does a matching `%hubble observe` print only hubble's lines (no marker: the verdict ends each line)?"""
    cell = executed.cells[3]
    assert "Policy denied DROPPED" in _stdout(cell)
    assert [o["output_type"] for o in cell.outputs] == ["stream"]


def test_an_empty_observe_prints_nothing_and_shows_a_separate_course_note(executed):
    """Does an observe with no match leave stdout empty and add a course note saying so, with what to try?"""
    cell = executed.cells[4]
    assert _stdout(cell) == ""
    notes = [o for o in cell.outputs if o.get("output_type") == "display_data"]
    assert len(notes) == 1
    plain = notes[0]["data"]["text/plain"]
    assert plain.startswith("Course note: No flow matched, so hubble printed nothing")
    assert "drop --verdict" in plain and "use --pod instead of --from-pod" in plain and "raise --last" in plain
    assert "not part of hubble" in notes[0]["data"]["text/html"]


@pytest.mark.parametrize("argv, expected", [
    (["status"], None),
    (["observe"], "drop a filter or two"),
    (["observe", "--verdict=DROPPED"], "drop --verdict"),
    (["observe", "--to-pod", "a/b"], "use --pod instead of --to-pod"),
], ids=["not-observe", "bare", "verdict-equals", "to-pod"])
def test_the_note_names_what_to_change_for_the_filters_given(argv, expected):
    note = empty_observe_note(argv)
    if expected is None:
        assert note is None
    else:
        assert note is not None and expected in note["text/plain"]


def test_run_command_itself_adds_nothing_to_stdout(sim):
    """The note lives in the magic only: run_command's result for an empty observe is hubble's (empty)."""
    result = run_command("hubble", "observe --verdict DROPPED --from-pod nowhere/nothing", sim, on_output=None)
    assert (result.stdout, result.exit_code) == ("", 0)
