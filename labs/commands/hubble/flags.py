"""hubble's flag table, read by the shared pflag reader and sorted into what `hubble observe` needs.

hubble is a cobra/pflag program, and `--not` applies to the next filter only, so the order of the
filter flags matters: the reader keeps it. Error texts are pflag's (`labs.commands.pflag`), which hubble
prints after `Error: `.
"""

from __future__ import annotations

from dataclasses import dataclass

from labs.commands import pflag
from labs.commands.pflag import FlagError

__all__ = ["Flag", "FlagError", "Parsed", "parse_flags"]

_PFLAG_KIND = {"filter": "string", "value": "string", "int": "uint", "bool": "bool"}
"""How each role is read: hubble's `--last`/`--first` are uint64 flags, filters are custom string Values."""


@dataclass(frozen=True)
class Flag:
    name: str
    short: str | None = None
    kind: str = "filter"
    """filter (repeatable, order kept), value (last one wins), int, bool, or unsupported (known to
    hubble, not modelled by the simulated cluster)."""
    takes_value: bool = True

    def pflag(self) -> pflag.Flag:
        """The flag as the reader sees it; `--not` is a switch (hubble sets NoOptDefVal on its Value)."""
        if self.kind in ("filter", "unsupported") and not self.takes_value:
            kind = "switch"
        else:
            kind = _PFLAG_KIND.get(self.kind, "string")
        return pflag.Flag(self.name, self.short, kind)


@dataclass
class Parsed:
    filters: list[tuple[bool, str, str]]
    """(negated by a preceding --not, flag name, value), in command-line order."""
    values: dict[str, str]
    bools: set[str]
    """Bool flags that are on."""
    switched_off: set[str]
    """Bool flags given as false (`--ip-translation=false`), so a default that is on can be told apart."""
    unsupported: list[str]
    positional: list[str]


def parse_flags(argv: list[str], table: tuple[Flag, ...]) -> Parsed:
    read = pflag.parse(argv, tuple(f.pflag() for f in table))
    roles = {f.name: f.kind for f in table}
    out = Parsed([], {}, set(), set(), [], [*read.args, *(read.after_dash or [])])
    negate = False
    for name, value in read.occurrences:
        role = roles[name]
        if role == "unsupported":
            out.unsupported.append("--" + name)
        elif name == "not":
            if negate:
                raise FlagError("consecutive --not statements")
            negate = True
        elif role == "filter":
            out.filters.append((negate, name, str(value)))
            negate = False
        elif role == "bool":
            (out.bools if value else out.switched_off).add(name)
            (out.switched_off if value else out.bools).discard(name)
        else:
            out.values[name] = str(value)
    if negate:
        raise FlagError("trailing --not found in the arguments")  # hubble observe `handleFlowArgs`
    return out
