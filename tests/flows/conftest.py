from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def sample_lines() -> list[str]:
    return (DATA / "sample.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def sample_records(sample_lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in sample_lines]
