"""Multi-document YAML with the line of every field, so every problem can point at a line.

PyYAML's composer keeps a start mark on every node; we build plain Python data from the node tree
ourselves and record, for each field path, the 1-based line where it was written. Duplicate
mapping keys are reported (the API server's YAML decoder rejects them; PyYAML would silently keep
the last one).

Two composers give the node tree. The fast one is libyaml's, through PyYAML's C binding
(`yaml._yaml.CParser`: scanner, parser and composer in C, marks on every node); go-yaml v2, which
the API server reads YAML with, is itself a Go translation of libyaml (`yaml.v2/scannerc.go`,
`parserc.go`). The reference one is PyYAML's pure-Python composer below (`_Loader`), which also
allows an anchor to be redefined (go-yaml takes the latest definition; libyaml's composer refuses
it) and refuses nesting deeper than MAX_DEPTH while scanning. Both trees go through the same
`_Builder` (go-yaml's scalar rules, alias counting, depth bound, null keys). Whenever the fast path
raises anything, the text is read again by the reference path, so every error message, and every
document only the reference path accepts, stay what they were. libyaml's own nesting limit (1000
levels) bounds the C composer's recursion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

from labs.manifests import go_yaml

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
    plain: dict[FieldPath, str] = field(default_factory=dict)
    """Unquoted values that YAML 1.1 read as something other than a string, as written (`y`, `08`)."""

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


MAX_DEPTH = 200
"""Deepest nesting read (mappings and lists, aliases included). Kubernetes manifests stay far below it
(Cilium's policy CRD, the deepest document the course meets, is 27 levels); deeper input is refused
with its line instead of exhausting Python's stack."""

_PLAIN = "tag:labs,2026:plain"
"""Tag given to plain (unquoted, untagged) scalars; `_build` resolves them as go-yaml v2 does."""
_MERGE = "tag:yaml.org,2002:merge"
_CORE = "tag:yaml.org,2002:"


class _Loader(yaml.SafeLoader):
    """SafeLoader whose scalars are resolved by `go_yaml.resolve_plain`, with a nesting limit.

    A subclass, so the global resolver is never touched. Anchors may be redefined (go-yaml takes
    the latest definition; PyYAML refuses it).
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            if implicit[0]:
                return _MERGE if value == "<<" else _PLAIN
            return "tag:yaml.org,2002:str"
        return super().resolve(kind, value, implicit)

    def fetch_flow_collection_start(self, TokenClass):
        # PyYAML's scanner looks ahead over every open `[`/`{` (quadratic time): stop at the limit.
        if self.flow_level >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(None, None, f"found nesting deeper than {MAX_DEPTH} levels, which the "
                                            "course refuses", self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}",
                                                  event.start_mark)
            return self.anchors[event.anchor]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"found nesting deeper than {MAX_DEPTH} levels, which the course refuses",
                    self.peek_event().start_mark)
            event = self.peek_event()
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                self.anchors.pop(anchor, None)  # a redefinition replaces the earlier anchor
            # types-PyYAML declares `anchor` a dict; PyYAML's own compose_node passes the name (str or None)
            if self.check_event(yaml.ScalarEvent):
                return self.compose_scalar_node(anchor)  # type: ignore[arg-type]
            if self.check_event(yaml.SequenceStartEvent):
                return self.compose_sequence_node(anchor)  # type: ignore[arg-type]
            return self.compose_mapping_node(anchor)  # type: ignore[arg-type]
        finally:
            self._depth -= 1


_FAST: type | None = None
try:
    from yaml._yaml import CParser as _CParser
    _HAVE_LIBYAML = True
except ImportError:  # PyYAML without libyaml: the reference composer only
    _HAVE_LIBYAML = False
if _HAVE_LIBYAML:
    class _CLoader(_CParser, yaml.resolver.Resolver):
        """libyaml's composer with the scalar tags of `_Loader` (plain scalars keep `_PLAIN`)."""

        def __init__(self, stream: str):
            _CParser.__init__(self, stream)
            yaml.resolver.Resolver.__init__(self)

        def resolve(self, kind, value, implicit):
            if kind is yaml.ScalarNode:
                if implicit[0]:
                    return _MERGE if value == "<<" else _PLAIN
                return "tag:yaml.org,2002:str"
            return super().resolve(kind, value, implicit)

    _FAST = _CLoader


_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)
_NOT_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
"""What YAML forbids in a stream (YAML 1.1 section 5.1; go-yaml: "control characters are not allowed")."""


