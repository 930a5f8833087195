"""Multi-document YAML with line numbers per field."""

from __future__ import annotations

import pytest

from labs.manifests.yaml_lines import YamlSyntaxError, format_path, parse_documents, parse_documents_lenient

TEXT = """\
---
apiVersion: v1
kind: Pod
metadata:
  name: a
spec:
  containers:
  - name: c
    ports:
    - containerPort: 80
---
---
# only a comment
---
kind: B
"""


def test_lines_of_nested_fields_and_list_items():
    first = parse_documents(TEXT)[0]
    assert first.lines.line(("metadata", "name")) == 5
    assert first.lines.line(("spec", "containers", 0)) == 8
    assert first.lines.line(("spec", "containers", 0, "ports", 0, "containerPort")) == 10


def test_unknown_path_falls_back_to_the_closest_written_parent():
    first = parse_documents(TEXT)[0]
    assert first.lines.line(("spec", "containers", 0, "image")) == 8
    assert first.lines.line(("nothing",)) == 2


def test_empty_documents_are_skipped_but_keep_their_index():
    docs = parse_documents(TEXT)
    assert [(d.index, d.data.get("kind")) for d in docs] == [(0, "Pod"), (3, "B")]
    assert docs[1].lines.line(("kind",)) == 15


def test_duplicate_keys_are_recorded():
    doc = parse_documents("a: 1\nb:\n  c: 1\n  c: 2\n")[0]
    assert doc.duplicate_keys == [(("b", "c"), "c")]


@pytest.mark.parametrize(("text", "line", "document"), [
    ("a: [1, 2\n", 1, 0),
    ("a: 1\n---\nb: {c\n", 3, 1),
    ("a: 1\n  b: 2\n", 2, 0),
], ids=["unclosed-flow-list", "second-document", "bad-indent"])
def test_syntax_errors_name_line_and_document(text, line, document):
    with pytest.raises(YamlSyntaxError) as caught:
        parse_documents(text)
    assert (caught.value.line, caught.value.document) == (line, document)
    assert caught.value.message.startswith("This is not valid YAML: ")


def test_lenient_parse_keeps_the_good_documents_around_a_broken_one():
    docs, errors = parse_documents_lenient("a: 1\n---\nb: [\n---\nc: 3\n")
    assert [d.data for d in docs] == [{"a": 1}, {"c": 3}]
    assert [(e.document, e.line) for e in errors] == [(1, 3)]
    assert docs[1].lines.line(("c",)) == 5


@pytest.mark.parametrize(("path", "text"), [
    ((), ""), (("spec",), "spec"), (("spec", "ingress", 0, "toPorts"), "spec.ingress[0].toPorts"),
    (("specs", 1), "specs[1]"),
], ids=["empty", "one", "nested", "list-last"])
def test_format_path(path, text):
    assert format_path(path) == text
