"""Every file in tests/manifests/invalid/ is rejected with a problem at the marked line and field.

Each file names its defect; its header says which field path is wrong and a phrase the message must
contain, and the offending line carries `# <-- here`. Most files also hold a valid Namespace, which
must not be returned either: one bad document means nothing is applied.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.manifests import ManifestError, load_sources

INVALID = Path(__file__).parent / "invalid"
FILES = sorted(INVALID.glob("*.yaml"))


def _expectations(path: Path) -> tuple[str, str, int]:
    text = path.read_text()
    header = dict(line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# expect-"))
    marked = [n for n, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith("# <-- here")]
    assert len(marked) == 1, f"{path.name} must mark exactly one line with '# <-- here'"
    return header.get("expect-path", ""), header["expect-message"], marked[0]


def test_corpus_is_large_enough():
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_invalid_file_is_rejected_at_the_marked_field(path: Path):
    field, phrase, line = _expectations(path)
    result = None
    with pytest.raises(ManifestError) as caught:
        result = load_sources([str(path)])
    assert result is None
    problems = caught.value.problems
    matching = [p for p in problems if phrase in p.message]
    assert matching, f"no problem says {phrase!r}; got:\n{caught.value}"
    problem = matching[0]
    assert (problem.path, problem.line, problem.file) == (field, line, str(path)), str(problem)
    assert problem.document is not None
    assert str(problem).startswith(f"{path}:{line}: (document {problem.document}")
