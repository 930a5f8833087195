"""HTTP rules: an L4-only rule that lifts them, and paths that match less or more than was meant.

Facts relied on (cilium-semantics §5.1, §7): HTTP `path`, `method` and `host` are RE2 regexes matched
in full (anchored); a rule without L7 on the same port for the same peers gives those peers every
request ("the layer 7 portions of the latter rule will have no effect", layer7.rst).
"""

from __future__ import annotations

import re
from typing import Iterator

from labs.lint.checks._yaml import snippet
from labs.lint.context import LintContext, probe_http_paths
from labs.lint.finding import Finding
from labs.lint.registry import check
from labs.lint.scope import covers, is_wildcard_peer, subject
from labs.lint.source import parse_path
from labs.policy.model import CiliumPolicy, HTTPRule, PeerRule, PortProtocol, PortRule, Rule
from labs.policy.selectors import peer_selector

__all__ = ["l4_rule_lifts_http", "path_dot_star_after_name", "path_prefix_without_wildcard", "redundant_anchor"]


def _ports_overlap(a: PortProtocol, b: PortProtocol) -> bool:
    if a.protocol not in ("ANY", "TCP") or b.protocol not in ("ANY", "TCP"):
        return False
    pa, pb = (a.port or "0").lower(), (b.port or "0").lower()
    if "0" in (pa, pb):
        return True
    if not (pa.isdigit() and pb.isdigit()):
        return pa == pb
    a0, b0 = int(pa), int(pb)
    return a0 <= (b.end_port or b0) and b0 <= (a.end_port or a0)


def _peer_covers(policy_l4: CiliumPolicy, l4: PeerRule, policy_l7: CiliumPolicy, l7: PeerRule) -> bool:
    """Whether every peer of the L7 item is also a peer of the L4-only item."""
    if is_wildcard_peer(l4) or "all" in (l4.entities or ()):
        return True
    if l7.endpoints and "cluster" in (l4.entities or ()):
        return True
    if l4.endpoints and l7.endpoints:
        wide = [peer_selector(s, policy_l4.namespace) for s in l4.endpoints]
        return all(any(covers(w, peer_selector(s, policy_l7.namespace)) for w in wide) for s in l7.endpoints)
    if l4.entities is not None and l7.entities is not None:
        return set(l7.entities) <= set(l4.entities)
    return False


def _http_items(ctx: LintContext) -> Iterator[tuple[CiliumPolicy, Rule, PeerRule, PortRule]]:
    for policy, rule, peer in ctx.peer_rules("ingress", "egress"):
        for pr in peer.to_ports or ():
            if pr.rules is not None and pr.rules.http is not None:
                yield policy, rule, peer, pr


def _http_snippet(pr: PortRule, ports: list[PortProtocol]) -> str:
    rules = []
    for h in pr.rules.http or () if pr.rules else ():
        fields = (("method", h.method), ("path", h.path), ("host", h.host))
        item: dict[str, str | list[str]] = {k: v for k, v in fields if v}
        if h.headers:
            item["headers"] = list(h.headers)
        rules.append(item)
    ports_out = [{"port": p.port, "protocol": p.protocol} for p in ports]
    return snippet({"toPorts": [{"ports": ports_out, "rules": {"http": rules}}]})


@check("CL401", "error", "An L4-only rule on a port where another rule sets HTTP rules for the same endpoints",
       "Documentation/security/policy/layer7.rst (\"the layer 7 portions of the latter rule will have no effect\"); "
       "pkg/policy/rule.go; cilium-semantics §7")
def l4_rule_lifts_http(ctx: LintContext) -> Iterator[Finding]:
    http_items = list(_http_items(ctx))
    if not http_items:
        return
    reported: set[tuple[str, str, str]] = set()
    for policy, rule, peer in ctx.peer_rules("ingress", "egress"):
        for pr in peer.to_ports or ():
            if pr.rules is not None:
                continue
            for j, port in enumerate(pr.ports):
                for h_policy, h_rule, h_peer, h_pr in http_items:
                    if h_peer.section != peer.section or (h_policy.namespace is not None
                                                          and policy.namespace not in (None, h_policy.namespace)):
                        continue
                    if not covers(subject(policy, rule), subject(h_policy, h_rule)):
                        continue
                    hit = [p for p in h_pr.ports if _ports_overlap(port, p)]
                    if not hit or not _peer_covers(policy, peer, h_policy, h_peer):
                        continue
                    key = (policy.ref, f"{peer.path}.toPorts[{pr.index}].ports[{j}]", h_policy.ref + h_peer.path)
                    if key in reported:
                        continue
                    reported.add(key)
                    where = h_peer.path if h_policy is policy else f"{h_peer.path} of {h_policy.ref!r}"
                    yield ctx.finding(
                        "CL401",
                        f"This item opens port {port.port!r} without HTTP rules for peers that {where} restricts "
                        f"to HTTP rules on the same port: Cilium merges the two and those peers may send any "
                        f"request, so the HTTP rules no longer restrict anything.",
                        policy=policy, path=(*parse_path(peer.path), "toPorts", pr.index, "ports", j, "port"),
                        fix="# give this item the same HTTP rules, or drop the port from it\n"
                            + _http_snippet(h_pr, hit))


