"""One probe entry as written in a scenario file or a lab step: read, checked and turned into a `Probe`.

The single reader of the probe format of DESIGN.md (`from`, `to` | `dns`, `port`, `protocol`, `http`,
`expect`), shared by scenario files (`labs.scenarios.spec`), lab steps (`labs.course.probe_spec`) and
workshop mode (`labs.workshop`), so one probe means the same thing, and is refused with the same
words, wherever it is written. What differs between the files is only which extra keys they take and
how `expect` is written (`EntryRules`). Problems name the field inside the entry (`port`, `http.path`);
the caller adds its file, line and the entry's own place (`probes[3]`), since only it knows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Union

from labs.manifests.errors import shown
from labs.outcomes import Outcome, parse_outcome
from labs.probes import OUTSIDE_SOURCES, PROTOCOLS, HttpRequest, Probe, outside_problem, parse_target, source_problem

__all__ = ["EntryProblem", "EntryRules", "ProbeEntry", "read_probe_entry", "SCENARIO_RULES", "LAB_STEP_RULES",
           "SOURCE_KEY", "TARGET_KEY", "DNS_KEY", "HTTP_KEYS", "OUTSIDE_SOURCES", "is_outside_source"]

SOURCE_KEY, TARGET_KEY, DNS_KEY = "from", "to", "dns"
"""The keys holding references to pods, Services and names (workshop mode rewrites them per trainee)."""
_CORE_KEYS = frozenset({SOURCE_KEY, TARGET_KEY, DNS_KEY, "port", "protocol", "http", "expect"})
HTTP_KEYS = frozenset({"method", "path", "headers", "host"})
_OUTCOME_WORDS = ", ".join(o.value for o in Outcome)

Part = Union[str, int]


@dataclass(frozen=True)
class EntryRules:
    """What one kind of file adds to the probe format."""

    extra_keys: frozenset[str]
    """Keys taken besides the core ones (`from`, `to`, `dns`, `port`, `protocol`, `http`, `expect`)."""
    expect_required: bool
    several_expected: bool
    """`expect` may list several acceptable outcomes (`expect: [dropped, l7-denied]`)."""
    pitfall: bool = False
    """A pitfall probe must say what the policy's author meant (`intended`) beside what happens."""

    @cached_property
    def keys(self) -> frozenset[str]:
        return _CORE_KEYS | self.extra_keys

    def for_pitfall(self) -> EntryRules:
        return EntryRules(self.extra_keys, self.expect_required, self.several_expected, pitfall=True)


SCENARIO_RULES = EntryRules(frozenset({"id", "note", "why"}), expect_required=False, several_expected=False)
"""Scenario files (`labs verify`): `expect` is optional (a probe without one is only shown), one word."""
LAB_STEP_RULES = EntryRules(frozenset({"intended", "hint"}), expect_required=True, several_expected=True)
"""lab.yaml steps: every probe grades the step; capstone answers may stop a connection in several ways."""


@dataclass(frozen=True)
class EntryProblem:
    """One thing wrong with an entry: the field inside it (`()` for the entry itself) and what is wrong."""

    path: tuple[Part, ...]
    message: str


@dataclass(frozen=True)
class ProbeEntry:
    probe: Probe
    expect: tuple[Outcome, ...]
    """Acceptable outcomes; empty only when the rules let `expect` out."""
    intended: Outcome | None = None
    hint: str | None = None
    note: str | None = None
    """Scenario files: `note` (or `why`), shown beside the probe's result."""


def is_outside_source(source: object) -> bool:
    """`from: world` or `from: host`: a probe that starts outside the pod network."""
    return source in OUTSIDE_SOURCES


def read_probe_entry(raw: Any, rules: EntryRules) -> tuple[ProbeEntry | None, list[EntryProblem]]:
    """Read one probe entry; the entry is None exactly when there are problems (all of them are listed)."""
    problems = _Problems()
    problem = problems.add
    if not isinstance(raw, dict):
        return None, [EntryProblem((), f"expected a probe mapping (from, to, port, expect), found "
                                       f"{type(raw).__name__} {shown(raw)}")]
    if not raw:
        return None, [EntryProblem((), "a probe needs at least `from` and `to` (or `dns`)")]
    keys = rules.keys
    if not keys.issuperset(raw):
        for key in raw:
            if key not in keys:
                problem((key,), f"unknown key {key!r}; expected one of: {', '.join(sorted(map(str, keys)))}")

    written = raw.get(SOURCE_KEY)
    source = written if isinstance(written, str) and source_problem(written) is None else ""
    if written is None:
        problem((SOURCE_KEY,), "is required: a pod as namespace/pod, or world or host")
    elif not source:
        problem((SOURCE_KEY,), str(source_problem(written)))

    protocol = _protocol(raw.get("protocol", "TCP"), problems)
    target = _target(raw, problems)
    dns = _dns(raw.get(DNS_KEY), problems)
    if target is not None and dns is not None:
        problem((DNS_KEY,), "a probe has either `to` or `dns`, not both")
    if source and protocol is not None and (target is not None or dns is not None):
        outside = outside_problem(source, target, protocol)
        if outside:
            problem((TARGET_KEY if target is not None else SOURCE_KEY,), outside)
    port = _port(raw, protocol, target, problems)
    http = _http(raw.get("http"), protocol, problems) if raw.get("http") is not None else None

    expect = _expected(raw, rules, problems)
    intended = None
    if rules.pitfall:
        if "intended" not in raw:
            problem(("intended",), "a pitfall probe says what the policy's author meant (`intended`) "
                                   "next to what really happens (`expect`)")
        else:
            found = _outcomes(raw["intended"], ("intended",), False, problems)
            intended = found[0] if found else None
    elif "intended" in raw and "intended" in rules.extra_keys:
        problem(("intended",), "only pitfall steps have `intended` outcomes")
    hint = _text(raw, "hint", "the text shown when this probe fails", problems)
    note = _text(raw, "note", "a note shown beside the result", problems) or \
        _text(raw, "why", "a note shown beside the result", problems)
    if problems or protocol is None:
        return None, list(problems)
    probe = Probe(source, target, port, protocol, http, dns)
    return ProbeEntry(probe, expect, intended, hint, note), []


