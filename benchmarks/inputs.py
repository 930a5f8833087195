"""Benchmark: hostile inputs are answered as fast as ordinary ones; the API-server YAML reading costs little.

Run on demand: `python benchmarks/inputs.py [--repeat N]`. Every figure is a ratio to a baseline
measured in the same run; nothing here passes or fails.

- refusing a billion-laughs document (396 bytes, 9**9 nodes if expanded) vs reading an ordinary
  manifest of the same size;
- refusing 10,000-deep flow nesting vs reading a flat document of the same size;
- RE2 matching `/(a+)+$` against a 100,000-character path that fails at the end vs matching `/.*`;
- reading every course manifest with the loader's YAML reader (go-yaml rules, lines, alias
  counting) vs PyYAML's `safe_load_all` of the same text.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labs.manifests.yaml_lines import YamlSyntaxError, parse_documents
from labs.policy.endpoints import Traffic
from labs.policy.model import HTTPRule
from labs.policy.ports import http_rule_matches
from labs.probes import HttpRequest

BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


def _best(action, repeat: int) -> float:
    """Best wall time of `repeat` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def _refused(text: str):
    def run() -> None:
        try:
            parse_documents(text)
        except YamlSyntaxError:
            return
        raise AssertionError("expected a refusal")
    return run


def _ordinary(size: int) -> str:
    lines, n = [], 0
    while sum(len(line) for line in lines) < size:
        lines.append(f"key{n}: [value-{n}, {n}, other]\n")
        n += 1
    return "".join(lines)


def _match(pattern: str, path: str):
    rule, traffic = HTTPRule(path=pattern), Traffic(port=80, http=HttpRequest("GET", path))
    return lambda: http_rule_matches(rule, traffic)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repeat = args.repeat

    bomb = _best(_refused(BOMB), repeat)
    plain = _best(lambda: parse_documents(_ordinary(len(BOMB))), repeat)
    print(f"billion laughs ({len(BOMB)} B) refused in {bomb * 1000:.1f} ms; ordinary {len(BOMB)} B read in "
          f"{plain * 1000:.1f} ms; ratio {bomb / plain:.1f}")

    deep_text = "a: " + "[" * 10_000 + "]" * 10_000 + "\n"
    deep = _best(_refused(deep_text), repeat)
    flat = _best(lambda: parse_documents(_ordinary(len(deep_text))), repeat)
    print(f"10,000-deep nesting ({len(deep_text)} B) refused in {deep * 1000:.1f} ms; ordinary text of that size "
          f"read in {flat * 1000:.1f} ms; ratio {deep / flat:.2f}")

    path = "/" + "a" * 100_000 + "!"
    nested = _best(_match("/(a+)+$", path), repeat)
    simple = _best(_match("/.*", path), repeat)
    print(f"RE2 /(a+)+$ on {len(path)} characters: {nested * 1000:.2f} ms; /.* on the same: {simple * 1000:.2f} ms; "
          f"ratio {nested / simple:.1f}")

    texts = [p.read_text() for p in sorted((Path(__file__).resolve().parents[1] / "manifests").rglob("*.yaml"))]
    size = sum(len(t) for t in texts)
    ours = _best(lambda: [parse_documents(t) for t in texts], repeat)
    pyyaml = _best(lambda: [list(yaml.safe_load_all(t)) for t in texts], repeat)
    print(f"course manifests ({len(texts)} files, {size / 1024:.0f} KiB): loader's reader {ours * 1000:.0f} ms, "
          f"PyYAML safe_load_all {pyyaml * 1000:.0f} ms; ratio {ours / pyyaml:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
