"""HTTP rule regexes are RE2, checked and matched with RE2 (google-re2), as Envoy matches them.

Cilium checks `method`, `path` and `host` with Go's regexp (RE2 syntax) when it reads the policy, and
Envoy matches requests with RE2 in full (`safe_regex` with the google_re2 engine). RE2 refuses
repeat counts above 1000, lookaround and back references, has POSIX classes, `\\pL` and `\\z`, and
matches in linear time.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from labs.__main__ import main
from labs.manifests.values import go_regex
from labs.policy.endpoints import Traffic
from labs.policy.model import HTTPRule
from labs.policy.ports import http_rule_matches
from labs.probes import HttpRequest


@pytest.mark.parametrize("pattern", ["/(a+)+$", r"\pL+", r"/api\z", "[[:alpha:]]+", "a{1000}", r"\p{Greek}",
                                     "(?i)get", "(?P<v>v[0-9]+)", r"\Q.*\E", "GET|POST", "/api/v1/.*"])
def test_re2_patterns_are_accepted(pattern):
    assert go_regex(pattern) is None


@pytest.mark.parametrize(("pattern", "reason"), [
    ("a{1001}", "invalid repetition size"),
    ("(?=x)", "lookahead and lookbehind"),
    ("(?<!x)y", "lookahead and lookbehind"),
    (r"(a)\1", "back references"),
    ("a*+", "possessive"),
    ("(?>a)", "atomic"),
    ("[a-", "missing ]"),
    (r"a\C", "Go's regexp"),
    ("x**", "bad repetition operator"),
])
def test_non_re2_patterns_are_refused_with_the_reason(pattern, reason):
    problem = go_regex(pattern)
    assert problem is not None and reason in problem and "RE2" in problem


def matches(pattern: str, path: str) -> bool:
    return http_rule_matches(HTTPRule(path=pattern), Traffic(port=80, http=HttpRequest("GET", path)))


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    # Python's re reads `[[:alpha:]]+` as a set of "[:alph" then "]+", so it refused "abc": a wrong verdict
    ("[[:alpha:]]+", "abc", True),
    ("[[:alpha:]]+", "a:b", False),
    ("[[:alpha:]]+", "::", False),
    (r"\pL+", "héllo", True),
    (r"\pL+", "h3llo", False),
    (r"/api\z", "/api", True),
    (r"/api\z", "/api/", False),
    ("/api/.*", "/api/v1", True),
    ("/api", "/api/v1", False),  # full match, as Envoy's safe_regex
    ("GET|POST", "GET", True),
])
def test_requests_are_matched_as_re2_matches_them(pattern, path, expected):
    assert matches(pattern, path) is expected


def test_nested_repetition_matches_in_linear_time():
    """`/(a+)+$` backtracks exponentially in Python's re (30 characters took 54 s); RE2 does not.

    Run in a child process with a generous limit so that a regression fails instead of hanging.
    """
    code = textwrap.dedent("""
        from labs.policy.endpoints import Traffic
        from labs.policy.model import HTTPRule
        from labs.policy.ports import http_rule_matches
        from labs.probes import HttpRequest
        path = "/" + "a" * 100_000 + "!"
        print(http_rule_matches(HTTPRule(path="/(a+)+$"), Traffic(port=80, http=HttpRequest("GET", path))))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


POLICY = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: re2, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: frontend, app: web}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}], rules: {http: [{method: GET, path: 'PATTERN'}]}}]
"""


@pytest.mark.parametrize(("pattern", "path", "code"), [
    (r"/\pL+\z", "/products", 0),
    (r"/\pL+\z", "/products1", 1),
    ("/[[:alpha:]]+", "/a:b", 1),
    ("/(a+)+$", "/" + "a" * 40 + "b", 1),
])
def test_explain_uses_re2_and_never_crashes(tmp_path, capsys, workloads_yaml, pattern, path, code):
    files = tmp_path / "all.yaml"
    files.write_text(workloads_yaml + "---\n" + POLICY.replace("PATTERN", pattern))
    args = ["explain", "--from", "frontend/web", "--to", "backend/api", "--port", "8080", "--http", "GET", path]
    assert main([*args, str(files)]) == code
    assert "verdict: " + ("allowed" if code == 0 else "l7-denied") in capsys.readouterr().out


def test_undecodable_request_text_is_matched_not_fatal():
    """A path from a command line may hold undecodable bytes (surrogate escapes); RE2 needs UTF-8."""
    assert matches("/.*", "/\udcff") is True
    assert matches("/[a-z]+", "/\udcff") is False
