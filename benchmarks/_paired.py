"""Figures of two commands timed in pairs in the same run: per side min/median, ratios of medians and minimums.

A pair is one run of the baseline and one of the candidate, back to back; rounds of pairs alternate the
two for the whole run, so a machine whose speed drifts (other jobs starting and stopping) slows both
sides alike. The ratio of medians resists one slow or one lucky run; the ratio of minimums is each
side's least disturbed run; the median of the per-pair ratios keeps the pairing itself.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Sequence

__all__ = ["Timing", "PairedFigures", "paired_figures", "format_figures"]


@dataclass(frozen=True)
class Timing:
    """One whole-process run: wall seconds from start to exit, CPU seconds (user + system) of the child."""

    wall: float
    cpu: float


@dataclass(frozen=True)
class Side:
    """min, median and max of one command's runs in one measure."""

    min: float
    median: float
    max: float


@dataclass(frozen=True)
class Measure:
    """One measure (wall or CPU) of a paired run: both sides and the ratios baseline / candidate."""

    baseline: Side
    candidate: Side
    ratio_of_medians: float
    ratio_of_minimums: float
    median_pair_ratio: float


@dataclass(frozen=True)
class PairedFigures:
    rounds: int
    wall: Measure
    cpu: Measure


def _side(values: Sequence[float]) -> Side:
    return Side(min(values), statistics.median(values), max(values))


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("inf")


def _measure(baseline: Sequence[float], candidate: Sequence[float]) -> Measure:
    b, c = _side(baseline), _side(candidate)
    pairs = [_ratio(x, y) for x, y in zip(baseline, candidate)]
    return Measure(b, c, _ratio(b.median, c.median), _ratio(b.min, c.min), statistics.median(pairs))


def paired_figures(pairs: Sequence[tuple[Timing, Timing]]) -> PairedFigures:
    """Figures of (baseline, candidate) pairs; ratios say how many times faster the candidate is."""
    if not pairs:
        raise ValueError("no paired rounds to summarise")
    base, cand = [b for b, _ in pairs], [c for _, c in pairs]
    return PairedFigures(
        rounds=len(pairs),
        wall=_measure([t.wall for t in base], [t.wall for t in cand]),
        cpu=_measure([t.cpu for t in base], [t.cpu for t in cand]),
    )


def format_figures(figures: PairedFigures, baseline: str, candidate: str) -> list[str]:
    """Printable lines: each side's min/median/max, then the ratios, for wall and CPU time."""
    lines = []
    for name, m in (("wall", figures.wall), ("CPU", figures.cpu)):
        for who, side in ((candidate, m.candidate), (baseline, m.baseline)):
            lines.append(f"{who} {name} (s): min {side.min:.2f}, median {side.median:.2f}, max {side.max:.2f} "
                         f"({figures.rounds} rounds)")
        lines.append(f"ratio {baseline}/{candidate}, {name}: {m.ratio_of_medians:.1f}x of medians, "
                     f"{m.ratio_of_minimums:.1f}x of minimums, {m.median_pair_ratio:.1f}x median of the "
                     f"{figures.rounds} pairs")
    return lines
