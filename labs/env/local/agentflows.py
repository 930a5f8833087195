"""Hubble flows of the local cluster's Cilium agent, read for the live backend (`LiveCluster(flow_reader=...)`).

On the course VM the live backend reads Hubble by exec'ing `hubble observe` in the agent pods
(`labs.cluster.live.hubble.AgentExecHubble`). The local node's agent runs on the host, so there is no pod to
exec into: this reader runs the locally built `hubble` against the agent's own Hubble socket, with the same
arguments and the same JSON handling, so the probes' correlation sees exactly what the agent recorded.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from labs.cluster.base import ClusterError
from labs.cluster.live.hubble import merge_flows, observe_args, parse_jsonpb

__all__ = ["LocalAgentHubble"]


@dataclass(frozen=True)
class LocalAgentHubble:
    """`hubble observe --server unix://<socket>`: a FlowReader for an agent running on this machine."""

    binary: Path
    socket: Path

    def observe(self, *, since: datetime, until: datetime | None = None, limit: int = 10_000,
                timeout: float = 20.0) -> list[dict[str, Any]]:
        argv = [str(self.binary), *observe_args(since=since, until=until, limit=limit),
                "--server", f"unix://{self.socket}"]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"`hubble observe` on {self.socket} gave no answer within {timeout:g} s") from None
        if done.returncode != 0:
            raise ClusterError(f"`hubble observe` on {self.socket} failed with exit {done.returncode}: "
                               f"{done.stderr.strip()[-300:]}")
        return merge_flows([parse_jsonpb(done.stdout, source=f"hubble observe --server unix://{self.socket}")], limit)
