"""Multi-document YAML with the line of every field, so every problem can point at a line.

PyYAML's composer keeps a start mark on every node; we build plain Python data from the node tree
ourselves and record, for each field path, the 1-based line where it was written. Duplicate
mapping keys are reported (the API server's YAML decoder rejects them; PyYAML would silently keep
the last one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = [
    "FieldPath", "LineMap", "RawDocument", "YamlSyntaxError", "parse_documents", "parse_documents_lenient",
    "format_path",
]

FieldPath = tuple[str | int, ...]


def format_path(path: FieldPath) -> str:
    """`("spec", "ingress", 0, "toPorts")` -> `spec.ingress[0].toPorts`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


@dataclass
class LineMap:
    """Field path -> 1-based line; unknown paths fall back to their closest written parent."""

    lines: dict[FieldPath, int] = field(default_factory=dict)
    start: int = 1

    def line(self, path: FieldPath) -> int:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), self.start)


@dataclass
class RawDocument:
    """One non-empty YAML document: its data, its index in the file, and its line map."""

    data: Any
    index: int
    lines: LineMap
    duplicate_keys: list[tuple[FieldPath, str]] = field(default_factory=list)


class YamlSyntaxError(ValueError):
    """The text is not YAML. `line` is 1-based; `document` is the index of the broken document."""

    def __init__(self, message: str, line: int | None, document: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.document = document


class _Loader(yaml.SafeLoader):
    """SafeLoader with no extra behaviour; a subclass so we never touch the global resolver."""


def _build(loader: _Loader, node: yaml.Node, path: FieldPath, doc: RawDocument) -> Any:
    doc.lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys the way SafeLoader does
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                key = str(key)
            child = (*path, key if isinstance(key, str) else str(key))
            if key in result:
                doc.duplicate_keys.append((child, str(key)))
            doc.lines.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, child, doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_documents(text: str) -> list[RawDocument]:
    """Every non-empty document of `text` with its index among all documents of the stream.

    Raises YamlSyntaxError (with the line and document index) when the text is not YAML.
    """
    loader = _Loader(text)
    documents: list[RawDocument] = []
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                doc = RawDocument(data=None, index=index, lines=LineMap(start=node.start_mark.line + 1))
                doc.data = _build(loader, node, (), doc)
                loader.constructed_objects.clear()
                if doc.data is not None:
                    documents.append(doc)
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        if exc.problem and "<stream end>" in exc.problem:
            if exc.context_mark is not None and exc.context_mark.line + 1 < (line or 0):
                line = exc.context_mark.line + 1  # "found end of file": point at what was left open
                what += f" (opened at line {line} and never closed)"
            elif line is not None:  # the last written line, not the empty end of the file
                written = [n for n, text in enumerate(text.splitlines()[:line], 1) if text.strip()]
                line = written[-1] if written else line
        raise YamlSyntaxError(f"This is not valid YAML: {what}.", line, index) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"This is not valid YAML: {exc}.", None, index) from None
    finally:
        loader.dispose()
    return documents


_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)


def parse_documents_lenient(text: str) -> tuple[list[RawDocument], list[YamlSyntaxError]]:
    """Like parse_documents, but a syntax error in one document does not hide the others.

    When the whole stream does not parse, it is split at `---` lines and each part is parsed on its
    own (padded with blank lines so that line numbers stay those of the file).
    """
    try:
        return parse_documents(text), []
    except YamlSyntaxError as first:
        starts = [0] + [m.start() for m in _SEPARATOR.finditer(text)]
        documents: list[RawDocument] = []
        errors: list[YamlSyntaxError] = []
        index = 0
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(text)
            chunk = text[start:end]
            if n == 0 and not chunk.strip():
                continue  # a file that starts with `---`
            offset = text.count("\n", 0, start)
            try:
                parts = parse_documents("\n" * offset + chunk)
            except YamlSyntaxError as exc:
                errors.append(YamlSyntaxError(exc.message, exc.line, index))
            else:
                for part in parts:
                    part.index = index
                    documents.append(part)
            index += 1
        return documents, errors or [first]
