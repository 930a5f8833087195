"""Does the instructor notebook run headless, stored without outputs, with one labs call per cell?"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from labs.paths import notebooks_dir
from labs.workshop.instructor import open_room

NOTEBOOK = notebooks_dir() / "90-instructor.ipynb"


def test_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert all(len(c.source.splitlines()) <= 4 for c in code)


@pytest.mark.slow
def test_runs_as_a_rehearsal(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_HOME", str(tmp_path))
    monkeypatch.setenv("LABS_BACKEND", "sim")
    monkeypatch.delenv("LABS_WORKSHOP_TRAINEES", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(notebooks_dir())}}).execute()
    text = "\n".join(o.get("text", "") or str((o.get("data") or {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Rehearsal: no trainee list" in text
    assert "alice    - (live no)" in text and "bob      - (live pass)" in text
    assert "Isolation verified:" in text
    assert "Wrong predictions in the room (3 trainees" in text and "MOST WRONG" in text
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]


def test_a_trainee_list_opens_the_real_room(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_HOME", str(tmp_path))
    path = tmp_path / "trainees.txt"
    path.write_text("dora\nemil\n")
    view = open_room(path, backend="sim", labs=["05-l7-http"])
    assert view.room.trainees == ["dora", "emil"]
    assert repr(view).startswith(f"Workshop of 2 trainees from {path}; cluster: ")
    assert view.most_failed_step() == "No step has failed attempts yet."
