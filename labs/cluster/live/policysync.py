"""Wait until the Cilium agents have realized a policy change before anything probes.

The API server accepts a policy at once; each agent imports it a moment later and bumps its policy
revision. As cilium-cli's connectivity check does (cilium-cli/connectivity/check/policy.go in
cilium/cilium: `cilium-dbg policy get -o jsonpath='{.revision}'` before, then `cilium-dbg policy wait
<revision + 1> --max-wait-time N` in every agent after), the revisions are read before the change and
waited for after it. Where the agents cannot be read (a workshop trainee may not exec into them, or an
agent does not answer), a bounded settle time stands in. Either way the wait is bounded and settable.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable

from labs.cluster.base import ClusterError
from labs.cluster.live.api import KubeApi
from labs.cluster.live.execpod import PodExec

__all__ = ["PolicySync", "POLICY_KINDS", "DEFAULT_POLICY_WAIT", "DEFAULT_POLICY_SETTLE", "touches_policies"]

POLICY_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy")
DEFAULT_POLICY_WAIT = 30.0
DEFAULT_POLICY_SETTLE = 3.0
_AGENTS = "k8s-app=cilium"


def touches_policies(labels: Iterable[str]) -> bool:
    """Whether ApplyResult labels (`CiliumNetworkPolicy ns/name`, ...) name a policy."""
    return any(label.split(" ", 1)[0] in POLICY_KINDS for label in labels)


@dataclass
class PolicySync:
    api: KubeApi
    execer: PodExec
    wait_timeout: float = DEFAULT_POLICY_WAIT
    settle: float = DEFAULT_POLICY_SETTLE
    namespace: str = "kube-system"
    last: str = ""
    """How the last wait ended, for messages and tests."""

    def _agents(self) -> list[str]:
        try:
            pods = self.api.items(f"/api/v1/namespaces/{self.namespace}/pods", label_selector=_AGENTS)
        except ClusterError:
            return []
        return [p["metadata"]["name"] for p in pods if (p.get("status") or {}).get("phase") == "Running"]

    def revisions(self) -> dict[str, int] | None:
        """Each running agent's policy revision, or None when any of them cannot be read."""
        agents = self._agents()
        if not agents:
            return None

        def one(pod: str) -> int | None:
            result = self.execer.run(self.namespace, pod, ["cilium-dbg", "policy", "get", "-o",
                                                           "jsonpath={.revision}"],
                                     container="cilium-agent", timeout=10.0)
            text = result.stdout.strip().strip("'")
            return int(text) if result.exit_code == 0 and text.isdigit() else None

        with ThreadPoolExecutor(max_workers=min(8, len(agents))) as pool:
            found = dict(zip(agents, pool.map(one, agents)))
        if any(v is None for v in found.values()):
            return None
        return {k: int(v) for k, v in found.items() if v is not None}

    def wait(self, before: dict[str, int] | None) -> str:
        """Block until every agent passed its revision `before`, or the settle time when that is unknown."""
        if before:
            seconds = str(max(1, math.ceil(self.wait_timeout)))

            def one(item: tuple[str, int]) -> bool:
                pod, revision = item
                result = self.execer.run(self.namespace, pod, ["cilium-dbg", "policy", "wait", str(revision + 1),
                                                               "--max-wait-time", seconds],
                                         container="cilium-agent", timeout=self.wait_timeout + 5.0)
                return result.exit_code == 0

            with ThreadPoolExecutor(max_workers=min(8, len(before))) as pool:
                done = list(pool.map(one, before.items()))
            if all(done):
                self.last = f"realized by {len(done)} agent(s)"
                return self.last
            late = [pod for pod, ok in zip(before, done) if not ok]
            self.last = f"not confirmed by {', '.join(late)} within {self.wait_timeout:g} s"
            return self.last
        time.sleep(self.settle)
        self.last = f"agents not readable; waited {self.settle:g} s"
        return self.last
