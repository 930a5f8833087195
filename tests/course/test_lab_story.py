"""Does every lab tell its part of the story, draw how Cilium decides, close with takeaways, a quiz and
docs links, as docs/course.md ("Every lab's shape") requires?

Every lab is held to it; a new lab is too, from its first commit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labs.course import lab_ids
from labs.course.diagrams import diagram_view
from labs.course.quiz_spec import load_quiz

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("## Why it matters", "## How Cilium decides here", "## Takeaways", "## Quiz", "## Further reading")
DOCS_LINK = re.compile(r"\]\((https://docs\.cilium\.io/en/[^)\s]+)\)")
WHY_WORDS = (80, 200)
TAKEAWAYS = (3, 6)


def _cells(lab: str) -> list[tuple[str, str]]:
    nb = json.loads((ROOT / "notebooks" / f"{lab}.ipynb").read_text())
    return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]


def _section(cells: list[tuple[str, str]], heading: str) -> str:
    """The Markdown under `heading`, up to the next `## ` heading (cells joined)."""
    text = "\n".join(src for kind, src in cells if kind == "markdown")
    start = text.find(heading + "\n")
    if start < 0:
        return ""
    body = text[start + len(heading) + 1:]
    end = re.search(r"^## ", body, re.MULTILINE)
    return body[:end.start()] if end else body


def story_problems(lab: str, cells: list[tuple[str, str]] | None = None) -> list[str]:
    """What a lab still lacks (empty when it has its story, diagram, quiz and links)."""
    problems: list[str] = []
    cells = _cells(lab) if cells is None else cells
    first_heading = {}
    for i, (kind, src) in enumerate(cells):
        for heading in SECTIONS:
            if kind == "markdown" and re.search(rf"^{re.escape(heading)}$", src, re.MULTILINE):
                first_heading.setdefault(heading, i)
    missing = [h for h in SECTIONS if h not in first_heading]
    if missing:
        return [f"no section {', '.join(missing)}"]
    order = [first_heading[h] for h in SECTIONS]
    if order != sorted(order):
        problems.append(f"sections out of order: {', '.join(SECTIONS)} must come in that order")
    code = [(i, src.strip()) for i, (kind, src) in enumerate(cells) if kind == "code"]
    diagram = [i for i, src in code if src == "lab.diagram()"]
    quiz = [i for i, src in code if src == "lab.quiz()"]
    reset = [i for i, src in code if "lab.reset(" in src]
    if not diagram or not first_heading["## How Cilium decides here"] < diagram[0] < first_heading["## Takeaways"]:
        problems.append("no `lab.diagram()` cell under `## How Cilium decides here`")
    if not quiz or not first_heading["## Quiz"] < quiz[0] < first_heading["## Further reading"]:
        problems.append("no `lab.quiz()` cell under `## Quiz`")
    if reset and first_heading["## Further reading"] > reset[0]:
        problems.append("the takeaways, quiz and further reading come before the reset")
    words = len(_section(cells, "## Why it matters").split())
    if not WHY_WORDS[0] <= words <= WHY_WORDS[1]:
        problems.append(f"`## Why it matters` has {words} words, not {WHY_WORDS[0]}-{WHY_WORDS[1]}")
    bullets = [ln for ln in _section(cells, "## Takeaways").splitlines() if ln.startswith("- ")]
    if not TAKEAWAYS[0] <= len(bullets) <= TAKEAWAYS[1]:
        problems.append(f"`## Takeaways` has {len(bullets)} bullets, not {TAKEAWAYS[0]}-{TAKEAWAYS[1]}")
    if not DOCS_LINK.search(_section(cells, "## Further reading")):
        problems.append("`## Further reading` links no docs.cilium.io page")
    try:
        load_quiz(lab)
        diagram_view(lab)
    except (ValueError, OSError) as exc:
        problems.append(str(exc))
    return problems


@pytest.mark.parametrize("lab", lab_ids())
def test_the_lab_has_its_story_diagram_quiz_and_links(lab):
    assert story_problems(lab) == []


WHY = "An attacker " + "moves on " * 40
GOOD = [("markdown", "# Lab 01\n\n**Time:** 5 minutes.\n\n## Why it matters\n\n" + WHY),
        ("markdown", "## How Cilium decides here"), ("code", "lab.diagram()"),
        ("markdown", "## Takeaways\n\n- one\n- two\n- three"),
        ("markdown", "## Quiz"), ("code", "lab.quiz()"),
        ("markdown", "## Further reading\n\n- [Policy](https://docs.cilium.io/en/stable/security/policy/)"),
        ("markdown", "## Reset"), ("code", "# lab.reset(confirm=True)")]


@pytest.fixture
def repo(tmp_path, monkeypatch):
    folder = tmp_path / "manifests" / "01-x"
    folder.mkdir(parents=True)
    (folder / "quiz.yaml").write_text((Path(__file__).parent / "quizzes" / "good.yaml").read_text())
    (folder / "diagram.dot").write_text("// summary: a picture\ndigraph g { a -> b }\n")
    (folder / "diagram.svg").write_text("<svg></svg>")
    monkeypatch.setenv("LABS_REPO", str(tmp_path))
    return folder


def _without(cells, index):
    return cells[:index] + cells[index + 1:]


def test_a_complete_lab_passes_the_checks(repo):
    assert story_problems("01-x", GOOD) == []


@pytest.mark.parametrize(("cells", "problem"), [
    (_without(GOOD, 4), "no section ## Quiz"),
    (_without(GOOD, 2), "no `lab.diagram()` cell under `## How Cilium decides here`"),
    (_without(GOOD, 5), "no `lab.quiz()` cell under `## Quiz`"),
    ([GOOD[0], *GOOD[3:5], *GOOD[1:3], *GOOD[5:]], "sections out of order"),
    ([(k, s.replace(WHY, "Short.")) for k, s in GOOD], "`## Why it matters` has 1 words, not 80-200"),
    ([(k, s.replace("- three", "")) for k, s in GOOD], "`## Takeaways` has 2 bullets, not 3-6"),
    ([(k, s.replace("docs.cilium.io", "example.com")) for k, s in GOOD], "links no docs.cilium.io page"),
    ([*GOOD[:1], *GOOD[-1:], *GOOD[1:-1]], "come before the reset"),
], ids=["no-quiz-section", "no-diagram-cell", "no-quiz-cell", "order", "short-why", "two-takeaways", "no-docs-link",
        "after-reset"])
def test_each_missing_piece_is_named(repo, cells, problem):
    assert any(problem in p for p in story_problems("01-x", cells)), story_problems("01-x", cells)


def test_a_missing_quiz_or_diagram_is_named(repo):
    (repo / "quiz.yaml").unlink()
    (repo / "diagram.svg").unlink()
    assert story_problems("01-x", GOOD) == ["1 problem in the quiz:\n  manifests/01-x/quiz.yaml: lab '01-x' has no "
                                            "quiz yet (the file does not exist)"]
