"""A pflag-shaped reader for hubble command lines: `--name value`, `--name=value`, `-n value`, `-nvalue`.

hubble is a cobra/pflag program, and `--not` applies to the next filter only, so the order of the
flags matters; the table below says what each flag takes and the reader keeps that order. Error texts
are pflag's (`unknown flag: --foo`, `flag needs an argument: --since`,
`invalid argument "x" for "--last" flag: ...`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Flag", "FlagError", "Parsed", "parse_flags"]


class FlagError(ValueError):
    """The command line does not parse (pflag's message, which hubble prints after `Error: `)."""


@dataclass(frozen=True)
class Flag:
    name: str
    short: str | None = None
    kind: str = "filter"
    """filter (repeatable, order kept), value (last one wins), int, bool, or unsupported (known to
    hubble, not modelled by the simulated cluster)."""
    takes_value: bool = True

    @property
    def label(self) -> str:
        """How pflag names the flag in errors: `-t, --type` or `--verdict`."""
        return f"-{self.short}, --{self.name}" if self.short else f"--{self.name}"


@dataclass
class Parsed:
    filters: list[tuple[bool, str, str]]
    """(negated by a preceding --not, flag name, value), in command-line order."""
    values: dict[str, str]
    bools: set[str]
    unsupported: list[str]
    positional: list[str]


def parse_flags(argv: list[str], table: tuple[Flag, ...]) -> Parsed:
    longs = {f.name: f for f in table}
    shorts = {f.short: f for f in table if f.short}
    out = Parsed([], {}, set(), [], [])
    negate = False
    i = 0

    def take(flag: Flag, inline: str | None, shown: str) -> str:
        nonlocal i
        if inline is not None:
            return inline
        if i + 1 >= len(argv):
            raise FlagError(f"flag needs an argument: {shown}")
        i += 1
        return argv[i]

    def record(flag: Flag, value: str | None) -> None:
        nonlocal negate
        if flag.kind == "unsupported":
            out.unsupported.append("--" + flag.name)
            return
        if flag.name == "not":
            if negate:
                raise FlagError("consecutive --not statements")
            negate = True
            return
        if flag.kind == "filter":
            out.filters.append((negate, flag.name, value or ""))
            negate = False
        elif flag.kind == "bool":
            if value not in (None, "true", "false"):
                raise FlagError(f'invalid argument "{value}" for "{flag.label}" flag: strconv.ParseBool: '
                                f'parsing "{value}": invalid syntax')
            if value != "false":
                out.bools.add(flag.name)
        else:
            if flag.kind == "int" and not (value or "").isdigit():
                raise FlagError(f'invalid argument "{value}" for "{flag.label}" flag: strconv.ParseUint: '
                                f'parsing "{value}": invalid syntax')
            out.values[flag.name] = value or ""

    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.positional.extend(argv[i + 1:])
            break
        if arg.startswith("--"):
            name, eq, inline = arg[2:].partition("=")
            flag = longs.get(name)
            if flag is None:
                raise FlagError(f"unknown flag: --{name}")
            value = take(flag, inline if eq else None, f"--{name}") if flag.takes_value else (inline if eq else None)
            record(flag, value)
        elif arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                letter = arg[j]
                flag = shorts.get(letter)
                if flag is None:
                    raise FlagError(f"unknown shorthand flag: '{letter}' in {arg}")
                if flag.takes_value:
                    rest = arg[j + 1:]
                    attached = rest[1:] if rest.startswith("=") else (rest or None)
                    record(flag, take(flag, attached, f"'{letter}' in {arg}"))
                    break
                record(flag, None)
                j += 1
        else:
            out.positional.append(arg)
        i += 1
    return out
