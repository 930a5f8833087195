"""Reading a course file (lab.yaml, quiz.yaml): one YAML mapping, every problem as `file:line: field: message`.

Both readers are strict in the same way: all problems are listed at once, each naming the file, the
line (from `labs.manifests.yaml_lines`, the reader that keeps line numbers) and the field, and a file
with a problem is not used at all.
"""

from __future__ import annotations

from labs.manifests.yaml_lines import FieldPath, LineMap, RawDocument, YamlSyntaxError, format_path, parse_documents

__all__ = ["CourseFileError", "LocatedReader", "one_mapping"]


class CourseFileError(ValueError):
    """A course file is not valid; `problems` lists every `file:line: field: message`."""

    noun = "course file"
    """What the file defines, in the message's first line (`2 problems in the quiz:`)."""

    def __init__(self, problems: list[str]):
        self.problems = tuple(problems)
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the {self.noun}:"
        super().__init__("\n".join([head, *(f"  {p}" for p in problems)]))


class LocatedReader:
    """Collects problems while a reader walks one parsed mapping, instead of stopping at the first."""

    def __init__(self, lines: LineMap, source: str):
        self.lines, self.source = lines, source
        self.problems: list[str] = []

    def problem(self, path: FieldPath, message: str) -> None:
        field_path = format_path(path)
        self.problems.append(f"{self.source}:{self.lines.line(path)}: {field_path + ': ' if field_path else ''}"
                             f"{message}")


def one_mapping(text: str, source: str, error: type[CourseFileError], expected: str) -> RawDocument:
    """The one YAML mapping of a course file; `error` when the text is not YAML or not one mapping.

    `expected` says what the file should be (`a quiz.yaml is one YAML mapping with a questions list`).
    """
    try:
        docs = parse_documents(text)
    except YamlSyntaxError as exc:
        raise error([f"{source}:{exc.line or 1}: {exc}"]) from None
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise error([f"{source}:1: {expected}"])
    return docs[0]
