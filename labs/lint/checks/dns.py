"""DNS rules and toFQDNs: the proxy must see the lookups, on port 53, at kube-dns.

Facts relied on (cilium-semantics §3.5, §5.3): toFQDNs learns IPs only from DNS answers the DNS
proxy saw, which needs a `rules.dns` rule on the egress to kube-dns port 53 for the same pods; the
name must be allowed by that rule too; `*.x.com` matches neither `x.com` nor `a.b.x.com`.
"""

from __future__ import annotations

from typing import Iterator

from labs.lint.checks._yaml import narrow_dns_egress, snippet
from labs.lint.checks.sections import has_dns_rules
from labs.lint.context import LintContext, probe_fqdns
from labs.lint.finding import Finding
from labs.lint.registry import check
from labs.lint.scope import DNS_PORT_NAMES, peer_reaches_kube_dns, port_opens, rules_covering
from labs.lint.source import parse_path
from labs.policy.fqdn import matches_name, matches_pattern
from labs.policy.model import CiliumPolicy, DNSRule, PeerRule, Rule
from labs.policy.selectors import compile_selector

__all__ = ["fqdns_without_dns_rule", "dns_rule_wrong_port", "dns_rule_not_kube_dns", "wildcard_misses_apex",
           "fqdn_not_allowed_by_dns_rule"]

_KUBE_DNS_SELECTOR = ("- matchLabels:\n    k8s:io.kubernetes.pod.namespace: kube-system\n"
                      "    k8s:k8s-app: kube-dns")


def _dns_rules(rule: Rule) -> list[DNSRule]:
    return [d for peer in rule.egress or () for pr in peer.to_ports or ()
            if pr.rules is not None and pr.rules.dns is not None for d in pr.rules.dns]


@check("CL301", "error", "`toFQDNs` without a DNS rule that lets the proxy see the lookups",
       "Documentation/security/policy/language.rst (DNS based; \"requires ... an L7 policy allowing DNS\"); "
       "cilium-semantics §5.3")
def fqdns_without_dns_rule(ctx: LintContext) -> Iterator[Finding]:
    policies = ctx.cilium_policies
    for policy, rule in ctx.rules():
        peers = [peer for peer in rule.egress or () if peer.fqdns is not None]
        if not peers:
            continue
        if any(has_dns_rules(r) for _p, r in rules_covering(policies, policy, rule)):
            continue
        names = [{"matchName": fq.match_name} if fq.match_name else {"matchPattern": fq.match_pattern or ""}
                 for peer in peers for fq in peer.fqdns or ()]
        for peer in peers:
            yield ctx.finding(
                "CL301",
                "toFQDNs only allows the IPs that Cilium's DNS proxy saw in answers to these pods' lookups, and no "
                "policy selecting these pods has a DNS rule ('rules: dns:') on the egress to kube-dns port 53: "
                "the proxy never sees the lookups, so this rule never matches (and DNS itself is blocked).",
                policy=policy, path=(*parse_path(peer.path), "toFQDNs"),
                fix="# add to the same egress list: lookups of these names (and of the namespace's Services)\n"
                    "# only; any other name is REFUSED\n" + narrow_dns_egress(names, policy.namespace))


def _targets_kube_dns_on_other_port(policy: CiliumPolicy, peer: PeerRule) -> bool:
    has_dns_rules = any(pr.rules is not None and pr.rules.dns is not None for pr in peer.to_ports or ())
    return bool(peer.endpoints) and not has_dns_rules and peer_reaches_kube_dns(policy, peer) \
        and peer.to_ports is not None \
        and not any(port_opens(p, 53, DNS_PORT_NAMES, protocol) for pr in peer.to_ports for p in pr.ports
                    for protocol in ("UDP", "TCP"))


@check("CL302", "error", "A DNS rule (or an egress to kube-dns) on a port other than 53",
       "examples/policies/l7/dns/dns.yaml; Documentation/security/policy/language.rst (DNS Policy); "
       "cilium-semantics §5.3")
def dns_rule_wrong_port(ctx: LintContext) -> Iterator[Finding]:
    for policy, _rule, peer in ctx.peer_rules("egress"):
        for pr in peer.to_ports or ():
            if pr.rules is None or pr.rules.dns is None:
                continue
            for j, port in enumerate(pr.ports):
                if port_opens(port, 53, DNS_PORT_NAMES, "UDP") or port_opens(port, 53, DNS_PORT_NAMES, "TCP"):
                    continue
                yield ctx.finding(
                    "CL302",
                    f"This DNS rule is on port {port.port!r}, but pods send their lookups to kube-dns on port 53: "
                    f"the DNS proxy never sees them there.",
                    policy=policy, path=(*parse_path(peer.path), "toPorts", pr.index, "ports", j, "port"),
                    fix='ports:\n- port: "53"\n  protocol: ANY')
        if _targets_kube_dns_on_other_port(policy, peer):
            written = ", ".join(repr(p.port) for pr in peer.to_ports or () for p in pr.ports)
            yield ctx.finding(
                "CL302",
                f"This item opens port(s) {written} to kube-dns, but DNS is served on port 53 (UDP, and TCP for "
                f"large answers): lookups stay blocked.",
                policy=policy, path=(*parse_path(peer.path), "toPorts"),
                fix='toPorts:\n- ports:\n  - port: "53"\n    protocol: ANY\n'
                    f'  rules:\n    dns:\n    - matchPattern: "*.{policy.namespace or "NAMESPACE"}.svc.cluster.local"\n'
                    '    # and one matchName per outside name these pods look up')


