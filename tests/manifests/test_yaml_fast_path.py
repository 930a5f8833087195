"""libyaml's composer (the fast path) reads every document as the pure-Python reference path does.

The fast path must give the same data, the same line of every field, the same unquoted non-string
values and the same duplicate keys; where it fails, `parse_documents` falls back to the reference
path, so errors read the same (checked here on inputs libyaml refuses and the reference accepts).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from labs.manifests import yaml_lines
from labs.manifests.yaml_lines import YamlSyntaxError, parse_documents

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(yaml_lines._FAST is None, reason="PyYAML built without libyaml")


def _snapshot(docs):
    return [(d.index, d.data, d.lines.lines, d.lines.start, d.lines.plain, d.duplicate_keys) for d in docs]


def _read(text: str, reference: bool):
    try:
        return _snapshot(parse_documents(text, reference=reference))
    except YamlSyntaxError as exc:
        return ("error", exc.message, exc.line, exc.document)


def _fast_only(text: str):
    """The fast path alone, without the fallback (None when it raises)."""
    assert yaml_lines._FAST is not None
    try:
        return _snapshot(yaml_lines._documents(yaml_lines._FAST(text)))
    except Exception:
        return None


def _repository_yaml() -> list[Path]:
    folders = ("manifests", "tests", "docs")
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.yaml") if p.is_file())


def test_every_yaml_file_of_the_repository_reads_the_same():
    files = _repository_yaml()
    assert len(files) > 100
    fast_used = readable = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        reference = _read(text, True)
        assert _read(text, False) == reference, path
        fast = _fast_only(text)
        if isinstance(reference, list):
            readable += 1
            if fast is not None:
                fast_used += 1
                assert fast == reference, path
    assert fast_used > 0.9 * readable


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: &x 2\nc: *x\n",  # an anchor redefined: go-yaml takes the latest, libyaml refuses
    "a: *missing\n",
    "a: [1, 2\n",
    "a: 1\na: 2\n",
    "- " * 300 + "x\n",  # deeper than MAX_DEPTH
    "[" * 250 + "]" * 250 + "\n",
    "x: &a [*a]\n",
    "a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
    "? [1, 2]\n: v\n",
    "~: v\n",
    "v: .inf\n",
    "v: !!int 1.5\n",
    "<<: {a: 1}\nb: 2\n",
    "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n",
    "key: y\nother: 0o17\nts: 2024-01-01\nq: 'y'\nbin: 0b-101\n",
    "a: 1\n---\n---\n# c\n---\nb: [1, {c: d}]\n...\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "\ta: 1\n",
    "a:\n\t- 1\n",
    "a: b: c\n",
    "{a: 1, b: [x, y], 'c': \"d\"}\n",
    "- a\n- b: 1\n  c: 2\n- [1, 2]\n",
])
def test_edge_cases_read_the_same(text):
    assert _read(text, False) == _read(text, True)


def _random_document(rng: random.Random, depth: int = 0):
    kind = rng.random()
    if depth > 4 or kind < 0.4:
        return rng.choice(["x", "y", "no", "08", "1e3", "0x1F", "'quoted'", '"dq"', "~", "", "1:30", "2024-01-01",
                           "a b", "-1", ".5", "true", "<<", "k: v"])
    if kind < 0.7:
        items = [_random_document(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.5 and all(isinstance(i, str) for i in items):
            return "[" + ", ".join(items) + "]"
        return items
    keys = rng.sample(["a", "b", "y", "n", "1", "on", "~", "'q'", "x"], rng.randint(0, 3))
    return {k: _random_document(rng, depth + 1) for k in keys}


def _emit(value, indent: int = 0) -> str:
    pad = "  " * indent
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n" + "".join(f"{pad}- {_emit(v, indent + 1).lstrip()}\n" for v in value).rstrip("\n")
    if not value:
        return "{}"
    return "\n" + "".join(f"{pad}{k}: {_emit(v, indent + 1)}\n" for k, v in value.items()).rstrip("\n")


def test_generated_documents_read_the_same():
    rng = random.Random(18)
    for _ in range(400):
        text = "root: " + _emit(_random_document(rng), 1) + "\n"
        assert _read(text, False) == _read(text, True), text


def test_the_fast_path_is_used_for_the_generated_verify_fixture():
    sys.path.insert(0, str(ROOT))
    from benchmarks._gen_verify import VerifySpec, fixture

    text = fixture(VerifySpec(namespaces=3, apps_per_namespace=4, policies=12, seed=7)).scenario_text()
    reference = _read(text, True)
    assert isinstance(reference, list)
    assert _fast_only(text) == reference


@pytest.mark.parametrize(("text", "index", "line"), [
    ("a: 1\n---\nb: [\n", 1, 3),
    ("a: 1\n---\n---\nc: 2\n---\nb: {x\n", 3, 6),
    ("---\nb: *nowhere\n", 0, 2),
])
@pytest.mark.parametrize("reference", [False, True], ids=["fast", "reference"])
def test_a_syntax_error_names_its_document_and_line(text, index, line, reference):
    """Both paths count documents alike (empty ones too) when they name the broken one."""
    with pytest.raises(YamlSyntaxError) as err:
        parse_documents(text, reference=reference)
    assert (err.value.document, err.value.line) == (index, line)
