"""A YAML syntax error told in the course's words, at the line and column where the trainee must look.

PyYAML words its errors for YAML implementers ("while parsing a block mapping expected <block end>, but
found '<block mapping start>'") and marks where it gave up, which for an unclosed quote or bracket is
the end of the text, one line past what the trainee wrote. The policy editor shows this explanation
instead: the common mistakes (a tab, a line indented differently from its neighbours, a second `:` on
a line, a quote or bracket left open, a key without `:`) each get a sentence and the position of the
character to fix; anything else is still placed and named, with PyYAML's words in brackets.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

__all__ = ["YamlSyntax", "explain_yaml_error"]


@dataclass(frozen=True)
class YamlSyntax:
    """Where the text stops being YAML (1-based line and column) and what to change there."""

    line: int
    column: int
    message: str


def _at(mark: yaml.Mark | None) -> tuple[int, int] | None:
    return (mark.line + 1, mark.column + 1) if mark is not None else None


def explain_yaml_error(text: str) -> YamlSyntax | None:
    """None when every document of "text" is YAML; else the first syntax error, explained."""
    try:
        for _node in yaml.compose_all(text, Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as exc:
        return _explain(exc, text)
    except yaml.YAMLError:  # unmarked (a control character): the manifest loader names its line
        return None
    return None


def _explain(exc: yaml.MarkedYAMLError, text: str) -> YamlSyntax:
    context, problem = exc.context or "", exc.problem or ""
    found, opened = _at(exc.problem_mark), _at(exc.context_mark)
    where = found or opened or (1, 1)
    if "tab" in problem or "'\\t'" in problem:
        return YamlSyntax(*where, "This line is indented with a tab; YAML indents with spaces only. "
                                  "Replace the tab with spaces.")
    if "mapping values are not allowed" in problem:
        return YamlSyntax(*where, "A second ':' on this line. A key and its value are separated by one ': '; "
                                  "a nested key goes on its own line, indented under its parent, and a value "
                                  "that contains ': ' must be quoted.")
    if "quoted scalar" in context and opened:
        return YamlSyntax(*opened, "The quote that opens here is never closed: add the closing quote at the "
                                   "end of the value.")
    if "flow mapping" in context or "flow sequence" in context:
        bracket, closing = ("{", "}") if "mapping" in context else ("[", "]")
        start = opened or where
        stop = "the end of the text" if "end" in problem and "stream" in problem else \
            f"line {where[0]}, column {where[1]}"
        return YamlSyntax(*start, f"The '{bracket}' opened here is not closed: a '{closing}' (or a ',' between "
                                  f"two entries) is missing before {stop}.")
    if "could not find expected ':'" in problem and opened:
        return YamlSyntax(*opened, "This line has a key without ':' after it; write 'key: value', with a space "
                                   "after the colon.")
    if "block mapping" in context and "expected <block end>" in problem and opened:
        what = "a list item ('- ')" if "sequence" in problem else "this line"
        return YamlSyntax(*where, f"{what[0].upper()}{what[1:]} is indented differently from the lines around it: "
                                  f"it starts at column {where[1]}, inside the mapping that starts at line "
                                  f"{opened[0]}, column {opened[1]}. Keys of one mapping start at the same column; "
                                  "a nested key or list goes under its parent key, indented further.")
    if "block sequence" in context and "expected <block end>" in problem and opened:
        return YamlSyntax(*where, f"This line breaks the list that starts at line {opened[0]}, column {opened[1]}: "
                                  "items of one list start with '- ' at the same column.")
    if "end of stream" in problem and opened:
        where = opened
    if where[0] > len(text.splitlines()):  # PyYAML gave up at the end: point at the last line written
        written = [n for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        where = (written[-1], 1) if written else (1, 1)
    detail = " ".join(part for part in (context, problem) if part)
    return YamlSyntax(*where, f"The text stops being YAML here ({detail}).")
