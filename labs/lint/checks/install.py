"""Install and debugging mistakes: Helm keys that are not chart values, kubeadm subnets that overlap, the
Relay Service edited by hand, and the command lines blog posts hand out (lab 09, "fix the blog").

Facts relied on, with what the real tools print where it is known:
- kubeadm's `ValidateNetworking` (kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/validation/validation.go,
  commit 00d24de) checks that podSubnet and serviceSubnet parse, their sizes and the node mask, and
  nothing else: a pod subnet inside the service subnet is accepted without a word. kubeadm's default
  service subnet is 10.96.0.0/12 (`DefaultServicesSubnet`, cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go).
- The Cilium chart reads `hubble.enabled` and writes the agent option `enable-hubble` into the
  cilium-config ConfigMap (templates/cilium-configmap.yaml); its values schema does not refuse unknown
  top-level keys, so `--set enable-hubble=true` is accepted and read by nothing (provisioning-notes §2.1).
- The chart's hubble-relay Service sends port 80 to the container port named `grpc`, 4245
  (templates/hubble-relay/service.yaml, provisioning-notes §3.1).
- Hubble CLI versions jumped from v0.13.6 to v1.16.0 in July 2024; v0.11 was released for Cilium 1.13
  (cilium/hubble README "Releases", provisioning-notes §3.3). versions.lock pins the course's CLI.
- Since Cilium 1.15 the debug CLI inside the agent pod is `cilium-dbg`; `cilium` is the CLI on your own
  machine (Documentation/cmdref/cilium-dbg.md). `kubectl exec ds/cilium` runs in one pod of the DaemonSet.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterator

from labs.lint.checks._yaml import snippet
from labs.lint.context import LintContext
from labs.lint.finding import Finding
from labs.lint.registry import check
from labs.lint.source import RawDoc

__all__ = ["helm_key_not_a_chart_value", "pod_subnet_overlaps_services", "relay_target_port",
           "download_piped_to_shell", "old_hubble_cli", "agent_config_through_one_pod", "cilium_in_agent_pod",
           "KUBEADM_DEFAULT_SERVICE_SUBNET"]

KUBEADM_DEFAULT_SERVICE_SUBNET = "10.96.0.0/12"
"""kubeadm's default `networking.serviceSubnet` (`--service-cidr`)."""

RELAY_PORT = 4245
_AGENT_OPTIONS = {"enable-hubble": "hubble.enabled", "enable-policy": "policyEnforcementMode",
                  "kube-proxy-replacement": "kubeProxyReplacement", "tunnel": "routingMode",
                  "enable-l7-proxy": "l7Proxy", "cluster-pool-ipv4-cidr": "ipam.operator.clusterPoolIPv4PodCIDRList"}


@check("CL605", "warning", "A Helm key that is an agent option name, not a chart value (`enable-hubble`)",
       "Cilium chart templates/cilium-configmap.yaml (hubble.enabled -> enable-hubble); values.schema.json")
def helm_key_not_a_chart_value(ctx: LintContext) -> Iterator[Finding]:
    for doc in ctx.documents("helm-values"):
        for key in doc.data if isinstance(doc.data, dict) else ():
            if not isinstance(key, str) or "-" not in key:
                continue
            value = _AGENT_OPTIONS.get(key)
            instead = f"the chart value is `{value}`" if value else "chart values are camelCase keys"
            yield ctx.finding(
                "CL605",
                f"{key!r} is the name of an agent option (a key of the cilium-config ConfigMap), not a value of "
                f"the Cilium chart: Helm accepts it without a word and no template reads it, so it changes "
                f"nothing; {instead}.",
                doc=doc, path=(key,),
                fix=snippet({"hubble": {"enabled": True}}) + "   # on by default" if key == "enable-hubble"
                else f"{value or 'theChartValue'}: ...   # see the chart's values.yaml")


def _networks(text: Any) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for part in str(text or "").split(","):
        try:
            out.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            continue
    return out


@check("CL606", "error", "The pod subnet overlaps the Service subnet (`--pod-network-cidr=10.97.0.0/16`)",
       "kubernetes cmd/kubeadm/app/apis/kubeadm/validation/validation.go (ValidateNetworking: no overlap check); "
       "v1beta4/defaults.go (DefaultServicesSubnet 10.96.0.0/12)")
