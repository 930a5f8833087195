"""Is the test tree collectable as one suite? (pytest imports test modules by their base name.)"""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_test_module_names_are_unique():
    names = Counter(p.name for p in TESTS.rglob("test_*.py"))
    duplicates = sorted(name for name, count in names.items() if count > 1)
    assert not duplicates, f"test modules must have unique file names across tests/: {duplicates}"
