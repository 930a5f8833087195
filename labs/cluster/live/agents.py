"""Where the Cilium agents run, and how their own CLIs (`cilium-dbg`, `hubble`) are run against them.

The live backend asks the agents three things: the policy revision they realized (`cilium-dbg policy
get/wait`), their status (`cilium-dbg status`) and their Hubble flows (`hubble observe`). On a cluster
installed by the chart the agents are pods (label `k8s-app=cilium`) whose image ships both CLIs, reached
by exec: `PodAgents`. An agent that runs on this machine as a host process (the local test node,
`scripts/local-cluster up --cilium`) has no pod: `HostAgent` runs the `cilium-dbg` and `hubble` found on
PATH, pointed at the agent by the variables those CLIs read themselves: `CILIUM_SOCK`, the API socket
(pkg/client/client.go DefaultSockPath, pkg/defaults/defaults.go SockPathEnv) and `HUBBLE_SERVER`
(hubble/cmd/common/config/viper.go: env prefix `hubble`, so `--server` is `HUBBLE_SERVER`).
`find_agents` picks the host agent when `CILIUM_SOCK` is set, the pods otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

from labs.cluster.base import ClusterError
from labs.cluster.live.api import KubeApi
from labs.cluster.live.execpod import ExecResult, PodExec

__all__ = ["CiliumAgents", "PodAgents", "HostAgent", "find_agents", "AGENT_SELECTOR", "SOCK_ENV", "HUBBLE_ENV"]

AGENT_SELECTOR = "k8s-app=cilium"
"""The chart's label on the agent pods."""
SOCK_ENV = "CILIUM_SOCK"
HUBBLE_ENV = "HUBBLE_SERVER"


class CiliumAgents(Protocol):
    """The running agents, by name, and a way to run one of the agent's CLIs against each."""

    @property
    def where(self) -> str:
        """Where the agents were looked for, for messages."""
        ...

    def names(self) -> list[str]:
        """The running agents; ClusterError when they cannot be listed."""
        ...

    def run(self, agent: str, argv: Sequence[str], *, timeout: float) -> ExecResult:
        """Run `argv` (`cilium-dbg ...` or `hubble ...`) against `agent`, bounded by `timeout`."""
        ...

    def on_node(self, node: str | None) -> str | None:
        """The agent that holds the endpoints of `node`, or None."""
        ...


@dataclass
class PodAgents:
    """Agent pods (`k8s-app=cilium`), each reached by exec into its `cilium-agent` container."""

    api: KubeApi
    execer: PodExec | None
    """None for a caller that only lists the agents (`on_node`)."""
    namespace: str = "kube-system"
    container: str = "cilium-agent"

    @property
    def where(self) -> str:
        return f"agent pods ({AGENT_SELECTOR}) in namespace {self.namespace!r}"

    def _running(self) -> list[dict[str, Any]]:
        pods = self.api.items(f"/api/v1/namespaces/{self.namespace}/pods", label_selector=AGENT_SELECTOR)
        return [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]

    def names(self) -> list[str]:
        return [str(p["metadata"]["name"]) for p in self._running()]

    def run(self, agent: str, argv: Sequence[str], *, timeout: float) -> ExecResult:
        if self.execer is None:
            raise ClusterError("no exec client to reach the agent pods")
        return self.execer.run(self.namespace, agent, list(argv), container=self.container, timeout=timeout)

    def on_node(self, node: str | None) -> str | None:
        return next((str(p["metadata"]["name"]) for p in self._running()
                     if (p.get("spec") or {}).get("nodeName") == node), None)


@dataclass(frozen=True)
class HostAgent:
    """One agent running on this machine: its CLIs from PATH, pointed at it by CILIUM_SOCK and HUBBLE_SERVER."""

    socket: str
    hubble_server: str | None = None
    path: str | None = None
    """The PATH the CLIs are looked up on (default: this process's)."""

    @property
    def name(self) -> str:
        return f"host agent unix://{self.socket}"

    @property
    def where(self) -> str:
        return f"the host agent of {SOCK_ENV}={self.socket}"

    def names(self) -> list[str]:
        if not Path(self.socket).is_socket():
            raise ClusterError(f"{SOCK_ENV}={self.socket} names no socket: is the Cilium agent running? Unset "
                               f"{SOCK_ENV} to use the agent pods instead.")
        return [self.name]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.path is not None:
            env["PATH"] = self.path
        env[SOCK_ENV] = self.socket
        if self.hubble_server:
            env[HUBBLE_ENV] = self.hubble_server
        return env

    def run(self, agent: str, argv: Sequence[str], *, timeout: float) -> ExecResult:
        if not argv:
            raise ValueError("nothing to run")
        env = self.env()
        binary = shutil.which(argv[0], path=env.get("PATH"))
        if binary is None:
            return ExecResult(None, error=f"`{argv[0]}` is not on PATH: the host agent is read with its own CLIs "
                                          "(the local cluster's env file puts them there)")
        try:
            done = subprocess.run([binary, *argv[1:]], capture_output=True, text=True, timeout=timeout, env=env,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            return ExecResult(None, _text(exc.stdout), _text(exc.stderr), timed_out=True)
        except OSError as exc:
            return ExecResult(None, error=f"{binary}: {exc}")
        return ExecResult(done.returncode, done.stdout, done.stderr)

    def on_node(self, node: str | None) -> str | None:
        """A host agent is the one node's agent (the local cluster has one node)."""
        return self.name


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def find_agents(api: KubeApi, execer: PodExec, *, environ: Mapping[str, str] | None = None) -> CiliumAgents:
    """The host agent when CILIUM_SOCK is set (as cilium-dbg itself would use it), else the agent pods."""
    env = os.environ if environ is None else environ
    socket = (env.get(SOCK_ENV) or "").strip()
    if socket:
        return HostAgent(socket, (env.get(HUBBLE_ENV) or "").strip() or None,
                         None if environ is None else env.get("PATH"))
    return PodAgents(api, execer)