def _char_name(char: str) -> str:
    return {"\x00": "NUL (\\0)"}.get(char, f"U+{ord(char):04X}")


class _Refused(yaml.MarkedYAMLError):
    """Input that is YAML but that the API server's decoder refuses (aliasing, keys, values)."""


class _Builder:
    """Builds plain data from one document's node tree, as sigs.k8s.io/yaml (go-yaml v2) decodes it.

    Aliases are counted like go-yaml's decoder does (decode.go, `allowedAliasRatio`): once more than
    1000 nodes were built and more than 100 of them through aliases, a share of aliased nodes above
    99% (falling to 10% for very large documents) is "excessive aliasing", so a billion-laughs
    document is refused after a few thousand steps instead of being expanded.
    """

    def __init__(self, doc: RawDocument):
        self.doc = doc
        self.decodes = 0
        self.aliased = 0
        self.alias_depth = 0
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.depth = 0

    def _count(self, node: yaml.Node) -> None:
        self.decodes += 1
        if self.alias_depth:
            self.aliased += 1
        if self.aliased > 100 and self.decodes > 1000 and self.aliased / self.decodes > go_yaml.allowed_alias_ratio(
                self.decodes):
            raise _Refused(None, None, "the document contains excessive aliasing (anchors and *aliases expanding "
                                       f"to more than {self.decodes} nodes), which the API server's YAML "
                                       "decoder refuses", node.start_mark)

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        """The value of `node`; a node met before is an alias, expanded again as go-yaml does."""
        if id(node) in self.active:
            raise _Refused(None, None, "an anchor's value contains an alias to itself", node.start_mark)
        alias = id(node) in self.seen
        if alias:
            self._count(node)  # the alias node itself
            self.alias_depth += 1
        self.seen.add(id(node))
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(None, None, f"aliases nest deeper than {MAX_DEPTH} levels, which the course refuses",
                           node.start_mark)
        self.active.add(id(node))
        try:
            return self._value(node, path)
        finally:
            self.active.discard(id(node))
            self.depth -= 1
            if alias:
                self.alias_depth -= 1

    def _value(self, node: yaml.Node, path: FieldPath) -> Any:
        self._count(node)
        if not self.alias_depth:
            self.doc.lines.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        value, text = self._scalar(cast(yaml.ScalarNode, node))  # the third and last kind of node
        if text is not None and not self.alias_depth:
            self.doc.lines.plain[path] = text
        return value

    def _scalar(self, node: yaml.ScalarNode) -> tuple[Any, str | None]:
        """(value, source text when YAML 1.1 made it something other than a string)."""
        tag = node.tag
        if tag == _PLAIN:
            value = go_yaml.resolve_plain(node.value)
        elif tag.startswith(_CORE) and tag[len(_CORE):] in ("bool", "int", "float", "null", "timestamp"):
            value = go_yaml.resolve_plain(node.value)
            wanted = tag[len(_CORE):]
            got = go_yaml.kind_of(value)
            if wanted == "float" and got == "int":
                value = float(value)
            elif wanted != got and not (wanted == "timestamp" and got == "str"):
                raise _Refused(None, None, f"cannot decode !!{got} `{node.value}` as a !!{wanted}", node.start_mark)
        else:
            return node.value, None  # quoted, !!str, or a tag of its own: the text as written
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise _Refused(None, None, f"the value {node.value} (infinity or not-a-number) cannot be written "
                                           "as JSON, which the API server's YAML reader converts every document to",
                               node.start_mark)
            if value.is_integer() and abs(value) < 1e21:
                value = int(value)  # JSON has one number type: 8.0 reaches the API server as 8
        return value, (node.value if not isinstance(value, str) else None)

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise _Refused(None, None, "a mapping key must be a plain value, not a mapping or a list",
                           node.start_mark)
        self._count(node)
        value, _ = self._scalar(node)
        key = go_yaml.json_key(value)
        if key is None:
            raise _Refused(None, None, f"the key {node.value!r} reads as null, which cannot be a JSON key; "
                                       "quote it", node.start_mark)
        return key

    def _merged(self, node: yaml.Node, path: FieldPath) -> dict[str, Any]:
        """The pairs a `<<` merge key brings in (a mapping, or a list of them, earlier ones winning)."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        result: dict[str, Any] = {}
        for source in reversed(sources):
            value = self.build(source, path) if isinstance(source, yaml.MappingNode) else None
            if not isinstance(value, dict):
                raise _Refused(None, None, "a merge key (<<) needs a mapping or a list of mappings",
                               source.start_mark)
            result.update(value)
        return result

    def _mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        own: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self._count(key_node)
                merged.update(self._merged(value_node, path))
                continue
            key = self._key(key_node)
            child = (*path, key)
            if key in own:
                self.doc.duplicate_keys.append((child, key))
            if not self.alias_depth:
                self.doc.lines.lines[child] = key_node.start_mark.line + 1
            own[key] = self.build(value_node, child)
        if not merged:
            return own
        merged.update(own)  # keys written in the mapping override merged ones (no duplicate)
        return merged


def parse_documents(text: str, *, reference: bool = False) -> list[RawDocument]:
    """Every non-empty document of `text` with its index among all documents of the stream.

    `reference=True` reads with the pure-Python composer only (tests compare the two paths).

    Raises YamlSyntaxError (with the line and document index) when the text is not YAML, or is YAML
    the API server's decoder refuses (excessive aliasing, null keys) or the course refuses (nesting
    deeper than MAX_DEPTH).
    """
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        bad_line = text.count("\n", 0, bad.start()) + 1
        index = len(_SEPARATOR.findall(text, 0, bad.start()))
        raise YamlSyntaxError(f"This is not valid YAML: the control character {_char_name(bad.group())} at line "
                              f"{bad_line} is not allowed in YAML text; remove it.", bad_line, index)
    if _FAST is not None and not reference:
        try:
            return _documents(_FAST(text))
        except Exception:
            pass
    return _reference_documents(text)


class _Stream:
    """Composes a YAML stream document by document; `index` is the document being read, for errors."""

    def __init__(self) -> None:
        self.documents: list[RawDocument] = []
        self.index = 0

    def read(self, loader: Any) -> list[RawDocument]:
        """Every non-empty document the loader composes, built by `_Builder` (go-yaml v2's rules)."""
        try:
            while loader.check_node():
                node = loader.get_node()
                if node is not None:
                    doc = RawDocument(data=None, index=self.index, lines=LineMap(start=node.start_mark.line + 1))
                    doc.data = _Builder(doc).build(node, ())
                    if doc.data is not None:
                        self.documents.append(doc)
                self.index += 1
        finally:
            loader.dispose()
        return self.documents


def _documents(loader: Any) -> list[RawDocument]:
    """Every non-empty document the loader composes (the fast path: errors are read again by the reference)."""
    return _Stream().read(loader)


def _reference_documents(text: str) -> list[RawDocument]:
    """parse_documents with PyYAML's pure-Python composer: the reference, and every error message."""
    stream = _Stream()
    try:
        return stream.read(_Loader(text))
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
        if isinstance(exc, _Refused):
            raise YamlSyntaxError(f"Refused: {what}.", line, stream.index) from None
        raise YamlSyntaxError(f"This is not valid YAML: {what}.", line, stream.index) from None
    except RecursionError:
        raise YamlSyntaxError(f"Refused: the text nests too deeply to read (the course reads at most {MAX_DEPTH} "
                              "levels).", None, stream.index) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"This is not valid YAML: {exc}.", None, stream.index) from None


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
