"""Command lines read the way spf13/pflag reads them, for every tool the course simulates.

kubectl, hubble and the cilium CLIs are cobra programs, and cobra leaves flags to pflag, so one reader
gives all of them the same forms and the same error texts: flags anywhere among the arguments,
`--name value`, `--name=value`, `-n value`, `-nvalue`, `-n=value`, grouped shorthands (`-fA`), bool
flags with an optional `=false`, `--` ending the flags, no abbreviation of long names. Modelled on
pflag v1.0.10 `flag.go` (`parseArgs`, `parseLongArg`, `parseSingleShortArg`) and `errors.go` (the
message texts); values are converted like its `bool`, `int` and `uint64` flag types (strconv, base 0).
Each tool keeps its own flag table and decides what the values mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Flag", "FlagError", "Parsed", "parse", "KINDS"]

KINDS = ("string", "list", "bool", "int", "uint", "duration", "switch")
"""string: a value, the last one wins; list: a value, every one kept; bool: no value needed, `=VALUE`
parsed like strconv.ParseBool; int / uint: a value parsed like strconv.ParseInt / ParseUint (base 0);
duration: a value checked like time.ParseDuration (`90s`, `1h30m`) and kept as text; switch: no value
needed and any `=VALUE` is kept as given (pflag's NoOptDefVal on a custom Value, such as hubble's `--not`)."""

_OPTIONAL_VALUE = ("bool", "switch")
_TRUE = ("1", "t", "T", "true", "TRUE", "True")
_FALSE = ("0", "f", "F", "false", "FALSE", "False")
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1


class FlagError(ValueError):
    """A usage error; the message is pflag's text (the tool adds its own prefix, e.g. `error: `)."""


@dataclass(frozen=True)
class Flag:
    name: str
    shorthand: str | None = None
    kind: str = "string"
    """One of KINDS."""
    default: object = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"flag --{self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.shorthand is not None and len(self.shorthand) != 1:
            raise ValueError(f"flag --{self.name}: shorthand {self.shorthand!r} is not one letter")

    @property
    def label(self) -> str:
        """How pflag names the flag in a bad-value error: `-n, --namespace` or `--since`."""
        return f"-{self.shorthand}, --{self.name}" if self.shorthand else f"--{self.name}"


@dataclass
class Parsed:
    values: dict[str, object] = field(default_factory=dict)
    """Name -> value: the last one given (a list of all of them for `list` flags), or the default."""
    args: list[str] = field(default_factory=list)
    """The arguments that are not flags, before any `--`."""
    after_dash: list[str] | None = None
    """Arguments after `--` (None when there was no `--`)."""
    given: set[str] = field(default_factory=set)
    occurrences: list[tuple[str, object]] = field(default_factory=list)
    """(name, converted value) for every flag given, in command-line order (hubble's `--not` needs it)."""

    def get(self, name: str, default: object = None) -> object:
        return self.values.get(name, default)


def _invalid(flag: Flag, value: str, cause: str) -> FlagError:
    return FlagError(f'invalid argument "{value}" for "{flag.label}" flag: {cause}')


_GO_INT = re.compile(r"(?P<sign>[+-]?)(?:0[xX](?P<hex>_?[0-9a-fA-F](?:_?[0-9a-fA-F])*)"
                     r"|0[oO](?P<oct>_?[0-7](?:_?[0-7])*)|0[bB](?P<bin>_?[01](?:_?[01])*)"
                     r"|(?P<legacy>0(?:_?[0-7])*)|(?P<dec>[1-9](?:_?[0-9])*))")


def _go_int(text: str) -> int | None:
    """strconv's base-0 integer syntax (`10`, `0x1f`, `0o17`, `017`, `0b101`, `1_000`), or None."""
    m = _GO_INT.fullmatch(text)
    if m is None:
        return None
    digits, base = next((m.group(g), b) for g, b in (("hex", 16), ("oct", 8), ("bin", 2), ("legacy", 8), ("dec", 10))
                        if m.group(g) is not None)
    number = int(digits.replace("_", ""), base)
    return -number if m.group("sign") == "-" else number


_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)([^\d.]*)")
_DURATION_UNITS = ("ns", "us", "µs", "μs", "ms", "s", "m", "h")


