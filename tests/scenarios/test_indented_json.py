"""The verify report's JSON writer gives exactly what `json.dumps(..., indent=n)` gives."""

from __future__ import annotations

import json
import random

import pytest

from labs.scenarios.indented_json import dumps_indented

SAMPLES = [
    {}, [], "", None, True, False, 0, -7, 10**30, "é\u2028\"\\\n\t\x00", {"a": {}, "b": [], "c": [[]], "d": [{}]},
    {"x": 1.5}, {1: "int key"}, {"nan": float("nan")}, {"set": {1}}, ("tuple", [1, (2, 3)]),
    {"scenarios": [{"name": "n", "probes": [{"from": "a/b", "port": 80, "http": None, "ok": True,
                                              "headers": {"X-A": "1"}}]}], "passed": 1},
]


@pytest.mark.parametrize("value", SAMPLES, ids=range(len(SAMPLES)))
@pytest.mark.parametrize("indent", [1, 2, 4])
def test_samples(value, indent):
    try:
        expected = json.dumps(value, indent=indent)
    except TypeError:
        with pytest.raises(TypeError):
            dumps_indented(value, indent)
        return
    assert dumps_indented(value, indent) == expected


def _random(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth > 4 or r < 0.5:
        return rng.choice([None, True, False, 0, 1, -3, 2**70, "", "text", "ü\u00ff\U0001f600", "q\"b\\", 2.5])
    if r < 0.75:
        return [_random(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["a", "b", "ç", "", "key with space"]) + str(i): _random(rng, depth + 1)
            for i in range(rng.randint(0, 4))}


def test_random_values():
    rng = random.Random(18)
    for _ in range(2000):
        value = _random(rng)
        assert dumps_indented(value) == json.dumps(value, indent=1)
