"""Every "Your turn" command a notebook asks the trainee to type reaches something that exists.

The commented-out `# %kubectl exec ...` cells are the commands the trainee is asked to type. Each is
run on the simulated cluster right after its step is checked with the solution (solve mode), as a
trainee who did the exercise would run it. It may be meant to fail (a drop times out, a lookup is
REFUSED), but never because the name, pod or tool does not exist: found in lab 09, whose
`http://other.blog` named a Service the lab did not have ("Could not resolve host").
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from pathlib import Path

import pytest

from labs.paths import repo_root

_CHECK = re.compile(r'lab\.check\("([^"]+)"\)')
_LAB = re.compile(r'open_lab\("([^"]+)"\)')
_NOT_THERE = ("Could not resolve host", "NotFound", "not found", "does not model", "not modelled",
              "unknown command", "unknown flag", "bad address")


def _your_turn_commands() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted((repo_root() / "notebooks").glob("0*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        lab_id, step = None, None
        for cell in cells:
            source = "".join(cell["source"])
            if cell["cell_type"] != "code":
                continue
            if (m := _LAB.search(source)) and lab_id is None:
                lab_id = m.group(1)
            if (m := _CHECK.search(source)) and not source.lstrip().startswith("#"):
                step = m.group(1)
            for line in source.splitlines():
                if line.startswith("# %kubectl exec ") and lab_id and step:
                    found.append((lab_id, step, line[len("# %kubectl "):]))
    return found


CASES = _your_turn_commands()


@pytest.mark.parametrize(("lab_id", "step", "line"), CASES, ids=[f"{c[0][:2]}-{c[1]}" for c in CASES])
def test_a_your_turn_command_reaches_what_it_names(lab_id, step, line, open_sim, monkeypatch):
    from labs.commands import kubectl

    lab = open_sim(lab_id)
    monkeypatch.setenv("LABS_SOLVE", "1")
    assert lab.check(step).passed
    got = kubectl.run(shlex.split(line), lab.cluster)
    shown = got.stdout + got.stderr
    assert not any(word in shown for word in _NOT_THERE), f"{lab_id} `{line}` after {step}:\n{shown}"


def test_the_notebooks_ask_for_commands():
    assert len(CASES) >= 10
    assert Path(repo_root() / "notebooks").is_dir()


def test_a_your_turn_says_how_to_get_its_step_back_in_force():
    """A command typed after Run All meets whatever the last step put in force (in lab 09 the enforcement
    mode `always`, where every lookup times out): each "Your turn" says to run its check cell again first."""
    missing = []
    for path in sorted((repo_root() / "notebooks").glob("0*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell, after in itertools.pairwise(cells):
            text = "".join(cell["source"])
            asks = text.startswith("**Your turn.**") and "".join(after["source"]).startswith("# %kubectl exec")
            if asks and "run the `lab.check` cell above again first" not in text:
                missing.append(f"{path.name}: {text[:60]}")
    assert not missing, missing
