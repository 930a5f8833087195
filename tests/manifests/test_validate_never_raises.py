"""Property: `labs validate` answers every input with a verdict, never an exception, in under a second.

The second is per input, after the one-time loading of the Kubernetes schemas (done by a fixture
first). Fuzz budget: by default 150 examples of arbitrary bytes, 150 of YAML-alphabet text and 150 generated
manifests (inputs up to 2 kB), a few seconds in all. `LABS_FUZZ_BUDGET=long` runs the `slow`
variant with 3000 examples of each (a few minutes; not part of the default suite).
"""

from __future__ import annotations

import argparse
import io
import os
import time
from contextlib import redirect_stdout, suppress
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labs.manifests import ManifestError, ManifestSet, load_sources
from labs.manifests.cli import run

SMALL_INPUT_SECONDS = 1.0
DEFAULT_EXAMPLES = 150
LONG_EXAMPLES = 3000
LONG = os.environ.get("LABS_FUZZ_BUDGET") == "long"

YAML_ALPHABET = st.sampled_from(list("abkindy0189:-[]{}&*!|>'\"#\n\n  ,?<%@`~.\t\\/=") + ["\x00", "\x1b", "é", "\ufeff",
                                                                                           "<<", "---", "...",
                                                                                           "apiVersion: v1\n",
                                                                                           "kind: ConfigMap\n"])
KIND_LIST = [("v1", "ConfigMap"), ("v1", "Namespace"), ("v1", "Service"), ("apps/v1", "Deployment"),
             ("networking.k8s.io/v1", "NetworkPolicy"), ("cilium.io/v2", "CiliumNetworkPolicy"),
             ("cilium.io/v2", "CiliumClusterwideNetworkPolicy"), ("cilium.io/v2", "CiliumNode"), ("v1", "List")]
KINDS = st.sampled_from(KIND_LIST)
KEYS = st.sampled_from(["metadata", "name", "labels", "spec", "podSelector", "matchLabels", "ingress", "from",
                        "ports", "port", "protocol", "endpointSelector", "toPorts", "rules", "http", "path",
                        "data", "items", "selector", "matchExpressions", "values", "listener", "y", "x"])
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2, 70_000), st.floats(allow_nan=True),
                   st.text(max_size=12), st.sampled_from(["(a+)+$", r"\pL", "a{1001}", "10.0.0.0/8", "TCP", "y"]))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(KEYS, inner, max_size=4)), max_leaves=25)


@pytest.fixture(scope="module", autouse=True)
def schemas_loaded():
    """Read each kind's schema once, so that the time limit measures the input, not the first import."""
    for kind in KIND_LIST:
        with suppress(ManifestError):
            load_sources([manifest_bytes(kind, {}, "warm").decode()])


def check(tmp_path: Path, data: bytes) -> None:
    """The loader and the CLI answer within the time limit, with objects or located problems only."""
    path = tmp_path / "input.yaml"
    path.write_bytes(data)
    start = time.perf_counter()
    try:
        result = load_sources([path])
    except ManifestError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        str(exc)
    else:
        assert isinstance(result, ManifestSet)
    with redirect_stdout(io.StringIO()):
        code = run(argparse.Namespace(files=[str(path)], json=False, namespace="default"))
    assert code in (0, 2)
    elapsed = time.perf_counter() - start
    assert elapsed < SMALL_INPUT_SECONDS, f"{elapsed:.2f} s for {len(data)} bytes"


def manifest_bytes(kind: tuple[str, str], body: object, name: str) -> bytes:
    document = {"apiVersion": kind[0], "kind": kind[1], "metadata": {"name": name}}
    if isinstance(body, dict):
        document.update(body)
    else:
        document["spec"] = body
    return yaml.safe_dump(document, allow_unicode=True).encode()


def budget(examples: int):
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


@budget(DEFAULT_EXAMPLES)
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes(tmp_path, data):
    check(tmp_path, data)


@budget(DEFAULT_EXAMPLES)
@given(parts=st.lists(YAML_ALPHABET, max_size=400))
def test_arbitrary_yaml_text(tmp_path, parts):
    check(tmp_path, "".join(parts).encode("utf-8", "surrogatepass"))


@budget(DEFAULT_EXAMPLES)
@given(kind=KINDS, body=VALUES, name=st.text(max_size=10))
def test_generated_manifests(tmp_path, kind, body, name):
    check(tmp_path, manifest_bytes(kind, body, name))


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long fuzz budget: set LABS_FUZZ_BUDGET=long")
@budget(LONG_EXAMPLES)
@given(data=st.one_of(st.binary(max_size=2048), st.lists(YAML_ALPHABET, max_size=400).map(
    lambda parts: "".join(parts).encode()), st.builds(manifest_bytes, KINDS, VALUES, st.text(max_size=10))))
def test_long_budget(tmp_path, data):
    check(tmp_path, data)
