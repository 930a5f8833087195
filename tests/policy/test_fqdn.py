"""Do matchName / matchPattern behave exactly like Cilium's matchpattern package?"""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labs.policy.fqdn import matches_name, matches_pattern, normalize_name

CASES = [
    ("*.stripe.com", "api.stripe.com", True),
    ("*.stripe.com", "stripe.com", False),
    ("*.stripe.com", "a.b.stripe.com", False),
    ("*.stripe.com", "API.Stripe.COM.", True),
    ("*stripe.com", "stripe.com", True),
    ("*stripe.com", "xstripe.com", True),
    ("*stripe.com", "www.stripe.com", False),
    ("**.stripe.com", "a.stripe.com", True),
    ("**.stripe.com", "a.b.stripe.com", True),
    ("**.stripe.com", "stripe.com", False),
    ("*", "anything.example.org", True),
    ("api.*.com", "api.x.com", True),
    ("api.*.com", "api.x.y.com", False),
    ("sub.cilium.io", "sub.cilium.io", True),
    ("sub.cilium.io", "subXcilium.io", False),
]


@pytest.mark.parametrize(("pattern", "name", "expected"), CASES, ids=[f"{p}~{n}" for p, n, _ in CASES])
def test_pattern_table(pattern, name, expected):
    assert matches_pattern(pattern, name) is expected


label = st.from_regex(re.compile(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", re.A), fullmatch=True)
names = st.lists(label, min_size=1, max_size=4).map(".".join)


@given(names)
def test_a_name_matches_itself_as_name_and_as_pattern(name):
    assert matches_name(name, name.upper())
    assert matches_pattern(name, name)


@given(label, names)
def test_single_star_never_crosses_a_dot(first, rest):
    """`*.rest` matches exactly one more label in front of `rest`, never zero or two."""
    assert matches_pattern(f"*.{rest}", f"{first}.{rest}")
    assert not matches_pattern(f"*.{rest}", rest)
    assert not matches_pattern(f"*.{rest}", f"{first}.{first}.{rest}")


@given(st.lists(label, min_size=1, max_size=3), names)
def test_double_star_prefix_matches_one_or_more_labels(prefix, rest):
    assert matches_pattern(f"**.{rest}", ".".join(prefix) + "." + rest)
    assert not matches_pattern(f"**.{rest}", rest)


def test_normalize_adds_a_single_trailing_dot():
    assert normalize_name("Api.Stripe.com") == "api.stripe.com."
    assert normalize_name("api.stripe.com.") == "api.stripe.com."
