"""`cilium-dbg` (the agent's debug CLI) on the simulated cluster.

Formats: `endpoint list` is cilium `cilium-dbg/cmd/endpoint_list.go` `printEndpointList` (tabwriter
5,0,3; every line ends in a tab, so every column is padded; one line per security-relevant label);
`identity list` is `cilium-dbg/cmd/identity_get.go` `printIdentities` (tabwriter 2,0,3, "ID\\tLABELS");
`endpoint config ID Opt=Val` is `cilium-dbg/cmd/endpoint_config.go` `configEndpoint`;
`endpoint get ID` is `cilium-dbg/cmd/endpoint_get.go` (`labs.commands.cilium.endpoint_get`);
`policy get` is `cilium-dbg/cmd/policy_get.go` (the repository's rules as JSON, then `Revision: N`).
Errors go through cilium-dbg's `Fatalf`: `Error: <message>` and exit code 1.
"""

from __future__ import annotations

from typing import Any

from labs.commands.cilium.agent import audit_modelled, endpoints, identities, options_of
from labs.commands.result import SIM_NOTE, CommandResult, unsupported
from labs.commands.tabwriter import tabwrite

__all__ = ["run", "endpoint_list", "identity_list", "endpoint_config"]

_BOOL_WORDS = {"true": "Enabled", "on": "Enabled", "enable": "Enabled", "enabled": "Enabled", "1": "Enabled",
               "false": "Disabled", "off": "Disabled", "disable": "Disabled", "disabled": "Disabled", "0": "Disabled"}
_MUTABLE_OPTIONS = ("PolicyAuditMode", "PolicyVerdictNotification", "DropNotification", "TraceNotification",
                    "Debug", "DebugLB", "DebugPolicy", "ConntrackAccounting", "SourceIPVerification")
"""Endpoint options `endpoint config` accepts (cilium `pkg/option/endpoint.go` mutable library)."""


def _fatal(message: str) -> CommandResult:
    return CommandResult(stderr=f"Error: {message}\n", exit_code=1)


def endpoint_list(cluster: Any, argv: list[str]) -> CommandResult:
    headers = "--no-headers" not in argv
    rest = [a for a in argv if a != "--no-headers"]
    if rest:
        return unsupported("cilium-dbg", f"cilium-dbg endpoint list {' '.join(rest)}: only --no-headers is modelled")
    text = ""
    if headers:
        text += ("ENDPOINT\tPOLICY (ingress)\tPOLICY (egress)\tIDENTITY\tLABELS (source:key[=value])\tIPv6\tIPv4\t"
                 "STATUS\t\n")
        text += "\tENFORCEMENT\tENFORCEMENT\t\t\t\t\t\n"
    for ep in endpoints(cluster):
        for i, label in enumerate(ep.labels or ("no labels",)):
            if i == 0:
                text += (f"{ep.id}\t{ep.policy_mode(ep.ingress_enforced)}\t{ep.policy_mode(ep.egress_enforced)}\t"
                         f"{ep.identity}\t{label}\t\t{ep.ipv4}\t{ep.state}\t\n")
            else:
                text += f"\t\t\t\t{label}\t\t\t\t\n"
    return CommandResult(stdout=tabwrite(text, minwidth=5, padding=3))


def identity_list(cluster: Any, argv: list[str]) -> CommandResult:
    if argv:
        return unsupported("cilium-dbg", f"cilium-dbg identity list {' '.join(argv)}: only the plain list is modelled")
    text = "ID\tLABELS\n"
    for number, labels in identities(cluster):
        for i, label in enumerate(labels):
            text += f"{number}\t{label}\n" if i == 0 else f"\t{label}\n"
    return CommandResult(stdout=tabwrite(text, minwidth=2, padding=3))


