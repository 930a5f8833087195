"""One probe of a lab step: what to try (a `labs.probes.Probe`) and which outcome is expected.

Read by `labs.probe_entry`, the one reader of the probe format, so a lab step reads like a scenario file:
`{from: ns/pod, to: TARGET, port: N, protocol: TCP, http: {method, path, headers}, dns: NAME,
expect: OUTCOME}`; `from` may also be `world` or `host` (outside the pod network, see `labs.probes`).
Additions for teaching: `expect` may list several acceptable outcomes (capstone answers differ in
where they stop a connection), pitfall probes carry `intended`,
what the policy's author meant, next to `expect`, what really happens, and an exercise probe may carry
a `hint`: the mistake it catches, shown when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from labs.manifests.yaml_lines import format_path
from labs.outcomes import Outcome
from labs.probe_entry import LAB_STEP_RULES, EntryProblem, read_probe_entry
from labs.probes import Probe

__all__ = ["ProbeSpec", "parse_probe", "read_probe"]


@dataclass(frozen=True)
class ProbeSpec:
    probe: Probe
    expect: tuple[Outcome, ...]
    """Acceptable outcomes (usually one)."""
    intended: Outcome | None = None
    """Pitfall probes: what the author of the wrong policy wanted."""
    line: int | None = None
    hint: str | None = None
    """Exercise probes: the mistake this probe catches, said to the trainee when it fails."""

    def at(self, line: int) -> ProbeSpec:
        return replace(self, line=line)

    @property
    def expect_text(self) -> str:
        return " or ".join(o.value for o in self.expect)

    def accepts(self, outcome: Outcome) -> bool:
        return outcome in self.expect

    @property
    def label(self) -> str:
        return self.probe.describe()


def read_probe(raw: Any, *, pitfall: bool = False) -> tuple[ProbeSpec | None, list[EntryProblem]]:
    """One lab-step probe and every problem with it (the field inside the entry, and what is wrong)."""
    entry, problems = read_probe_entry(raw, LAB_STEP_RULES.for_pitfall() if pitfall else LAB_STEP_RULES)
    if entry is None:
        return None, problems
    return ProbeSpec(probe=entry.probe, expect=entry.expect, intended=entry.intended, hint=entry.hint), []


def parse_probe(raw: Any, *, pitfall: bool = False) -> ProbeSpec:
    """Turn one YAML probe mapping into a ProbeSpec; ValueError says `field: what is wrong` for the first problem."""
    spec, problems = read_probe(raw, pitfall=pitfall)
    if spec is None:
        first = problems[0]
        field = format_path(first.path)
        raise ValueError(f"{field}: {first.message}" if field else first.message)
    return spec
