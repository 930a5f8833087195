"""Are the notebooks and manifests shipped as the course requires (no outputs, pinned images, one notebook per lab)?"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from labs.course import lab_ids
from labs.course.notebooks import course_notebooks

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = course_notebooks(ROOT / "notebooks")
MULTI_ARCH_IMAGES = {"hashicorp/http-echo", "curlimages/curl", "busybox"}
"""Images whose tags publish amd64 and arm64 variants (see docs/course.md, "Images")."""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_are_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"


def test_there_is_one_notebook_per_lab_and_it_opens_that_lab():
    assert [p.stem for p in NOTEBOOKS] == lab_ids()
    for path in NOTEBOOKS:
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        assert f'open_lab("{path.stem}")' in code


def _images():
    for lab in lab_ids():
        for doc in yaml.safe_load_all((ROOT / "manifests" / lab / "workloads.yaml").read_text()):
            for container in (doc or {}).get("spec", {}).get("containers", []):
                yield lab, container["image"]


@pytest.mark.parametrize(("lab", "image"), sorted(set(_images())))
def test_images_are_multi_arch_and_pinned_by_tag(lab, image):
    name, _, tag = image.rpartition(":")
    assert name in MULTI_ARCH_IMAGES, f"{lab}: {image!r} is not one of the known multi-arch images"
    assert re.fullmatch(r"\d+(\.\d+)+", tag), f"{lab}: {image!r} is not pinned to a version tag"


def test_every_lab_namespace_carries_the_lab_label():
    for lab in lab_ids():
        for doc in yaml.safe_load_all((ROOT / "manifests" / lab / "workloads.yaml").read_text()):
            if doc and doc["kind"] == "Namespace":
                assert doc["metadata"]["labels"]["ciliumlab.io/lab"] == lab


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_run_all_leaves_the_lab_deployed_and_pitfalls_are_shown_before_they_are_applied(path):
    """Reset only as a commented-out, confirmed cell; each pitfall's YAML shown (lab.show) before its matrix."""
    cells = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    resets = [c for c in cells if "lab.reset(" in c]
    assert resets and all(line.lstrip().startswith("#") and "confirm=True" in line
                          for c in resets for line in c.splitlines() if "lab.reset(" in line), resets
    spec = yaml.safe_load((ROOT / "manifests" / path.stem / "lab.yaml").read_text())
    for step in (s["id"] for s in spec["steps"] if s["kind"] == "pitfall"):
        calls = [i for i, c in enumerate(cells) if f'"{step}"' in c]
        assert calls and cells[calls[0]].startswith(f'lab.show("{step}")'), (step, [cells[i] for i in calls])


def _code_cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def _command_lines(path: Path) -> list[str]:
    """The command lines a trainee runs (`%kubectl ...`), commented hints excluded."""
    return [line.strip() for cell in _code_cells(path) for line in cell.splitlines() if line.strip().startswith("%")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_lab_uses_the_real_command_lines(path):
    """Each lab applies a file with kubectl, probes with kubectl exec, finds the drop with hubble observe,
    and asks the trainee to type a command (a commented hint in an otherwise empty cell)."""
    lines = _command_lines(path)
    assert any(line.startswith("%kubectl apply -f {lab.exercise_path(") for line in lines), path.name
    assert any(line.startswith("%kubectl exec -n ") and " -- " in line for line in lines), path.name
    assert any(line.startswith("%hubble observe ") for line in lines), path.name
    assert any(line.startswith("%kubectl get pods -n ") and "-o wide --show-labels" in line for line in lines)
    hints = [c for c in _code_cells(path) if c.strip() and all(ln.lstrip().startswith("# %") for ln in c.splitlines()
                                                                 if ln.strip())]
    assert hints, f"{path.name}: no cell for the trainee to type a command into"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_command_lines_name_the_labs_real_pods_and_namespaces(path):
    """`kubectl exec -n NS POD` and `--from-pod NS/POD` name pods that the lab's workloads.yaml deploys."""
    pods = {f"{d['metadata']['namespace']}/{d['metadata']['name']}"
            for d in yaml.safe_load_all((ROOT / "manifests" / path.stem / "workloads.yaml").read_text())
            if d and d["kind"] == "Pod"}
    pods.add("kube-system/ds/cilium")
    for line in _command_lines(path):
        words = line.split()
        if words[:3] == ["%kubectl", "exec", "-n"]:
            # an agent found at run time (labs.commands.endpoint_ref: the agent on the pod's node)
            agent = words[3] == "kube-system" and words[4].startswith("{") and words[4].endswith(".agent}")
            assert agent or f"{words[3]}/{words[4]}" in pods, (path.name, line)
        if "--from-pod" in words:
            assert words[words.index("--from-pod") + 1] in pods, (path.name, line)


def test_lab_00_tours_the_tools_and_lab_07_filters_flows():
    tour = _command_lines(ROOT / "notebooks" / "00-environment.ipynb")
    for command in ("%kubectl get nodes", "%kubectl get pods -A", "%cilium status", "%hubble observe --last 5"):
        assert command in tour, command
    hubble = " ".join(line for line in _command_lines(ROOT / "notebooks" / "07-observability.ipynb")
                      if line.startswith("%hubble observe"))
    for flag in ("--type policy-verdict", "--verdict DROPPED", "--http-status 403", "-o json"):
        assert flag in hubble, flag
    cells = _code_cells(ROOT / "notebooks" / "07-observability.ipynb")
    read = [n for n, c in enumerate(cells) if "hubble_json(" in c and "-o json" in c]
    assert read, "lab 07 reads the flows of `hubble observe -o json`"
    assert "flow_graph(flows" in cells[read[0] + 1], "and draws them in the next cell"


@pytest.mark.parametrize("lab", ["03-identity-default-deny", "04-namespace-isolation", "05-l7-http"])
def test_labs_03_to_05_look_into_the_cilium_agent(lab):
    lines = _command_lines(ROOT / "notebooks" / f"{lab}.ipynb")
    assert any(line in ("%cilium-dbg endpoint list", "%kubectl exec -n kube-system ds/cilium -- cilium-dbg policy get")
               for line in lines)
