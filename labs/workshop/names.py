"""Trainee names: validated once, here, before they become namespace prefixes and RBAC subjects.

A trainee name prefixes every lab namespace (`alice` + `frontend` -> `alice-frontend`), so it must be
a DNS-1123 label (lower-case letters, digits and `-`, starting with a letter, ending with a letter or
digit) short enough that the prefixed namespaces still fit in 63 characters.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

__all__ = [
    "TraineeError", "MAX_TRAINEE_LENGTH", "validate_trainee", "trainee_from_env", "load_trainees",
    "TRAINEE_ENV",
]

TRAINEE_ENV = "LABS_TRAINEE"
MAX_TRAINEE_LENGTH = 30
"""Leaves room for `-` plus a lab namespace of up to 32 characters within the 63-character limit."""

_LABEL = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
_RESERVED = ("kube", "default", "ciliumlab")


class TraineeError(ValueError):
    """A trainee name or trainee list is not usable; the message names the value and the fix."""


def validate_trainee(name: object, *, where: str = "trainee name") -> str:
    """Return `name` if it is a usable trainee name, else raise TraineeError saying why and what to use."""
    if not isinstance(name, str):
        raise TraineeError(f"The {where} {name!r} is not text; write a name such as 'alice'.")
    if not name:
        raise TraineeError(f"The {where} is empty; write a name such as 'alice'.")
    if len(name) > MAX_TRAINEE_LENGTH:
        raise TraineeError(
            f"The {where} {name!r} has {len(name)} characters; use at most {MAX_TRAINEE_LENGTH} so that "
            f"'{name}-<lab namespace>' stays within the 63-character namespace limit.")
    if not _LABEL.match(name):
        raise TraineeError(
            f"The {where} {name!r} is not a DNS-1123 label; use lower-case letters, digits and '-', "
            "starting with a letter and ending with a letter or digit (for example 'alice' or 'team-7').")
    for reserved in _RESERVED:
        if name == reserved or name.startswith(reserved + "-"):
            raise TraineeError(
                f"The {where} {name!r} would produce namespaces that look like system ones "
                f"({reserved!r}-...); choose another name.")
    return name


def trainee_from_env(environ: dict[str, str] | None = None) -> str | None:
    """The validated `LABS_TRAINEE`, or None when it is unset or empty (single-user mode)."""
    env = os.environ if environ is None else environ
    raw = env.get(TRAINEE_ENV, "")
    if not raw.strip():
        return None
    return validate_trainee(raw.strip(), where=f"{TRAINEE_ENV} value")


def load_trainees(path: str | Path) -> list[str]:
    """Read a trainee list: YAML (a list, or `trainees:` holding one) or plain text, one name a line.

    In text files `#` starts a comment and blank lines are skipped. Every name is validated and
    duplicates are refused; the error names the file and line.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise TraineeError(f"Cannot read the trainee list {str(file)!r}: {exc.strerror or exc}.") from None
    entries = _yaml_entries(text, file)
    if entries is None:
        entries = _text_entries(text)
    if not entries:
        raise TraineeError(f"The trainee list {str(file)!r} names no trainee; write one name a line.")
    seen: dict[str, int] = {}
    names = []
    for line, value in entries:
        where = f"trainee name in {file}:{line}" if line else f"trainee name in {file}"
        name = validate_trainee(value, where=where)
        if name in seen:
            raise TraineeError(f"The trainee {name!r} appears twice in {file} (lines {seen[name]} and {line}); "
                               "each trainee needs a unique name.")
        seen[name] = line
        names.append(name)
    return names


def _yaml_entries(text: str, file: Path) -> list[tuple[int, object]] | None:
    """Entries of a YAML list (or `trainees:` list) with their lines; None when the file is not YAML-shaped."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if isinstance(node, yaml.MappingNode):
        found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "trainees"]
        if not found:
            raise TraineeError(f"The trainee list {str(file)!r} is a YAML mapping without a 'trainees:' key; "
                               "write 'trainees: [alice, bob]' or one name a line.")
        node = found[0]
        if not isinstance(node, yaml.SequenceNode):
            raise TraineeError(f"'trainees:' in {file} must be a list of names.")
    if not isinstance(node, yaml.SequenceNode):
        return None
    entries: list[tuple[int, object]] = []
    for item in node.value:
        value: object = item.value if isinstance(item, yaml.ScalarNode) else yaml.safe_load(yaml.serialize(item))
        if isinstance(item, yaml.ScalarNode) and item.tag != "tag:yaml.org,2002:str":
            value = yaml.safe_load(item.value)
        entries.append((item.start_mark.line + 1, value))
    return entries


def _text_entries(text: str) -> list[tuple[int, object]]:
    entries: list[tuple[int, object]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            entries.append((number, line))
    return entries
