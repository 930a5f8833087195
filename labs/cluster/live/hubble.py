"""Read Hubble flows of a time window: `hubble observe -o jsonpb` run against every Cilium agent (in each
agent pod, whose image ships the CLI, or the host agent's `hubble` on PATH) and merged, or a host `hubble`
CLI through `sh` with `--port-forward` to Relay when present.

Lines are GetFlowsResponse JSON exactly as the CLI prints them; they are kept as dicts (the course's
flow parser, `labs.flows`, reads the same shape from both backends).
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol, Sequence

from labs.cluster.base import ClusterError
from labs.cluster.live.agents import AGENT_SELECTOR, CiliumAgents, HostAgent, PodAgents
from labs.cluster.live.api import KubeApi
from labs.cluster.live.execpod import PodExec

__all__ = ["FlowReader", "AgentExecHubble", "HostHubbleCli", "parse_jsonpb", "merge_flows", "observe_args",
           "rfc3339", "flow_time", "AGENT_SELECTOR"]

class FlowReader(Protocol):
    """Flows seen between `since` and `until` (oldest first)."""

    def observe(self, *, since: datetime, until: datetime | None = None, limit: int = 10_000,
                timeout: float = 20.0) -> list[dict[str, Any]]: ...


def rfc3339(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def observe_args(*, since: datetime, until: datetime | None, limit: int) -> list[str]:
    args = ["observe", "-o", "jsonpb", "--since", rfc3339(since), "--last", str(limit)]
    if until is not None:
        args += ["--until", rfc3339(until)]
    return args


def parse_jsonpb(text: str, *, source: str) -> list[dict[str, Any]]:
    """One GetFlowsResponse per line; a line that is not one raises, naming the source and line."""
    flows = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise ClusterError(f"{source} line {number}: not JSON ({line[:100]!r}); expected the output of "
                               "`hubble observe -o jsonpb`.") from None
        if not isinstance(obj, dict):
            raise ClusterError(f"{source} line {number}: expected a JSON object, found {type(obj).__name__}.")
        if "flow" in obj:
            flows.append(obj)
        # node_status and lost_events lines carry no flow; they are skipped on purpose.
    return flows


def flow_time(obj: dict[str, Any]) -> str:
    return str((obj.get("flow") or {}).get("time") or obj.get("time") or "")


def _key(obj: dict[str, Any]) -> tuple:
    flow = obj.get("flow") or {}
    return (obj.get("node_name") or flow.get("node_name"), flow.get("uuid") or json.dumps(flow, sort_keys=True))


def merge_flows(groups: Sequence[list[dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    """Merge per-node lists oldest first, dropping duplicates; keep the newest `limit`."""
    seen = set()
    merged = []
    for obj in sorted((o for g in groups for o in g), key=flow_time):
        key = _key(obj)
        if key not in seen:
            seen.add(key)
            merged.append(obj)
    return merged[-limit:] if limit else merged


@dataclass
class AgentExecHubble:
    """`hubble observe` against every Cilium agent (`labs.cluster.live.agents`), concurrently, merged: in each
    agent pod's `cilium-agent` container by default, or the host agent's `hubble` when `agents` says so."""

    api: KubeApi
    execer: PodExec
    namespace: str = "kube-system"
    container: str = "cilium-agent"
    errors: list[str] = field(default_factory=list)
    agents: CiliumAgents | None = None

    def _agents(self) -> CiliumAgents:
        return self.agents or PodAgents(self.api, self.execer, self.namespace, self.container)

    def observe(self, *, since: datetime, until: datetime | None = None, limit: int = 10_000,
                timeout: float = 20.0) -> list[dict[str, Any]]:
        agents = self._agents()
        names = agents.names()
        if not names:
            raise ClusterError(f"No running Cilium agent pod ({AGENT_SELECTOR}) in namespace {self.namespace!r}, so "
                               "Hubble cannot be read. Check `kubectl -n kube-system get pods -l k8s-app=cilium`.")
        argv = ["hubble", *observe_args(since=since, until=until, limit=limit)]

        def one(name: str) -> list[dict[str, Any]]:
            label = name if isinstance(agents, HostAgent) else f"{self.namespace}/{name}"
            result = agents.run(name, argv, timeout=timeout)
            if result.error or result.timed_out or result.exit_code not in (0, None):
                why = result.error or ("no answer within " f"{timeout:g} s" if result.timed_out else
                                       f"exit {result.exit_code}: {result.stderr.strip()[-300:]}")
                self.errors.append(f"{label}: {why}")
                return []
            return parse_jsonpb(result.stdout, source=f"hubble observe in {label}")

        self.errors.clear()
        with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
            groups = list(pool.map(one, names))
        if self.errors and len(self.errors) == len(names):
            raise ClusterError("Hubble could not be read from any Cilium agent: " + "; ".join(self.errors)
                               + ". Check that Hubble is enabled (`cilium-dbg status` shows Hubble: Ok).")
        return merge_flows(groups, limit)


@dataclass
class HostHubbleCli:
    """A `hubble` binary on this machine, reaching Relay with `--port-forward` through the kubeconfig."""

    kubeconfig: str
    context: str
    binary: str = "hubble"

    @staticmethod
    def available(binary: str = "hubble") -> bool:
        return shutil.which(binary) is not None

    def observe(self, *, since: datetime, until: datetime | None = None, limit: int = 10_000,
                timeout: float = 20.0) -> list[dict[str, Any]]:
        import sh

        args = [*observe_args(since=since, until=until, limit=limit), "-P", "--kubeconfig", self.kubeconfig,
                "--kube-context", self.context]
        try:
            out = sh.Command(self.binary)(*args, _timeout=timeout, _err_to_out=False)
        except sh.TimeoutException:
            raise ClusterError(f"`{self.binary} observe -P` gave no answer within {timeout:g} s; check that "
                               "hubble-relay is running (`python -m labs doctor`).") from None
        except sh.ErrorReturnCode as exc:
            err = exc.stderr.decode("utf-8", "replace").strip()[-300:]
            raise ClusterError(f"`{self.binary} observe -P` failed with exit {exc.exit_code}: {err}. Check that "
                               "hubble-relay is running (`python -m labs doctor`).") from None
        return merge_flows([parse_jsonpb(str(out), source=f"{self.binary} observe -P")], limit)
