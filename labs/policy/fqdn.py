"""DNS names and Cilium's matchName / matchPattern rules (pkg/fqdn/matchpattern/matchpattern.go).

Names and patterns are lower-cased and fully qualified (trailing dot). In a pattern, a run of `*`
matches within one label only (`[-a-zA-Z0-9_]*`, never a dot); a leading `**.` matches one or more
whole labels; a pattern that is only `*` (or `**`, `*.`) matches every name.
So `*.stripe.com` matches `api.stripe.com` but neither `stripe.com` nor `a.b.stripe.com`.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["normalize_name", "pattern_regex", "matches_pattern", "matches_name"]

_LABEL_CHARS = "[-a-zA-Z0-9_]"


def normalize_name(name: str) -> str:
    """Lower case with exactly one trailing dot, as the DNS proxy sees names."""
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


@lru_cache(maxsize=4096)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    """The anchored regular expression Cilium builds for a matchPattern."""
    pattern = normalize_name(pattern)
    if pattern in ("*.", "**."):
        return re.compile(r"^(" + _LABEL_CHARS + r"+[.])+$")
    body = ""
    rest = pattern
    if rest.startswith("**."):
        body = "(" + _LABEL_CHARS + "+[.])+"
        rest = rest[3:]
    body += re.sub(r"\*+", lambda _m: _LABEL_CHARS + "*", re.escape(rest).replace(r"\*", "*"))
    return re.compile("^" + body + "$")


def matches_pattern(pattern: str, name: str) -> bool:
    return pattern_regex(pattern).match(normalize_name(name)) is not None


def matches_name(match_name: str, name: str) -> bool:
    return normalize_name(match_name) == normalize_name(name)
