"""Does a YAML syntax error read in the course's words, at the line and column the trainee must fix?

PyYAML's own wording ("while parsing a block mapping expected <block end>, but found '<block mapping
start>'") was what the policy editor showed, and for a quote or bracket left open it named the line
after the text (where PyYAML gave up), not the line to fix.
"""

from __future__ import annotations

import pytest

from labs.manifests.yaml_errors import explain_yaml_error

POLICY = """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow
spec:
  endpointSelector:
    matchLabels:
      app: test-app
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: busybox
    toPorts:
    - ports:
      - port: "80"
"""

CASES = [
    # (id, written instead, replacing, line, column, words the trainee reads)
    ("key-indented-one-space-too-far", "     toPorts:", "    toPorts:", 13, 6, "indented differently"),
    ("tab-indentation", "\tmatchLabels:", "    matchLabels:", 7, 1, "with a tab"),
    ("quote-never-closed", 'port: "80', 'port: "80"', 15, 15, "quote that opens here is never closed"),
    ("second-colon", "name: allow: x", "name: allow", 4, 14, "A second ':' on this line"),
    ("brace-never-closed", "  endpointSelector: {matchLabels: {app: test-app}",
     "  endpointSelector:\n    matchLabels:\n      app: test-app", 6, 21, "'{' opened here is not closed"),
    ("list-item-outdented", " - fromEndpoints:", "  - fromEndpoints:", 10, 2, "A list item ('- ')"),
    ("key-without-colon", 'kind: CiliumNetworkPolicy\n"quoted" oops', "kind: CiliumNetworkPolicy", 3, 1,
     "key without ':'"),
]


@pytest.mark.parametrize("written, replacing, line, column, words",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_common_mistake_is_placed_and_explained(written, replacing, line, column, words):
    text = POLICY.replace(replacing, written, 1)
    assert text != POLICY
    found = explain_yaml_error(text)
    assert found is not None
    assert (found.line, found.column) == (line, column), found
    assert words in found.message
    for jargon in ("while parsing", "<block", "scalar", "stream"):
        assert jargon not in found.message


def test_valid_yaml_and_a_control_character_are_left_to_the_manifest_loader():
    assert explain_yaml_error(POLICY) is None
    assert explain_yaml_error(POLICY.replace("allow", "al\x07low")) is None


def test_an_unusual_error_is_still_placed_on_a_written_line():
    found = explain_yaml_error("a: 1\nb: *nowhere\n")
    assert found is not None and (found.line, found.column) == (2, 4)
    assert found.message.startswith("The text stops being YAML here (") and "nowhere" in found.message

