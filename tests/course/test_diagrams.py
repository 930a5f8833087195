"""Is every lab's diagram drawn from its source as it is now, and does render-diagrams refuse bad input?"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labs.course.diagrams import (
    DiagramError,
    diagram_view,
    embedded_sha256,
    graphviz_version,
    main,
    render,
    source_sha256,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "manifests").glob("*/diagram.dot"))
HAS_DOT = shutil.which("dot") is not None
GOOD = """// summary: a client reaches an api through the datapath
digraph g { client -> api [label="allowed"]; }
"""


def _local_graphviz() -> str | None:
    if not HAS_DOT:
        return None
    done = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False, timeout=30)
    return done.stderr.split("version ", 1)[-1].split()[0] if "version" in done.stderr else None


@pytest.mark.parametrize("dot", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_each_svg_was_rendered_from_its_source_as_it_is_now(dot):
    svg = dot.with_name("diagram.svg")
    assert svg.is_file(), f"{svg.relative_to(ROOT)} is missing: run scripts/render-diagrams"
    text = svg.read_text()
    assert embedded_sha256(text) == source_sha256(dot.read_text()), (
        f"{svg.relative_to(ROOT)} is stale: {dot.name} changed since it was rendered; run scripts/render-diagrams")
    assert diagram_view(dot.parent.name).summary


@pytest.mark.parametrize("dot", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_rendering_again_gives_the_same_svg(dot):
    """Re-rendered with the same Graphviz, the SVG in the repository is byte for byte what dot draws."""
    if not HAS_DOT:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    stored = dot.with_name("diagram.svg").read_text()
    if graphviz_version(stored) != _local_graphviz():
        pytest.skip(f"rendered with Graphviz {graphviz_version(stored)}, this machine has {_local_graphviz()}")
    fresh = render(dot, label=str(dot.relative_to(ROOT)))
    assert not fresh.changed, f"{dot.relative_to(ROOT)}: dot draws something else; run scripts/render-diagrams"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_REPO", str(tmp_path))
    folder = tmp_path / "manifests" / "01-x"
    folder.mkdir(parents=True)
    (folder / "diagram.dot").write_text(GOOD)
    return tmp_path


needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed (apt-get install graphviz)")


@needs_dot
def test_render_marks_the_svg_with_its_source_and_check_tells_a_stale_one(repo, capsys):
    folder = repo / "manifests" / "01-x"
    assert main(["--check"]) == 1
    assert "stale: manifests/01-x/diagram.svg" in capsys.readouterr().out
    assert main([]) == 0
    svg = (folder / "diagram.svg").read_text()
    assert embedded_sha256(svg) == source_sha256(GOOD)
    assert "<!-- ciliumlab diagram: source manifests/01-x/diagram.dot sha256 " in svg
    assert main(["--check"]) == 0
    (folder / "diagram.dot").write_text(GOOD.replace("allowed", "dropped"))
    assert main(["--check", "01-x"]) == 1
    view = diagram_view("01-x")
    assert repr(view) == ("Diagram of 01-x: a client reaches an api through the datapath "
                          "(image: manifests/01-x/diagram.svg)")
    assert view._repr_mimebundle_()["image/svg+xml"] == svg


@needs_dot
@pytest.mark.parametrize(("source", "message"), [
    ("digraph g { a -> }\n// summary: broken", "manifests/01-x/diagram.dot: Graphviz refused the diagram: "),
    ("digraph g { a -> b }\n", "manifests/01-x/diagram.dot:1: a diagram source starts with a `// summary: "),
], ids=["syntax-error", "no-summary"])
def test_bad_source_exits_2_and_writes_nothing(repo, capsys, source, message):
    folder = repo / "manifests" / "01-x"
    (repo / "manifests" / "02-y").mkdir()
    (repo / "manifests" / "02-y" / "diagram.dot").write_text(GOOD)
    (folder / "diagram.dot").write_text(source)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert message in err and err.rstrip().endswith("Nothing was written.")
    assert not list(repo.glob("manifests/*/diagram.svg"))  # not even the good one


def test_an_unknown_lab_or_a_path_is_refused(repo, capsys):
    assert main(["09-none"]) == 2
    assert "manifests/09-none/diagram.dot does not exist" in capsys.readouterr().err
    assert main(["../x"]) == 2
    assert "is not a lab id" in capsys.readouterr().err


def test_a_lab_without_a_rendered_svg_says_how_to_draw_it(repo):
    with pytest.raises(DiagramError, match=r"manifests/01-x/diagram.svg does not exist: run scripts/render-diagrams"):
        diagram_view("01-x")
    with pytest.raises(DiagramError, match="lab '02-z' has no diagram yet"):
        diagram_view("02-z")


def test_the_diagram_is_fitted_to_the_notebook_and_a_click_shows_it_full_size():
    """Found in the browser: JupyterLab drew each SVG at its natural width (1,100 to 2,600 px), so on a
    1280-pixel screen a trainee saw the left part of 'How Cilium decides here' only."""
    import base64
    import re

    view = diagram_view("03-identity-default-deny")
    bundle = view._repr_mimebundle_()
    assert bundle["image/svg+xml"] == view.svg  # frontends without HTML keep the SVG
    page = bundle["text/html"]
    assert ".labs-diagram img{max-width:100%;height:auto" in page
    assert ".labs-diagram input:checked+label img{max-width:none" in page
    box = re.search(r'<input type="checkbox" id="(labs-diagram-[0-9a-f]{12})"', page).group(1)
    assert f'<label for="{box}"' in page
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(data).decode("utf-8") == view.svg
    assert box not in diagram_view("03-identity-default-deny").html()  # two views never share a toggle


NOTEBOOK_WIDTH_PX = 828
"""The width JupyterLab 4 gives an output in a 1280-pixel-wide window (measured in Chromium by
tests/browser/test_walk_findings.py)."""
SMALLEST_READABLE_PX = 8.0


@pytest.mark.parametrize("dot", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_each_diagram_fitted_to_the_notebook_keeps_its_text_readable(dot):
    """The view shrinks a wide SVG to the notebook's width: does its smallest text stay at 8 px or more?

    A left-to-right layout of a long chain is 1,500 points wide; fitted, its 9-point labels came out near
    6 pixels, too small to read without the full-size click.
    """
    import re

    svg = dot.with_name("diagram.svg").read_text()
    width_pt = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    smallest_pt = min(float(size) for size in re.findall(r'font-size="([\d.]+)"', svg))
    scale = min(1.0, NOTEBOOK_WIDTH_PX / (width_pt * 4 / 3))
    shown_px = smallest_pt * 4 / 3 * scale
    assert shown_px >= SMALLEST_READABLE_PX, (
        f"{dot.relative_to(ROOT)}: {width_pt:g} pt wide, its {smallest_pt:g}-pt text shows at {shown_px:.1f} px "
        f"in a {NOTEBOOK_WIDTH_PX}-px notebook; lay it out top to bottom (rankdir=TB) or split long labels")
