"""The engine's one cache: each step's result stored under the step and its exact arguments.

The engine's steps (`labs.policy.decide`) are pure: a result depends on the arguments alone (and on
the immutable rules a step is bound to, which own their `Memo`). So the key is built here from the
arguments, never by hand, and a step that starts depending on something new must take it as an
argument, which puts it in the key. `Memo(enabled=False)` runs every step from scratch: the baseline
the benchmark measures against, and what the sameness test compares with.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

__all__ = ["Memo"]


class Memo:
    """Results of pure steps: one table per bound step, keyed by the tuple of the remaining arguments."""

    __slots__ = ("_tables", "enabled")

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._tables: dict[str, dict[tuple, Any]] = {}

    def cached(self, step: Callable[..., Any], *bound: Any) -> Callable[..., Any]:
        """`step` with its first arguments fixed to `bound`, each result kept under the other arguments."""
        if not self.enabled:
            return partial(step, *bound) if bound else step
        name = step.__name__
        if name in self._tables:
            raise ValueError(f"step {name!r} is cached twice in one Memo")
        table: dict[tuple, Any] = {}
        self._tables[name] = table

        def call(*args: Any) -> Any:
            try:
                return table[args]
            except KeyError:
                pass
            except TypeError:  # an unhashable argument (e.g. HTTP headers given as a list): computed every time
                return step(*bound, *args)
            result = table[args] = step(*bound, *args)
            return result

        call.__name__ = call.__qualname__ = f"cached {name}"
        return call

    def clear(self) -> None:
        for table in self._tables.values():
            table.clear()

    def sizes(self) -> dict[str, int]:
        """Entries per step, by step name: what the cache holds, for tests and benchmarks."""
        return {name: len(table) for name, table in self._tables.items()}