def endpoint_config(cluster: Any, argv: list[str]) -> CommandResult:
    if not argv:
        return _fatal("Missing endpoint id argument")
    raw = argv[0]
    known = {ep.id: ep for ep in endpoints(cluster)}
    try:
        ep_id = int(raw)
    except ValueError:
        return _fatal(f"Cannot get configuration of endpoint {raw}: [GET /endpoint/{{id}}/config][400] "
                      "getEndpointIdConfigInvalid ")
    if ep_id not in known:
        return _fatal(f"Cannot get configuration of endpoint {raw}: [GET /endpoint/{{id}}/config][404] "
                      "getEndpointIdConfigNotFound ")
    if len(argv) == 1:
        return unsupported("cilium-dbg", f"cilium-dbg endpoint config {raw} (listing the options)")
    changes: dict[str, str] = {}
    for opt in argv[1:]:
        name, sep, value = opt.partition("=")
        if name not in _MUTABLE_OPTIONS:
            return _fatal(f"Cannot parse option {opt}: invalid option")
        word = _BOOL_WORDS.get(value.lower()) if sep else "Enabled"
        if word is None:
            return _fatal(f"Cannot parse option {opt}: invalid option value {value}")
        changes[name] = word
    endpoint = known[ep_id]
    options_of(cluster).setdefault(ep_id, {}).update(changes)
    note = ""
    if "PolicyAuditMode" in changes:
        if audit_modelled(cluster) and endpoint.pod is not None:
            cluster.set_endpoint_audit(endpoint.pod, changes["PolicyAuditMode"] == "Enabled")
        elif endpoint.pod is None:
            note = (f"{SIM_NOTE} (the host endpoint's policy, the host firewall, is not modelled: its "
                    "PolicyAuditMode is recorded only).\n")
        else:
            note = (f"{SIM_NOTE} (PolicyAuditMode is recorded and shown by `cilium-dbg endpoint list`, but this "
                    "cluster's policy engine does not model audit mode).\n")
    return CommandResult(stdout=f"Endpoint {raw} configuration updated successfully\n", stderr=note)


_DBG_COMMANDS = frozenset({
    "endpoint", "identity", "policy", "status", "monitor", "bpf", "service", "config", "map", "ip", "fqdn", "node",
    "version", "debuginfo", "metrics", "prefilter", "recorder", "statedb", "troubleshoot", "encrypt", "kvstore",
    "lrp", "cgroups", "bugtool", "cleanup", "completion", "shell", "post-uninstall-cleanup"})
"""cilium-dbg's commands: those outside the simulated subset answer with the simulation note."""

_USAGE = """CLI for interacting with the local Cilium Agent

Usage:
  cilium-dbg [command]

Available Commands (on the simulated cluster):
  endpoint    Manage endpoints (list, get, config)
  identity    Manage security identities (list)
  policy      Manage security policies (get)
"""


def run(argv: list[str], cluster: Any, stdin: str | None = None) -> CommandResult:
    """One `cilium-dbg ...` command line on the simulated agent."""
    words = list(argv)
    if words and words[0] in ("cilium-dbg", "cilium"):
        words = words[1:]
    if not words or words[0] in ("-h", "--help", "help"):
        return CommandResult(stdout=_USAGE)
    group, rest = words[0], words[1:]
    action, args = (rest[0], rest[1:]) if rest else ("", [])
    if group == "endpoint" and action in ("list", "ls"):
        return endpoint_list(cluster, args)
    if group == "endpoint" and action == "config":
        return endpoint_config(cluster, args)
    if group == "endpoint" and action in ("get", "inspect", "show"):
        from labs.commands.cilium.endpoint_get import endpoint_get

        return endpoint_get(cluster, args)
    if group == "identity" and action in ("list", "ls"):
        return identity_list(cluster, args)
    if group == "policy" and action == "get":
        from labs.commands.cilium.policy_get import policy_get

        return policy_get(cluster, args)
    if group in _DBG_COMMANDS:
        return unsupported("cilium-dbg", f"cilium-dbg {' '.join(words)}: not available on the simulated cluster")
    return CommandResult(stderr=f'Error: unknown command "{group}" for "cilium-dbg"\n'
                                "Run 'cilium-dbg --help' for usage.\n", exit_code=1)
