"""Wait until the Cilium agents have realized a policy change before anything probes.

The API server accepts a policy at once; each agent imports it a moment later and bumps its policy
revision. As cilium-cli's connectivity check does (cilium-cli/connectivity/check/policy.go in
cilium/cilium: `cilium-dbg policy get -o jsonpath='{.revision}'` before, then `cilium-dbg policy wait
<revision + 1> --max-wait-time N` in every agent after), the revisions are read before the change and
waited for after it. `policy wait` returns once every endpoint of the agent is `ready` with a realized
revision at least the one asked for (cilium-dbg/cmd/policy_wait.go). The agents are pods or a host agent
(`labs.cluster.live.agents`). Where they cannot be read (a workshop trainee may not exec into them, or an
agent does not answer), a bounded settle time stands in. Either way the wait is bounded and settable.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable

from labs.cluster.base import ClusterError
from labs.cluster.live.agents import CiliumAgents

__all__ = ["PolicySync", "POLICY_KINDS", "DEFAULT_POLICY_WAIT", "DEFAULT_POLICY_SETTLE", "touches_policies",
           "revision_argv", "wait_argv"]

POLICY_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy")
DEFAULT_POLICY_WAIT = 30.0
DEFAULT_POLICY_SETTLE = 3.0


def touches_policies(labels: Iterable[str]) -> bool:
    """Whether ApplyResult labels (`CiliumNetworkPolicy ns/name`, ...) name a policy."""
    return any(label.split(" ", 1)[0] in POLICY_KINDS for label in labels)


def revision_argv() -> list[str]:
    return ["cilium-dbg", "policy", "get", "-o", "jsonpath={.revision}"]


def wait_argv(revision: int, seconds: int) -> list[str]:
    return ["cilium-dbg", "policy", "wait", str(revision), "--max-wait-time", str(seconds)]


@dataclass
class PolicySync:
    agents: CiliumAgents
    wait_timeout: float = DEFAULT_POLICY_WAIT
    settle: float = DEFAULT_POLICY_SETTLE
    last: str = ""
    """How the last wait ended, for messages and tests."""
    unreadable: str = ""
    """Why the agents' revisions could not be read the last time, if they could not."""

    def _agents(self) -> list[str]:
        try:
            return self.agents.names()
        except ClusterError as exc:
            self.unreadable = str(exc)
            return []

    def revisions(self) -> dict[str, int] | None:
        """Each running agent's policy revision, or None when any of them cannot be read."""
        self.unreadable = ""
        agents = self._agents()
        if not agents:
            self.unreadable = self.unreadable or f"no running agent ({self.agents.where})"
            return None

        def one(agent: str) -> int | None:
            result = self.agents.run(agent, revision_argv(), timeout=10.0)
            text = result.stdout.strip().strip("'")
            if result.exit_code == 0 and text.isdigit():
                return int(text)
            why = result.error or ("no answer within 10 s" if result.timed_out else
                                   f"exit {result.exit_code}: {(result.stderr or result.stdout).strip()[-200:]}")
            self.unreadable = f"`cilium-dbg policy get` on {agent}: {why}"
            return None

        with ThreadPoolExecutor(max_workers=min(8, len(agents))) as pool:
            found = dict(zip(agents, pool.map(one, agents)))
        if any(v is None for v in found.values()):
            return None
        return {k: int(v) for k, v in found.items() if v is not None}

    def wait(self, before: dict[str, int] | None) -> str:
        """Block until every agent passed its revision `before`, or the settle time when that is unknown."""
        if before:
            seconds = max(1, math.ceil(self.wait_timeout))

            def one(item: tuple[str, int]) -> bool:
                agent, revision = item
                result = self.agents.run(agent, wait_argv(revision + 1, seconds), timeout=self.wait_timeout + 5.0)
                return result.exit_code == 0

            with ThreadPoolExecutor(max_workers=min(8, len(before))) as pool:
                done = list(pool.map(one, before.items()))
            if all(done):
                self.last = f"realized by {len(done)} agent(s)"
                return self.last
            late = [agent for agent, ok in zip(before, done) if not ok]
            self.last = f"not confirmed by {', '.join(late)} within {self.wait_timeout:g} s"
            return self.last
        time.sleep(self.settle)
        self.last = f"agents not readable; waited {self.settle:g} s"
        return self.last