def pod_subnet_overlaps_services(ctx: LintContext) -> Iterator[Finding]:
    for doc in ctx.documents("kubeadm"):
        networking = doc.get("networking")
        if not isinstance(networking, dict) or not networking.get("podSubnet"):
            continue
        service_text = networking.get("serviceSubnet") or KUBEADM_DEFAULT_SERVICE_SUBNET
        said = "" if networking.get("serviceSubnet") else " (kubeadm's default, as no --service-cidr is given)"
        for pods in _networks(networking["podSubnet"]):
            for services in _networks(service_text):
                if pods.version != services.version or not pods.overlaps(services):
                    continue
                yield ctx.finding(
                    "CL606",
                    f"The pod subnet {str(pods)!r} overlaps the Service subnet {str(services)!r}{said}: kubeadm "
                    f"accepts it silently, then pods and ClusterIPs are handed addresses from the same range, "
                    f"and a packet to a ClusterIP can be meant for a pod (or the other way round).",
                    doc=doc, path=("networking", "podSubnet"),
                    fix="kubeadm init --pod-network-cidr=10.244.0.0/16   # outside 10.96.0.0/12 and your LAN")


@check("CL607", "error", "The hubble-relay Service's `targetPort` is not Relay's port (4245, `grpc`)",
       "Cilium chart templates/hubble-relay/service.yaml (port 80 -> targetPort grpc)")
def relay_target_port(ctx: LintContext) -> Iterator[Finding]:
    for doc in ctx.manifests_of_kind("Service"):
        if doc.get("metadata", "name") != "hubble-relay":
            continue
        ports = doc.get("spec", "ports")
        for i, port in enumerate(ports if isinstance(ports, list) else []):
            target = port.get("targetPort") if isinstance(port, dict) else None
            if target is None or target in (RELAY_PORT, "grpc", str(RELAY_PORT)):
                continue
            yield ctx.finding(
                "CL607",
                f"targetPort {target!r} sends the Service's traffic to a port Relay does not listen on (it listens "
                f"on {RELAY_PORT}, the container port named 'grpc'), so every connection through the Service is "
                f"refused.",
                doc=doc, path=("spec", "ports", i, "targetPort"),
                fix="- name: grpc\n  port: 80\n  targetPort: grpc\n  nodePort: 31234   # only with type: NodePort")


def _shell(ctx: LintContext) -> Iterator[tuple[RawDoc, tuple[str, ...], list[list[str]], int]]:
    for doc in ctx.documents("shell"):
        words = tuple(doc.data.get("words") or ())
        while words and words[0] in ("sudo", "env", "exec", "time"):
            words = words[1:]
        if words:
            words = (words[0].rsplit("/", 1)[-1],) + words[1:]
            yield doc, words, doc.data.get("pipeline") or [], int(doc.data.get("stage") or 0)


_SHELLS = {"sh", "bash", "zsh", "dash"}


@check("CL701", "error", "A download piped into a shell (`curl ... | bash`)",
       "the course's security rule (docs/vm.md: pinned versions, sha256 checked); Helm docs: install from a release")
def download_piped_to_shell(ctx: LintContext) -> Iterator[Finding]:
    for doc, words, pipeline, stage in _shell(ctx):
        if words[0] not in ("curl", "wget") or stage + 1 >= len(pipeline):
            continue
        after = [w for w in pipeline[stage + 1] if w not in ("sudo", "-")]
        if after and after[0].rsplit("/", 1)[-1] in _SHELLS:
            yield ctx.finding(
                "CL701",
                f"A script downloaded by {words[0]} runs at once in {after[0]}: nothing checks what arrived "
                f"(a moved branch, a compromised server or a cut-off download all run as you, often as root), "
                f"and the version it installs is whatever the branch holds today.",
                doc=doc, path=("words",),
                fix="# a pinned release, checked before use (or the cilium CLI, whose chart is built in)\n"
                    "curl -fLO https://get.helm.sh/helm-vX.Y.Z-linux-amd64.tar.gz{,.sha256sum}\n"
                    "sha256sum --check helm-vX.Y.Z-linux-amd64.tar.gz.sha256sum")


