"""Policy sections and default deny: empty sections that deny nothing, egress deny that blocks DNS.

Facts relied on (cilium-semantics §2.1, §2.3): an empty list counts as an absent section, so
`ingress: []` puts nothing in default deny; `ingress: [{}]` does. Any egress item puts the selected
endpoints in egress default deny, and DNS to kube-dns is never allowed implicitly.
"""

from __future__ import annotations

from typing import Any, Iterator

from labs.lint.checks._yaml import KUBE_DNS_EGRESS
from labs.lint.context import LintContext
from labs.lint.finding import Finding
from labs.lint.registry import check
from labs.lint.scope import DNS_PORT_NAMES, peer_reaches_kube_dns, port_opens, rules_covering
from labs.lint.source import RawDoc, parse_path
from labs.policy.model import CiliumPolicy, Rule

__all__ = ["empty_section", "egress_default_deny_blocks_dns", "cilium_rules_raw"]

CILIUM_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")
_SECTIONS = ("ingress", "ingressDeny", "egress", "egressDeny")


def cilium_rules_raw(ctx: LintContext) -> Iterator[tuple[RawDoc, tuple[str | int, ...], dict[str, Any]]]:
    """(document, path, rule dict) for `spec` and every `specs[i]` of each Cilium policy document."""
    for doc in ctx.manifests_of_kind(*CILIUM_KINDS):
        spec = doc.get("spec")
        if isinstance(spec, dict):
            yield doc, ("spec",), spec
        specs = doc.get("specs")
        if isinstance(specs, list):
            for index, item in enumerate(specs):
                if isinstance(item, dict):
                    yield doc, ("specs", index), item


@check("CL201", "error", "`ingress: []` / `egress: []` in a Cilium policy denies nothing",
       "pkg/policy/api/rule_validation.go (Sanitize); examples/policies/l3/egress-default-deny; cilium-semantics §2.1")
def empty_section(ctx: LintContext) -> Iterator[Finding]:
    for doc, path, rule in cilium_rules_raw(ctx):
        present = [s for s in _SECTIONS if s in rule]
        for section in present:
            if rule[section] != []:
                continue
            alone = all(rule[s] == [] for s in present)
            tail = (" Being the only section, it also makes Cilium reject the whole rule "
                    "('rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny').") if alone else ""
            if section in ("ingress", "egress"):
                message = (f"'{section}: []' is an empty list, which Cilium treats like no {section} section at all: "
                           f"it puts nothing in default deny and denies nothing.{tail}")
                fix = f"# default deny for {section}: one item that allows nothing\n{section}:\n- {{}}"
            else:
                message = f"'{section}: []' is an empty list and denies nothing.{tail}"
                fix = f"# remove '{section}: []', or list what to deny, e.g.\n{section}:\n- " + \
                      ("fromEntities: [world]" if section == "ingressDeny" else "toEntities: [world]")
            yield ctx.finding("CL201", message, doc=doc, path=(*path, section), fix=fix)


def _egress_default_deny(rule: Rule) -> bool:
    if rule.endpoint_selector is None or rule.enable_default_deny_egress is False:
        return False
    return bool(rule.egress) or bool(rule.egress_deny)


def allows_dns(policy: CiliumPolicy, rule: Rule) -> bool:
    """Whether any egress item of `rule` lets UDP port 53 through to kube-dns."""
    for peer in rule.egress or ():
        if not peer_reaches_kube_dns(policy, peer):
            continue
        if peer.to_ports is None:
            return True
        if any(port_opens(p, 53, DNS_PORT_NAMES) for pr in peer.to_ports for p in pr.ports):
            return True
    return False


def has_dns_rules(rule: Rule) -> bool:
    return any(pr.rules is not None and pr.rules.dns is not None
               for peer in rule.egress or () for pr in peer.to_ports or ())


@check("CL202", "warning", "Egress default deny without an allow to kube-dns port 53 blocks DNS",
       "pkg/policy/api/egress.go (\"An explicit rule to allow for DNS traffic is needed\"); cilium-semantics §2.3")
def egress_default_deny_blocks_dns(ctx: LintContext) -> Iterator[Finding]:
    policies = ctx.cilium_policies
    for policy, rule in ctx.rules():
        if not _egress_default_deny(rule):
            continue
        covering = rules_covering(policies, policy, rule)
        if any(allows_dns(p, r) for p, r in covering):
            continue
        uses_fqdns = any(peer.fqdns is not None for peer in rule.egress or ())
        if uses_fqdns and not any(has_dns_rules(r) for _p, r in covering):
            continue  # CL301 reports this rule, with the same fix
        section = "egress" if rule.egress else "egressDeny"
        yield ctx.finding(
            "CL202",
            "This rule puts the endpoints it selects in egress default deny, and no policy selecting them allows "
            "UDP port 53 to kube-dns: every name lookup from these pods will time out.",
            policy=policy, path=(*parse_path(rule.path), section),
            fix=f"# add this item to the {section} list (or to a policy selecting the same pods)\n" + KUBE_DNS_EGRESS)