def _duration_error(text: str) -> str | None:
    """time.ParseDuration's complaint about TEXT (Go `time/format.go`), or None when it parses."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if body == "0":
        return None
    if not body:
        return f'time: invalid duration "{text}"'
    at = 0
    while at < len(body):
        m = _DURATION_PART.match(body, at)
        if m is None:
            return f'time: invalid duration "{text}"'
        if not m.group(2):
            return f'time: missing unit in duration "{text}"'
        if m.group(2) not in _DURATION_UNITS:
            return f'time: unknown unit "{m.group(2)}" in duration "{text}"'
        at = m.end()
    return None


def _convert(flag: Flag, value: str) -> object:
    if flag.kind == "duration":
        problem = _duration_error(value)
        if problem:
            raise _invalid(flag, value, problem)
        return value
    if flag.kind == "bool":
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise _invalid(flag, value, f'strconv.ParseBool: parsing "{value}": invalid syntax')
    if flag.kind in ("int", "uint"):
        func = "ParseInt" if flag.kind == "int" else "ParseUint"
        number = _go_int(value)
        if number is None or (flag.kind == "uint" and value[:1] in "+-"):
            raise _invalid(flag, value, f'strconv.{func}: parsing "{value}": invalid syntax')
        low, high = (-_INT64_MAX - 1, _INT64_MAX) if flag.kind == "int" else (0, _UINT64_MAX)
        if not low <= number <= high:
            raise _invalid(flag, value, f'strconv.{func}: parsing "{value}": value out of range')
        return number
    return value


def _record(parsed: Parsed, flag: Flag, value: str) -> None:
    converted = _convert(flag, value)
    if flag.kind == "list":
        earlier = parsed.values.get(flag.name) if flag.name in parsed.given else None  # a default is replaced
        parsed.values[flag.name] = [*earlier, converted] if isinstance(earlier, list) else [converted]
    else:
        parsed.values[flag.name] = converted
    parsed.given.add(flag.name)
    parsed.occurrences.append((flag.name, converted))


def parse(argv: list[str], flags: tuple[Flag, ...]) -> Parsed:
    """Read ARGV against FLAGS as pflag does (interspersed arguments); FlagError carries pflag's message."""
    by_name = {f.name: f for f in flags}
    by_short = {f.shorthand: f for f in flags if f.shorthand}
    parsed = Parsed(values={f.name: f.default for f in flags if f.default is not None})
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if len(arg) < 2 or not arg.startswith("-"):
            parsed.args.append(arg)
        elif arg == "--":
            parsed.after_dash = rest
            break
        elif arg.startswith("--"):
            _long(parsed, arg, rest, by_name)
        else:
            _shorts(parsed, arg, rest, by_short)
    return parsed


def _long(parsed: Parsed, arg: str, rest: list[str], by_name: dict[str, Flag]) -> None:
    if arg[2] in "-=":
        raise FlagError(f"bad flag syntax: {arg}")
    name, eq, value = arg[2:].partition("=")
    flag = by_name.get(name)
    if flag is None:
        raise FlagError(f"unknown flag: --{name}")
    if eq:
        _record(parsed, flag, value)
    elif flag.kind in _OPTIONAL_VALUE:
        _record(parsed, flag, "true")
    elif rest:
        _record(parsed, flag, rest.pop(0))
    else:
        raise FlagError(f"flag needs an argument: --{name}")


def _shorts(parsed: Parsed, arg: str, rest: list[str], by_short: dict[str, Flag]) -> None:
    shorthands = arg[1:]
    while shorthands:
        letter = shorthands[0]
        flag = by_short.get(letter)
        if flag is None:
            raise FlagError(f"unknown shorthand flag: '{letter}' in -{shorthands}")
        if len(shorthands) > 2 and shorthands[1] == "=":
            _record(parsed, flag, shorthands[2:])
            return
        if flag.kind in _OPTIONAL_VALUE:
            _record(parsed, flag, "true")
            shorthands = shorthands[1:]
            continue
        if len(shorthands) > 1:
            _record(parsed, flag, shorthands[1:])
        elif rest:
            _record(parsed, flag, rest.pop(0))
        else:
            raise FlagError(f"flag needs an argument: '{letter}' in -{shorthands}")
        return
