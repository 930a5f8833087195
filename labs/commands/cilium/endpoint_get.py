"""`cilium-dbg endpoint get ID`: the endpoint's API model as JSON, as the agent's debug CLI prints it.

cilium `cilium-dbg/cmd/endpoint_get.go` fetches one `models.Endpoint` and prints `[endpoint]` with
`command.PrintOutput` forced to JSON (`pkg/command/output.go` `dumpJSON`: Go `json.MarshalIndent(data, "",
"  ")` and a newline; struct fields in declaration order, which go-swagger makes alphabetical; `<`, `>`,
`&` escaped). The model is built by `pkg/endpoint/api.go` `GetModelRLocked`: `id`, `spec` (the label
configuration and the endpoint's mutable options), and `status` (external identifiers, health, identity,
labels, named ports, networking, policy, realized spec, state).

The simulated agent fills in what it knows: options (with PolicyAuditMode as set), identity and its
labels (`labelsSHA256` over the labels' key-value-store form, as `identitymodel.CreateModel` does), the
security-relevant labels, named ports, the IPv4 address, the policy's `policy-enabled` state (`none`,
`ingress`, `egress`, `both`, or `audit-...` while PolicyAuditMode is on: `policyStatus` in api.go), and
the state. Controllers, the status log, MAC addresses, interface names and the policy map's content are
not modelled: they are left out and the note says so.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from labs.commands.cilium.agent import AgentEndpoint, endpoints, options_of
from labs.commands.result import SIM_NOTE, CommandResult, unsupported

__all__ = ["endpoint_get", "endpoint_model"]

_OPTION_DEFAULTS = {"ConntrackAccounting": "Disabled", "Debug": "Disabled", "DebugLB": "Disabled",
                    "DebugPolicy": "Disabled", "DropNotification": "Enabled", "PolicyAuditMode": "Disabled",
                    "PolicyVerdictNotification": "Enabled", "SourceIPVerification": "Enabled",
                    "TraceNotification": "Enabled"}
"""The mutable options `endpoint config` changes, with the agent's defaults for a pod endpoint."""


def _policy_enabled(ep: AgentEndpoint) -> str:
    """`policyStatus`: none / ingress / egress / both, prefixed `audit-` while PolicyAuditMode is on."""
    both = {(True, True): "both", (True, False): "ingress", (False, True): "egress", (False, False): "none"}
    state = both[(ep.ingress_enforced, ep.egress_enforced)]
    return f"audit-{state}" if ep.audit and state != "none" else state


def _labels_sha256(labels: tuple[str, ...]) -> str:
    """`Labels.SortedList()` (each `source:key=value;`, sorted) hashed with SHA-256, hex."""
    return hashlib.sha256("".join(f"{lb};" for lb in sorted(labels)).encode()).hexdigest()


def endpoint_model(cluster: Any, ep: AgentEndpoint) -> dict[str, Any]:
    """models.Endpoint for one simulated endpoint (the fields the simulation knows)."""
    options = dict(_OPTION_DEFAULTS)
    options.update(options_of(cluster).get(ep.id, {}))
    options["PolicyAuditMode"] = "Enabled" if ep.audit else "Disabled"
    spec = {"label-configuration": {}, "options": dict(sorted(options.items()))}
    status: dict[str, Any] = {}
    if ep.pod:
        namespace, name = ep.pod.split("/", 1)
        status["external-identifiers"] = {"k8s-namespace": namespace, "k8s-pod-name": name, "pod-name": ep.pod}
    status["health"] = {"bpf": "OK", "connected": True, "overallHealth": "OK", "policy": "OK"}
    status["identity"] = {"id": ep.identity, "labels": list(ep.labels), "labelsSHA256": _labels_sha256(ep.labels)}
    status["labels"] = {"realized": {}, "security-relevant": list(ep.labels)}
    ports = _named_ports(cluster, ep.pod)
    if ports:
        status["namedPorts"] = ports
    if ep.ipv4:
        status["networking"] = {"addressing": [{"ipv4": ep.ipv4}]}
    enabled = _policy_enabled(ep)
    policy = {"id": ep.identity, "policy-enabled": enabled}
    status["policy"] = {"realized": policy, "spec": dict(policy)}
    status["realized"] = spec
    status["state"] = ep.state
    return {"id": ep.id, "spec": spec, "status": status}


def _named_ports(cluster: Any, pod_key: str | None) -> list[dict[str, Any]]:
    if pod_key is None:
        return []
    pod = cluster.store.pods.get(pod_key) if hasattr(cluster, "store") else None
    found = []
    for port in getattr(pod, "ports", ()) or ():
        name = getattr(port, "name", None)
        if name:
            found.append({"name": name, "port": int(port.port), "protocol": str(port.protocol)})
    return sorted(found, key=lambda p: p["name"])


def _go_json(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def endpoint_get(cluster: Any, argv: list[str]) -> CommandResult:
    args = [a for a in argv if a not in ("-o", "--output", "json", "-ojson", "--output=json", "-o=json")]
    if any(a.startswith(("-l", "--labels")) for a in args):
        return unsupported("cilium-dbg", "cilium-dbg endpoint get -l LABELS (by labels)")
    if any(a.startswith("-") or a.startswith("jsonpath") for a in args):
        return unsupported("cilium-dbg", f"cilium-dbg endpoint get {' '.join(argv)}")
    if not args:
        return CommandResult(stderr="Error: Missing endpoint id argument\n", exit_code=1)
    raw = args[0]
    if not raw.isdigit():
        return unsupported("cilium-dbg", f"cilium-dbg endpoint get {raw}: only numeric endpoint IDs are modelled")
    known = {ep.id: ep for ep in endpoints(cluster)}
    ep = known.get(int(raw))
    if ep is None:
        return CommandResult(stderr=f"Error: Cannot get endpoint {raw}: [GET /endpoint/{{id}}][404] "
                                    "getEndpointIdNotFound \n", exit_code=1)
    note = (f"{SIM_NOTE} (endpoint get: controllers, the status log, MAC addresses, interface names and the "
            "policy map's content are not modelled and are left out).\n")
    return CommandResult(stdout=_go_json([endpoint_model(cluster, ep)]) + "\n", stderr=note)
