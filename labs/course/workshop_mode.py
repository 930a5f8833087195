"""Workshop mode for lab sessions: with `LABS_TRAINEE` set, course files are applied as the trainee's copy.

Every workload, policy, exercise and solution file goes through `labs.workshop.adapt_text` (namespaces
prefixed, `alice-frontend`), and lab.yaml through `adapt_lab_spec` before it is read. Without
`LABS_TRAINEE` nothing changes and files are passed on as paths, so messages keep naming them. On a
shared cluster a trainee owns the contents of their namespaces, not the namespaces: a reset empties them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

import yaml

__all__ = ["workshop_trainee", "course_sources", "course_text", "adapt_spec", "without_namespaces"]


def workshop_trainee() -> str | None:
    """The trainee's name when workshop mode is on (`LABS_TRAINEE`), else None."""
    return os.environ.get("LABS_TRAINEE", "").strip() or None


def course_text(path: Path) -> str:
    """A course or trainee file's YAML as this trainee applies it (unchanged outside workshop mode)."""
    from labs.workshop import adapt_text

    return adapt_text(path.read_text(encoding="utf-8"), name=str(path))


def course_sources(paths: Iterable[Path]) -> list[str]:
    """What `Cluster.apply` gets: the paths, or in workshop mode the trainee's YAML texts (empty ones left out)."""
    paths = list(paths)
    if workshop_trainee() is None:
        return [str(p) for p in paths]
    return [text for text in (course_text(p) for p in paths) if text.strip()]


def adapt_spec(data: Any, *, name: str) -> Any:
    """A lab.yaml mapping with probes in the trainee's namespaces (unchanged outside workshop mode)."""
    if workshop_trainee() is None or not isinstance(data, dict):
        return data
    from labs.workshop import adapt_lab_spec

    return adapt_lab_spec(data, name=name)


def without_namespaces(texts: Iterable[str]) -> list[str]:
    """The same YAML texts minus their Namespace documents (what a trainee may delete on reset)."""
    out = []
    for text in texts:
        docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict) and d.get("kind") != "Namespace"]
        if docs:
            out.append(yaml.safe_dump_all(docs, sort_keys=False))
    return out