@check("CL303", "warning", "A DNS rule whose peer is not kube-dns",
       "Documentation/security/policy/language.rst (DNS Policy and IP Discovery); cilium-semantics §3.2, §5.3")
def dns_rule_not_kube_dns(ctx: LintContext) -> Iterator[Finding]:
    for policy, _rule, peer in ctx.peer_rules("egress"):
        if not any(pr.rules is not None and pr.rules.dns is not None for pr in peer.to_ports or ()):
            continue
        if peer_reaches_kube_dns(policy, peer):
            continue
        local_kube_dns = [s for s in peer.endpoints or ()
                          if compile_selector(s).has_key((("k8s", "k8s-app"), ("any", "k8s-app")))]
        if local_kube_dns and policy.namespace is not None:
            message = (f"The selector names k8s-app=kube-dns but no namespace, and in a CiliumNetworkPolicy that means "
                       f"namespace {policy.namespace!r}; kube-dns runs in 'kube-system', so this DNS rule matches "
                       f"no lookup.")
        else:
            message = ("This DNS rule applies to traffic to peers that are not kube-dns, but pods send their lookups "
                       "to kube-dns (their /etc/resolv.conf): the DNS proxy never sees them.")
        yield ctx.finding("CL303", message, policy=policy, path=parse_path(peer.path),
                          fix="toEndpoints:\n" + _KUBE_DNS_SELECTOR)


_Entry = tuple[CiliumPolicy, tuple[str | int, ...], str | None, str | None]


def _fqdn_entries(ctx: LintContext, kind: str) -> Iterator[_Entry]:
    """(policy, path, matchName, matchPattern) of every toFQDNs entry (kind "toFQDNs") or DNS rule ("dns")."""
    for policy, _rule, peer in ctx.peer_rules("egress"):
        if kind == "toFQDNs":
            for i, fq in enumerate(peer.fqdns or ()):
                field = "matchName" if fq.match_name else "matchPattern"
                yield policy, (*parse_path(peer.path), "toFQDNs", i, field), fq.match_name, fq.match_pattern
            continue
        for pr in peer.to_ports or ():
            for d in (pr.rules.dns or ()) if pr.rules is not None else ():
                field = "matchName" if d.match_name else "matchPattern"
                yield (policy, (*parse_path(peer.path), "toPorts", pr.index, "rules", "dns", d.index, field),
                       d.match_name, d.match_pattern)


@check("CL304", "warning", "`matchPattern: \"*.x.com\"` without a rule for `x.com` that the lab's probes reach",
       "pkg/fqdn/matchpattern/matchpattern.go; Documentation/security/policy/language.rst (toFQDNs); "
       "cilium-semantics §3.5")
def wildcard_misses_apex(ctx: LintContext) -> Iterator[Finding]:
    wanted = probe_fqdns(ctx.probes)
    if not wanted:
        return
    for kind in ("toFQDNs", "dns"):
        entries = list(_fqdn_entries(ctx, kind))
        for policy, path, _name, pattern in entries:
            if not pattern or not pattern.startswith("*.") or pattern.startswith("**."):
                continue
            apex = pattern[2:].lower().rstrip(".")
            if apex not in wanted or any((n and matches_name(n, apex)) or (p and matches_pattern(p, apex))
                                         for _pol, _path, n, p in entries):
                continue
            yield _apex_finding(ctx, policy, path, pattern, apex, kind)


def _apex_finding(ctx: LintContext, policy: CiliumPolicy, path: tuple[str | int, ...], pattern: str, apex: str,
                  kind: str) -> Finding:
    what = "the DNS proxy refuses lookups of" if kind == "dns" else "toFQDNs does not allow"
    return ctx.finding(
        "CL304",
        f"{pattern!r} matches names one label below {apex!r} (like 'api.{apex}'), never {apex!r} itself, so "
        f"{what} {apex!r}, which the lab's probes reach: add a matchName for it.",
        policy=policy, path=path, fix=snippet([{"matchName": apex}, {"matchPattern": pattern}]))


def _sample(pattern: str) -> str:
    return pattern.replace("**.", "a.").replace("*", "a")


@check("CL305", "warning", "A `toFQDNs` name that the DNS rules for the same pods refuse",
       "Documentation/security/policy/language.rst (DNS based); cilium-semantics §5.3")
def fqdn_not_allowed_by_dns_rule(ctx: LintContext) -> Iterator[Finding]:
    policies = ctx.cilium_policies
    for policy, rule in ctx.rules():
        dns = [d for _p, r in rules_covering(policies, policy, rule) for d in _dns_rules(r)]
        if not dns:
            continue  # CL301's business
        for peer in rule.egress or ():
            for i, fq in enumerate(peer.fqdns or ()):
                name = fq.match_name or _sample(fq.match_pattern or "")
                if not name or any((d.match_name and matches_name(d.match_name, name))
                                   or (d.match_pattern and matches_pattern(d.match_pattern, name)) for d in dns):
                    continue
                written = fq.match_name or fq.match_pattern
                yield ctx.finding(
                    "CL305",
                    f"The DNS rules for these pods do not allow looking up {written!r}: the DNS proxy answers "
                    f"REFUSED, so the pod never gets an IP and this toFQDNs entry never matches.",
                    policy=policy,
                    path=(*parse_path(peer.path), "toFQDNs", i, "matchName" if fq.match_name else "matchPattern"),
                    fix="# add to the DNS rule's list (one entry per name: a catch-all \"*\" lets any name out)\n"
                        + snippet({"dns": [{"matchName": fq.match_name} if fq.match_name
                                           else {"matchPattern": fq.match_pattern}]}))
