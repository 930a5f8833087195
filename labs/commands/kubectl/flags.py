"""A command-line parser shaped like kubectl's (spf13/pflag), so the same lines parse and fail the same way.

Why not argparse: pflag accepts flags anywhere among the arguments, `-oyaml`, `-n=x`, `--namespace x`,
`--flag=value`, bool flags as `--all-namespaces=false`, stops at `--`, never abbreviates long names, and its
errors read `error: unknown flag: --foo` / `unknown shorthand flag: 'x' in -x`. kubectl then adds
`See 'kubectl <verb> --help' for usage.` (k8s.io/kubectl pkg/cmd/util/helpers.go, `UsageErrorf` and the
cobra flag-error function set in pkg/cmd/cmd.go).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Flag", "FlagError", "Parsed", "parse", "GLOBAL_FLAGS"]


@dataclass(frozen=True)
class Flag:
    name: str
    shorthand: str | None = None
    kind: str = "string"
    """`string` (last wins), `list` (repeatable, values collected), `bool`, `int`."""
    default: object = None


class FlagError(ValueError):
    """A usage error; the message is pflag's text (without the `error: ` prefix)."""


@dataclass
class Parsed:
    values: dict[str, object] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    after_dash: list[str] | None = None
    """Arguments after `--` (None when there was no `--`)."""
    given: set[str] = field(default_factory=set)

    def get(self, name: str, default: object = None) -> object:
        return self.values.get(name, default)


GLOBAL_FLAGS = (
    Flag("namespace", "n"),
    Flag("kubeconfig"),
    Flag("context"),
    Flag("request-timeout"),
)
"""kubectl's persistent flags the simulated cluster accepts (the kubeconfig ones are ignored there)."""

_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_FALSE = {"0", "f", "F", "false", "FALSE", "False"}


def _set(parsed: Parsed, flag: Flag, value: str, shown: str) -> None:
    if flag.kind == "bool":
        if value in _TRUE:
            parsed.values[flag.name] = True
        elif value in _FALSE:
            parsed.values[flag.name] = False
        else:
            raise FlagError(f'invalid argument "{value}" for "{shown}" flag: strconv.ParseBool: parsing '
                            f'"{value}": invalid syntax')
    elif flag.kind == "int":
        try:
            parsed.values[flag.name] = int(value)
        except ValueError:
            raise FlagError(f'invalid argument "{value}" for "{shown}" flag: strconv.ParseInt: parsing '
                            f'"{value}": invalid syntax') from None
    elif flag.kind == "list":
        current = parsed.values.setdefault(flag.name, [])
        assert isinstance(current, list)
        current.append(value)
    else:
        parsed.values[flag.name] = value
    parsed.given.add(flag.name)


def _shown(flag: Flag) -> str:
    return f"-{flag.shorthand}, --{flag.name}" if flag.shorthand else f"--{flag.name}"


def parse(argv: list[str], flags: tuple[Flag, ...], *, stop_at_first_arg: bool = False) -> Parsed:
    """Parse like pflag with interspersed arguments; raises FlagError with pflag's message."""
    by_name = {f.name: f for f in flags}
    by_short = {f.shorthand: f for f in flags if f.shorthand}
    parsed = Parsed(values={f.name: f.default for f in flags if f.default is not None})
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            parsed.after_dash = argv[i:]
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
            flag = by_name.get(name)
            if flag is None:
                raise FlagError(f"unknown flag: --{name}")
            if eq:
                _set(parsed, flag, value, _shown(flag))
            elif flag.kind == "bool":
                _set(parsed, flag, "true", _shown(flag))
            else:
                if i >= len(argv):
                    raise FlagError(f"flag needs an argument: --{name}")
                _set(parsed, flag, argv[i], _shown(flag))
                i += 1
            continue
        if arg.startswith("-") and len(arg) > 1:
            shorts = arg[1:]
            j = 0
            while j < len(shorts):
                c = shorts[j]
                flag = by_short.get(c)
                if flag is None:
                    raise FlagError(f"unknown shorthand flag: '{c}' in {arg}")
                rest = shorts[j + 1:]
                if flag.kind == "bool":
                    if rest.startswith("="):
                        _set(parsed, flag, rest[1:], _shown(flag))
                        break
                    _set(parsed, flag, "true", _shown(flag))
                    j += 1
                    continue
                if rest:
                    _set(parsed, flag, rest[1:] if rest.startswith("=") else rest, _shown(flag))
                elif i < len(argv):
                    _set(parsed, flag, argv[i], _shown(flag))
                    i += 1
                else:
                    raise FlagError(f"flag needs an argument: '{c}' in -{c}")
                break
            continue
        parsed.args.append(arg)
        if stop_at_first_arg:
            parsed.args.extend(argv[i:])
            break
    return parsed
