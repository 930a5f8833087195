"""What `lab.matrix()` shows, as text and as the notebook table, against golden files.

The golden files hold the exact display of lab 03 on the simulated backend: one step as meant, and
the same step after a policy the step does not expect, so observed cells differ from expected ones
and carry the mismatch mark (`*` in text, a cross and "expected ..." in the table). After a deliberate
change of the display, regenerate with `MATRIX_UPDATE_GOLDEN=1 pytest tests/course/test_matrix_display.py`
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
LAB = "03-identity-default-deny"
DENY_TEST_APP = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: lock-test-app, namespace: identity}
spec:
  endpointSelector: {matchLabels: {app: test-app}}
  ingress: [{}]
"""


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MATRIX_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


@pytest.fixture
def lab03(open_sim):
    return open_sim(LAB)


def test_matrix_as_meant_shows_no_mismatch(lab03):
    matrix = lab03.matrix("identities")
    assert not matrix.mismatches
    _check("matrix-identities.txt", repr(matrix) + "\n")
    _check("matrix-identities.html", matrix._repr_html_() + "\n")


def test_matrix_marks_every_cell_that_is_not_as_expected(lab03, tmp_path):
    lab03.matrix("identities")
    policy = tmp_path / "lock.yaml"
    policy.write_text(DENY_TEST_APP, encoding="utf-8")
    assert lab03.apply(policy).ok
    matrix = lab03.matrix()
    assert matrix.mismatches  # the step expects test-app reachable; the extra policy drops it
    _check("matrix-identities-mismatch.txt", repr(matrix) + "\n")
    _check("matrix-identities-mismatch.html", matrix._repr_html_() + "\n")