_HUBBLE_TAG = re.compile(r"/cilium/hubble/releases/download/v(\d+)\.(\d+)\.(\d+)/")


@check("CL702", "warning", "A hubble CLI release from before v1.16 (e.g. v0.11.6)",
       "cilium/hubble README (Releases; v0.13.6 -> v1.16.0, July 2024); versions.lock HUBBLE_VERSION")
def old_hubble_cli(ctx: LintContext) -> Iterator[Finding]:
    for doc, words, _pipeline, _stage in _shell(ctx):
        for word in words:
            match = _HUBBLE_TAG.search(word)
            if not match or int(match.group(1)) >= 1:
                continue
            version = ".".join(match.groups())
            yield ctx.finding(
                "CL702",
                f"hubble CLI v{version} was made for Cilium 1.13 (the CLI jumped from v0.13 to v1.16 in 2024 and "
                f"only the newest release is maintained): it lacks flags the course uses (-P, "
                f"--print-policy-names) and is not built for a current Relay's API.",
                doc=doc, path=("words",),
                fix="HUBBLE_VERSION=v1.19.4   # the release pinned in versions.lock, checked with its .sha256sum")


def _agent_exec(words: tuple[str, ...]) -> tuple[str, ...] | None:
    """The command run by `kubectl exec ... ds/cilium -- CMD...` (None for other commands)."""
    if words[0] != "kubectl" or "exec" not in words or "--" not in words:
        return None
    head, tail = words[:words.index("--")], words[words.index("--") + 1:]
    if not any(w in ("ds/cilium", "daemonset/cilium") for w in head) or not tail:
        return None
    return tail


@check("CL703", "warning", "Agent configuration changed with `cilium config K=V` through `kubectl exec ds/cilium`",
       "Documentation/cmdref/cilium-dbg_config.md; chart value policyEnforcementMode (cilium-config enable-policy)")
def agent_config_through_one_pod(ctx: LintContext) -> Iterator[Finding]:
    for doc, words, _pipeline, _stage in _shell(ctx):
        inner = _agent_exec(words)
        if not inner or inner[0] not in ("cilium", "cilium-dbg") or len(inner) < 3 or inner[1] != "config":
            continue
        settings = [w for w in inner[2:] if "=" in w]
        if not settings:
            continue
        backwards = any(s.lower() in ("policyenforcement=always", "policy-enforcement=always") for s in settings)
        extra = (" And `always` is the opposite of a fix for policies that seem not to apply: it puts every pod "
                 "in default deny, DNS and health checks included, whether a policy selects it or not."
                 if backwards else "")
        yield ctx.finding(
            "CL703",
            f"{' '.join(settings)} is set in the one agent pod `ds/cilium` picks, on one node only, and is lost when "
            f"that agent restarts (it is not written to the cilium-config ConfigMap).{extra}",
            doc=doc, path=("words",),
            fix="# read the mode: kubectl -n kube-system exec ds/cilium -- cilium-dbg config | grep PolicyEnforcement\n"
                "# change it for every agent, persistently (Helm value; `default` is the right mode here):\n"
                "policyEnforcementMode: default")


@check("CL704", "error", "`cilium` run inside the agent pod (the in-pod CLI is `cilium-dbg`)",
       "Documentation/cmdref/cilium-dbg.md (Cilium 1.15+); the `cilium` CLI runs on your machine")
def cilium_in_agent_pod(ctx: LintContext) -> Iterator[Finding]:
    for doc, words, _pipeline, _stage in _shell(ctx):
        inner = _agent_exec(words)
        if not inner or inner[0] != "cilium":
            continue
        yield ctx.finding(
            "CL704",
            "Since Cilium 1.15 the debug CLI inside the agent pod is `cilium-dbg` (renamed so that it is not taken "
            "for the `cilium` CLI you run on your own machine to install and check Cilium); a command written with "
            "`cilium` inside the pod comes from an older version and fails on the course's cluster.",
            doc=doc, path=("words",),
            fix="kubectl -n kube-system exec ds/cilium -- cilium-dbg " + " ".join(inner[1:]))
