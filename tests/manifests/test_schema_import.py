"""Validating a Kubernetes object does not compile jsonschema's rfc3987 grammar (a second per kernel)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import sys
    from labs.manifests import load_text
    from labs.manifests.errors import ManifestError
    load_text("apiVersion: v1\\nkind: Namespace\\nmetadata: {name: shop}\\n", name="ns.yaml")
    try:
        load_text("apiVersion: v1\\nkind: Namespace\\nmetadata: {name: shop, colour: red}\\n", name="bad.yaml")
    except ManifestError as exc:
        print("rejected:", "colour" in str(exc))
    print("loaded:", "rfc3987_syntax" in sys.modules)
    import rfc3987_syntax
    print("importable:", rfc3987_syntax.__name__)
""")


@pytest.mark.skipif(importlib.util.find_spec("rfc3987_syntax") is None, reason="rfc3987_syntax is not installed")
def test_schema_validation_skips_the_grammar_and_leaves_it_importable():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.splitlines() == ["rejected: True", "loaded: False", "importable: rfc3987_syntax"]