class _Problems(list[EntryProblem]):
    """The problems found so far in one entry."""

    def add(self, where: tuple[Part, ...], message: str) -> None:
        self.append(EntryProblem(where, message))


def _protocol(value: Any, problems: _Problems) -> str | None:
    if not isinstance(value, str):
        problems.add(("protocol",), f"expected one of {', '.join(PROTOCOLS)}, found {shown(value)}")
        return None
    protocol = value.upper()
    if protocol not in PROTOCOLS:
        problems.add(("protocol",), f"protocol {value!r} is not one of {', '.join(PROTOCOLS)}")
        return None
    return protocol


def _target(raw: dict[str, Any], problems: _Problems) -> Any:
    if TARGET_KEY not in raw:
        if raw.get(DNS_KEY) is None:
            problems.add((), "a probe needs `to` (a target) or `dns` (a name to look up)")
        return None
    value = raw[TARGET_KEY]
    if not isinstance(value, str):
        problems.add((TARGET_KEY,), f"expected a target such as backend/api or svc:backend/api, found {shown(value)}")
        return None
    try:
        return parse_target(value)
    except ValueError as exc:
        problems.add((TARGET_KEY,), str(exc))
        return None


def _dns(value: Any, problems: _Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add((DNS_KEY,), f"expected a name to look up, found {shown(value)}")
        return None
    return value.strip().lower().rstrip(".")


def _port(raw: dict[str, Any], protocol: str | None, target: Any, problems: _Problems) -> int | str | None:
    port = raw.get("port")
    if protocol == "ICMP":
        if port is not None:
            problems.add(("port",), "ICMP probes have no port")
        return None
    if port is None:
        if target is not None and protocol is not None:
            problems.add(("port",), f"a {protocol} probe to {raw[TARGET_KEY]!r} needs a port")
        return None
    if isinstance(port, bool) or not isinstance(port, (int, str)) or (isinstance(port, str) and not port.strip()):
        problems.add(("port",), f"expected a port number 1-65535 or a named port, found {shown(port)}")
        return None
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if isinstance(port, int) and not 1 <= port <= 65535:
        problems.add(("port",), f"port {port} is outside 1-65535")
        return None
    return port


def _http(value: Any, protocol: str | None, problems: _Problems) -> HttpRequest | None:
    if not isinstance(value, dict):
        problems.add(("http",), f"expected {{method, path}}, found {shown(value)}")
        return None
    before = len(problems)
    for key in value:
        if key not in HTTP_KEYS:
            problems.add(("http", key), f"unknown key {key!r}; expected one of: {', '.join(sorted(HTTP_KEYS))}")
    headers = value.get("headers") or {}
    if not isinstance(headers, dict):
        problems.add(("http", "headers"), f"expected a mapping of header names to values, found {shown(headers)}")
        headers = {}
    path = value.get("path", "/")
    if not isinstance(path, str) or not path.startswith("/"):
        problems.add(("http", "path"), f"expected a path starting with '/', found {shown(path)}")
    method = value.get("method", "GET")
    if not isinstance(method, str) or not method.strip():
        problems.add(("http", "method"), f"expected a request method such as GET, found {shown(method)}")
    if protocol is not None and protocol != "TCP":
        problems.add(("http",), "HTTP probes run over TCP; remove `protocol` or set it to TCP")
    if len(problems) > before:
        return None
    # the method is kept as written: Envoy matches it case-sensitively (tests/scenarios/073)
    return HttpRequest(str(method), str(path), tuple((str(k), str(v)) for k, v in headers.items()),
                       str(value["host"]) if value.get("host") is not None else None)


def _expected(raw: dict[str, Any], rules: EntryRules, problems: _Problems) -> tuple[Outcome, ...]:
    value = raw.get("expect")
    if value is None:
        if rules.expect_required:
            problems.add(("expect",), f"expected an outcome word ({_OUTCOME_WORDS})")
        return ()
    return _outcomes(value, ("expect",), rules.several_expected, problems)


def _outcomes(value: Any, where: tuple[Part, ...], several: bool, problems: _Problems) -> tuple[Outcome, ...]:
    if isinstance(value, str):
        try:
            return (parse_outcome(value),)
        except ValueError as exc:
            problems.add(where, str(exc))
            return ()
    if isinstance(value, list):
        if not several:
            problems.add(where, f"expected one outcome word ({_OUTCOME_WORDS}), found a list {shown(value)}")
            return ()
        if not value:
            problems.add(where, f"expected at least one outcome word ({_OUTCOME_WORDS})")
            return ()
        words = value
    else:
        words = [value]
    out = []
    for n, word in enumerate(words):
        if not isinstance(word, str):
            problems.add((*where, n) if isinstance(value, list) else where,
                         f"expected an outcome word ({_OUTCOME_WORDS}), found {shown(word)}")
            continue
        try:
            out.append(parse_outcome(word))
        except ValueError as exc:
            problems.add((*where, n) if isinstance(value, list) else where, str(exc))
    return tuple(out)


def _text(raw: dict[str, Any], key: str, what: str, problems: _Problems) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add((key,), f"expected {what}, found {shown(value)}")
        return None
    return value.strip()
