"""The `labs verify` vs NCA benchmark's pairing: figures per side and ratios from rounds of the same run.

No timing is asserted. The pairing arithmetic is checked on chosen figures; the whole benchmark runs
once at a tiny size against a stand-in `nca` (a script printing no connection, so NCA "drops"
everything), which proves each round pairs one nca run with one `labs verify` run and that
disagreements are reported and make the exit status 1. The real NCA is never installed or run here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from labs.paths import repo_root

if str(repo_root()) not in sys.path:
    sys.path.insert(0, str(repo_root()))

from benchmarks import verify as bench
from benchmarks._paired import Timing, format_figures, paired_figures


def test_ratios_of_medians_minimums_and_pairs():
    pairs = [(Timing(10.0, 9.0), Timing(1.0, 0.5)),
             (Timing(30.0, 12.0), Timing(2.0, 1.0)),
             (Timing(20.0, 10.0), Timing(5.0, 2.0))]
    fig = paired_figures(pairs)
    assert fig.rounds == 3
    assert (fig.wall.baseline.min, fig.wall.baseline.median, fig.wall.baseline.max) == (10.0, 20.0, 30.0)
    assert (fig.wall.candidate.min, fig.wall.candidate.median, fig.wall.candidate.max) == (1.0, 2.0, 5.0)
    assert fig.wall.ratio_of_medians == 10.0
    assert fig.wall.ratio_of_minimums == 10.0
    assert fig.wall.median_pair_ratio == 10.0  # pairs: 10, 15, 4
    assert fig.cpu.ratio_of_medians == 10.0 / 1.0
    assert fig.cpu.ratio_of_minimums == 9.0 / 0.5
    assert fig.cpu.median_pair_ratio == 12.0  # pairs: 18, 12, 5


def test_pair_ratio_is_taken_within_each_pair():
    # the candidate's slow run falls in the baseline's slow round: per-pair ratios stay equal
    pairs = [(Timing(10.0, 1.0), Timing(1.0, 1.0)), (Timing(100.0, 1.0), Timing(10.0, 1.0))]
    assert paired_figures(pairs).wall.median_pair_ratio == 10.0


def test_no_rounds_is_refused():
    with pytest.raises(ValueError, match="no paired rounds"):
        paired_figures([])


def test_format_names_both_sides_and_measures():
    lines = format_figures(paired_figures([(Timing(8.0, 4.0), Timing(2.0, 1.0))]), "nca", "labs verify")
    text = "\n".join(lines)
    assert "labs verify wall (s): min 2.00, median 2.00, max 2.00 (1 rounds)" in text
    assert "nca CPU (s): min 4.00, median 4.00, max 4.00 (1 rounds)" in text
    assert "ratio nca/labs verify, wall: 4.0x of medians, 4.0x of minimums, 4.0x median of the 1 pairs" in text
    assert "ratio nca/labs verify, CPU: 4.0x of medians" in text


def test_rounds_must_be_positive(capsys):
    with pytest.raises(SystemExit) as err:
        bench.main(["--rounds", "0"])
    assert err.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_tiny_run_pairs_rounds_against_a_stand_in_nca(tmp_path: Path, capsys):
    venv = tmp_path / "nca-venv"
    (venv / "bin").mkdir(parents=True)
    calls = tmp_path / "calls"
    fake = venv / "bin" / "nca"
    fake.write_text(f"#!/bin/sh\necho run >> {calls}\nexit 0\n")
    fake.chmod(0o755)
    code = bench.main(["--namespaces", "2", "--apps", "2", "--policies", "4", "--rounds", "2",
                       "--nca-venv", str(venv)])
    out = capsys.readouterr().out
    assert calls.read_text().count("run") == 2  # one nca run per round, the first giving the expectations
    assert "round 1: nca" in out and "round 2: nca" in out and "round 3" not in out
    assert "ratio nca/labs verify, wall:" in out and "ratio nca/labs verify, CPU:" in out
    assert "(2 rounds)" in out
    # the stand-in allows nothing, so every probe labs verify allows is a disagreement
    assert "DISAGREE" in out
    assert code == 1


def test_a_stopped_run_prints_the_figures_of_its_finished_rounds(tmp_path: Path, capsys, monkeypatch):
    venv = tmp_path / "nca-venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "nca"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    real = bench._timed
    calls = []

    def timed(cmd, timeout, cwd=None):
        calls.append(cmd)
        if len(calls) == 3:  # round 2's nca: as if SIGTERM arrived while it ran
            raise KeyboardInterrupt
        return real(cmd, timeout, cwd=cwd)

    monkeypatch.setattr(bench, "_timed", timed)
    code = bench.main(["--namespaces", "2", "--apps", "2", "--policies", "4", "--rounds", "3",
                       "--nca-venv", str(venv)])
    out = capsys.readouterr().out
    assert "stopped during round 2; the figures below are those of the 1 finished rounds" in out
    assert "(1 rounds)" in out and "ratio nca/labs verify, CPU:" in out
    assert code == 1
