"""Every Kubernetes document the course ships or tests, one entry per YAML document with where it came from.

Sources: tests/manifests/{valid,invalid}/*.yaml, the `policies:` text of every scenario in tests/scenarios/,
and the course's manifests/<lab>/**.yaml (lab.yaml, the lab's description, is not a manifest). Documents are
cut from the raw text at `---` lines so both sides see exactly what was written, duplicate keys included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.M)


@dataclass(frozen=True)
class CorpusDocument:
    key: str
    """`<path relative to the repository>#<index>`, the id in test names and in the disagreement list."""
    text: str

    def parsed(self) -> Any:
        """The document as PyYAML reads it (last duplicate key wins), or None when it is not YAML."""
        try:
            return yaml.safe_load(self.text)
        except yaml.YAMLError:
            return None


def split_documents(text: str) -> list[str]:
    parts = _SEPARATOR.split(text)
    return [p for p in parts if p.strip() and any(line.strip() and not line.lstrip().startswith("#")
                                                  for line in p.splitlines())]


def _from_text(label: str, text: str) -> list[CorpusDocument]:
    return [CorpusDocument(f"{label}#{i}", doc) for i, doc in enumerate(split_documents(text))]


def corpus() -> list[CorpusDocument]:
    docs: list[CorpusDocument] = []
    for folder in ("valid", "invalid"):
        for path in sorted((REPO / "tests" / "manifests" / folder).glob("*.yaml")):
            docs += _from_text(str(path.relative_to(REPO)), path.read_text())
    for path in sorted((REPO / "tests" / "scenarios").glob("*.yaml")):
        scenario = yaml.safe_load(path.read_text()) or {}
        if scenario.get("policies"):
            docs += _from_text(f"{path.relative_to(REPO)}:policies", scenario["policies"])
    for path in sorted((REPO / "manifests").rglob("*.yaml")):
        if path.name in ("lab.yaml", "quiz.yaml"):  # the course's own files, not Kubernetes objects
            continue
        docs += _from_text(str(path.relative_to(REPO)), path.read_text())
    return docs
