"""The list of documents on which `labs validate` and the real API server disagree stays true without a cluster.

tests/realcluster/disagreements.yaml marks strict xfails for tests/realcluster/test_differential.py, which only
runs where a local cluster can start. These checks run everywhere: every entry still names a file, the
validator still gives the listed verdict with the listed message (a stale entry would otherwise hide until the
next real-cluster run), and no entry says the validator is stricter than Cilium 1.19, which the course does not
allow: `labs validate` accepts what the API server and the agent accept.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

from labs.manifests import ManifestError, load_text

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "realcluster"))
from realcluster_corpus import corpus  # noqa: E402

ENTRIES = yaml.safe_load((REPO / "tests" / "realcluster" / "disagreements.yaml").read_text())["disagreements"]
DOCS = {d.key: d for d in corpus()}
ACCEPTED_BY_CILIUM = REPO / "tests" / "manifests" / "valid" / "cilium-1.19-accepted.yaml"


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _verdict(key: str) -> tuple[str, str]:
    try:
        load_text(DOCS[key].text, name=key)
    except ManifestError as exc:
        return "reject", "; ".join(str(p) for p in exc.problems)
    return "accept", ""


def test_no_entry_says_the_validator_is_stricter_than_cilium():
    stricter = [e["key"] for e in ENTRIES if e["class"] == "validator-stricter"]
    assert stricter == [], f"the validator rejects what Cilium 1.19 accepts: {stricter}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["key"] for e in ENTRIES])
def test_entry_still_describes_the_validator(entry):
    assert entry["key"] in DOCS, f"{entry['key']} names no document of the corpus"
    verdict, message = _verdict(entry["key"])
    assert verdict == entry["validator"], f"{entry['key']}: the validator now says {verdict}; fix the entry"
    listed_field = _flat(entry["validator_message"]).split(": ", 1)[0]
    if " " in listed_field:  # a problem of the whole document: no field path, compare the sentence's start
        listed_field = listed_field[:40]
    assert listed_field in _flat(message), (
        f"{entry['key']}: the listed message names {listed_field!r}; the validator now says: {message}")
    if entry["class"] == "agent-refuses":
        assert re.search(r"\.go(:\d+)?\b", entry["why"]), f"{entry['key']}: cite the agent's source file"


@pytest.mark.parametrize("name", ["end-port-below-port", "kafka-rules", "dns-end-port-below-port"])
def test_cilium_accepts_what_the_validator_once_refused(name):
    """Issue 17's two false rejections (and the DNS variant of the first) are accepted."""
    docs = [d for d in DOCS.values() if d.key.startswith(str(ACCEPTED_BY_CILIUM.relative_to(REPO)))]
    doc = next(d for d in docs if f"name: {name}\n" in d.text)
    assert _verdict(doc.key) == ("accept", "")
