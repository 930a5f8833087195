"""YAML scalars read the way the Kubernetes API server reads them (sigs.k8s.io/yaml on go-yaml v2).

kubectl and the API server turn YAML into JSON with sigs.k8s.io/yaml, whose reader is a copy of
go-yaml v2 (`goyaml.v2/resolve.go`, `resolve`). Its YAML 1.1 rules differ from PyYAML's:

- `y`, `Y`, `yes`, `on` (and `n`, `no`, `off` ...) are booleans; PyYAML does not know `y`/`n`;
- base-60 numbers (`1:30`) are not numbers: the string "1:30" (PyYAML: 90);
- timestamps (`2024-01-01`) reach JSON as the string written (decode.go keeps the text of a
  timestamp decoded into an interface{}); PyYAML makes a date;
- numbers follow Go's `strconv.ParseInt(s, 0, 64)` after removing `_` (so `0o17`, `0b101`, `017`
  are integers), then the float pattern `^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
  (so `08` and `1e3` are numbers, which PyYAML keeps as strings).

The converter to JSON (`convertToJSONableObject`) then turns int, float and bool keys into strings.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["resolve_plain", "kind_of", "json_key", "allowed_alias_ratio", "describe_plain"]

_WORDS: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), float("nan")),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), float("inf")),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), float("-inf")),
}
_HINTED = set("yYnNtTfFoO~.+-0123456789")
"""First characters for which go-yaml tries anything but a string (its `resolveTable`)."""
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?\Z")
_ODD_BINARY = re.compile(r"0b([-+]?)([01]+)\Z")
"""go-yaml's own fallback `ParseInt(plain[2:], 2, 64)` also takes a sign after `0b`."""


def _go_int(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "xXoObB":
        base = {"x": 16, "o": 8, "b": 2}[digits[1].lower()]
        return sign * int(digits[2:], base)
    if len(digits) > 1 and digits[0] == "0":
        return sign * int(digits, 8)
    return sign * int(digits)


def resolve_plain(text: str) -> Any:
    """The value of an unquoted scalar: bool, None, int, float or str, as go-yaml v2 resolves it."""
    if text in _WORDS:
        return _WORDS[text]
    if not text or text[0] not in _HINTED:
        return text
    if text[0] == ".":
        if _DOT_FLOAT.match(text):
            value = float(text)
            return value if value not in (float("inf"), float("-inf")) else text
        return text
    if text[0] not in "+-0123456789":
        return text
    plain = text.replace("_", "")
    if _GO_INT.match(plain):
        return _go_int(plain)
    if _GO_FLOAT.match(plain):
        value = float(plain)
        return value if value not in (float("inf"), float("-inf")) else text  # ParseFloat: out of range
    odd = _ODD_BINARY.match(plain)
    if odd:
        return (-1 if odd.group(1) == "-" else 1) * int(odd.group(2), 2)
    return text


def kind_of(value: Any) -> str:
    """The YAML tag name of a resolved value (`bool`, `int`, `float`, `null`, `str`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def json_key(value: Any) -> str | None:
    """A mapping key as it appears in the JSON (None: no JSON key exists for it)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"  # Go's FormatFloat(f, 'g', -1, 32), close enough for the keys manifests have
    return None


_CORE_SCHEMA = re.compile(r"(?:null|Null|NULL|~|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
                          r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)\Z")
"""Plain values YAML 1.2 (core schema) also reads as non-strings; the others are YAML 1.1 surprises."""


def describe_plain(text: str, value: Any) -> str:
    """A sentence naming how an unquoted value was read and how to keep it a string."""
    what = {"null": "null (no value)", "bool": f"the boolean {str(value).lower()}"}.get(kind_of(value),
                                                                                      f"the number {value!r}")
    if _CORE_SCHEMA.match(text) and not (text[:1] == "0" and text[1:2].isdigit()):
        return f"The unquoted {text} is {what}; quote it: \"{text}\"."
    return (f"Kubernetes reads YAML as YAML 1.1 (sigs.k8s.io/yaml on go-yaml v2), where the unquoted {text} is "
            f"{what}; quote it: \"{text}\".")


def allowed_alias_ratio(decodes: int) -> float:
    """go-yaml's share of nodes that may come from aliases after `decodes` nodes (decode.go)."""
    low, high = 400_000, 4_000_000
    if decodes <= low:
        return 0.99
    if decodes >= high:
        return 0.10
    return 0.99 - 0.89 * ((decodes - low) / (high - low))