_META = re.compile(r"[\\.^$|?*+()\[\]{}]")


def _literal(path: str) -> str | None:
    """The path without redundant anchors if it has no other regex syntax, else None."""
    core = path[1:] if path.startswith("^") else path
    core = core[:-1] if core.endswith("$") and not core.endswith("\\$") else core
    return None if _META.search(core) else core


def _literal_prefix(path: str) -> str:
    core = path[1:] if path.startswith("^") else path
    match = _META.search(core)
    return core[:match.start()] if match else core


def _fullmatch(regex: str, value: str) -> bool:
    try:
        return re.fullmatch(regex, value) is not None
    except re.error:
        return False


def _http_rules(ctx: LintContext) -> Iterator[tuple[CiliumPolicy, PeerRule, PortRule, HTTPRule]]:
    for policy, _rule, peer, pr in _http_items(ctx):
        for h in pr.rules.http or () if pr.rules else ():
            yield policy, peer, pr, h


def _rule_path(peer: PeerRule, pr: PortRule, h: HTTPRule, field: str) -> tuple[str | int, ...]:
    return (*parse_path(peer.path), "toPorts", pr.index, "rules", "http", h.index, field)


@check("CL402", "warning", "An HTTP path written as a prefix (`/api`) while sub-paths are used",
       "Documentation/security/policy/layer7.rst (HTTP: \"path ... regular expression\"); Envoy RE2 full match; "
       "cilium-semantics §5.1")
def path_prefix_without_wildcard(ctx: LintContext) -> Iterator[Finding]:
    rules = list(_http_rules(ctx))
    written = [h.path for _p, _peer, _pr, h in rules if h.path]
    used = probe_http_paths(ctx.probes) | {_literal_prefix(p) for p in written}
    for policy, peer, pr, h in rules:
        if not h.path:
            continue
        literal = _literal(h.path)
        if literal is None or literal in ("", "/"):
            continue
        base = literal.rstrip("/")
        below = sorted(u for u in used if u.startswith(base + "/") and not _fullmatch(h.path, u))
        if not below:
            continue
        if any(_fullmatch(other, base + "/x") for other in written):
            continue
        yield ctx.finding(
            "CL402",
            f"HTTP paths are matched in full, so {h.path!r} allows only {literal!r} itself, not {below[0]!r} "
            f"which this policy set or the lab's probes use.",
            policy=policy, path=_rule_path(peer, pr, h, "path"),
            fix=f"# {base!r} and everything below it:\npath: \"{base}(/.*)?\"\n# or only what is below it:\n"
                f"path: \"{base}/.*\"")


@check("CL403", "info", "A leading `^` or trailing `$` in an HTTP rule is redundant (matching is anchored)",
       "Envoy safe_regex (RE2 FullMatch); examples/policies/l7/http/http.yaml; cilium-semantics §5.1")
def redundant_anchor(ctx: LintContext) -> Iterator[Finding]:
    for policy, peer, pr, h in _http_rules(ctx):
        for field in ("path", "method", "host"):
            value = getattr(h, field)
            if not value:
                continue
            starts = value.startswith("^")
            ends = value.endswith("$") and not value.endswith("\\$")
            if not (starts or ends):
                continue
            plain = value[1 if starts else 0: len(value) - 1 if ends else len(value)]
            anchors = " and ".join(filter(None, ("the leading '^'" if starts else "", "the trailing '$'" if ends
                                                 else "")))
            yield ctx.finding(
                "CL403",
                f"{field} {value!r}: {anchors} change nothing, because Cilium matches HTTP {field}s against the "
                f"whole value already.",
                policy=policy, path=_rule_path(peer, pr, h, field), fix=snippet({field: plain}))


@check("CL404", "warning", "An HTTP path ending in `.*` straight after a name (`/api/v1/products.*`)",
       "pkg/policy/api/http.go (PortRuleHTTP.Path: a regular expression matched against the path); Envoy RE2 "
       "full match; cilium-semantics §5.1")
def path_dot_star_after_name(ctx: LintContext) -> Iterator[Finding]:
    """`.*` after a name matches any characters, so `/api/v1/products.*` is also `/api/v1/products-internal`."""
    for policy, peer, pr, h in _http_rules(ctx):
        if not h.path or not h.path.endswith(".*") or h.path.endswith("\\.*"):
            continue
        literal = _literal(h.path[:-2])
        if not literal or literal.endswith("/"):
            continue
        yield ctx.finding(
            "CL404",
            f"path {h.path!r} also allows {literal + '-internal'!r}, {literal + 'x'!r} and every other path that "
            f"merely starts with {literal!r}: `.*` matches any characters, not only what lies below {literal + '/'!r}.",
            policy=policy, path=_rule_path(peer, pr, h, "path"),
            fix=f"# {literal!r} and everything below it, nothing beside it:\npath: \"{literal}(/.*)?\"")
