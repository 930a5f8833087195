"""Wait until the Cilium agents have realized a policy change before anything probes.

The API server accepts a policy at once; each agent imports it a moment later, bumps its policy revision and
regenerates the endpoints it selects. cilium-cli's connectivity check reads `cilium-dbg policy get -o
jsonpath='{.revision}'` before a change and runs `cilium-dbg policy wait <revision + 1>` after it
(cilium-cli/connectivity/check/policy.go). That is not enough on a busy agent: the revision is also bumped by
events that change no rule (`TriggerPolicyUpdates` for named ports added or deleted, pkg/policy/trigger.go;
the identity updater's forced recalculation, pkg/policy/cell/identity_updater.go), so `policy wait <rev+1>`
can return before the new policy is even imported, and a denied client gets through for a few seconds
(measured on the local node, docs/live.md). So the wait has two phases, on every agent:

1. *imported*: `cilium-dbg policy get -o json` until the agent's rules show the change: each created or
   changed policy's rules present and different from before, each deleted one's gone. Rules are told apart by
   the labels the agent derives from the object (pkg/k8s/apis/cilium.io/utils/utils.go GetPolicyLabels:
   `io.cilium.k8s.policy.derived-from`, `.name`, `.namespace`). The revision in that same answer is one at
   which the repository holds the change.
2. *realized*: `cilium-dbg policy wait <that revision>`, which returns once every endpoint of the agent is
   `ready` with at least that revision realized (cilium-dbg/cmd/policy_wait.go).

The agents are pods or a host agent (`labs.cluster.live.agents`). Where they cannot be read (a workshop
trainee may not exec into them, or an agent does not answer), a bounded settle time stands in. Either way
the wait is bounded and settable.
"""

from __future__ import annotations

import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from labs.cluster.base import ClusterError
from labs.cluster.live.agents import CiliumAgents

__all__ = ["PolicySync", "AgentPolicy", "PolicyChange", "POLICY_KINDS", "DEFAULT_POLICY_WAIT",
           "DEFAULT_POLICY_SETTLE", "touches_policies", "policy_changes", "rules_by_policy", "wait_argv",
           "POLICY_GET"]

POLICY_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy")
DEFAULT_POLICY_WAIT = 30.0
DEFAULT_POLICY_SETTLE = 3.0
POLICY_GET = ["cilium-dbg", "policy", "get", "-o", "json"]
_POLL = 0.25
_LABEL = "io.cilium.k8s.policy."

PolicyKey = tuple[str, str, str]
"""(kind as the agent's derived-from label says it, namespace or "", name)."""


def touches_policies(labels: Iterable[str]) -> bool:
    """Whether ApplyResult labels (`CiliumNetworkPolicy ns/name`, ...) name a policy."""
    return any(label.split(" ", 1)[0] in POLICY_KINDS for label in labels)


@dataclass(frozen=True)
class PolicyChange:
    """One policy the agents must show changed: present (created or changed) or gone (deleted)."""

    key: PolicyKey
    present: bool


def policy_changes(*, applied: Iterable[str] = (), deleted: Iterable[str] = ()) -> list[PolicyChange]:
    """PolicyChanges from ApplyResult labels: `Kind ns/name` (namespaced) or `Kind name` (cluster-wide)."""
    found = []
    for labels, present in ((applied, True), (deleted, False)):
        for label in labels:
            kind, _, rest = label.partition(" ")
            if kind not in POLICY_KINDS:
                continue
            namespace, _, name = rest.rpartition("/")
            found.append(PolicyChange((kind, namespace, name), present))
    return found


def rules_by_policy(text: str) -> dict[PolicyKey, str]:
    """`cilium-dbg policy get -o json`'s rules, grouped by the policy they come from, each group as canonical JSON."""
    groups: dict[PolicyKey, list[str]] = {}
    for rule in json.loads(text or "[]") or []:
        # Cilium 1.19 prints the repository's own rule type (`Labels`, `Subject`, `L3`...); api.Rule has `labels`.
        found = rule.get("Labels") or rule.get("labels") or [] if isinstance(rule, dict) else []
        labels = {str(lb.get("key", "")): str(lb.get("value", "")) for lb in found if isinstance(lb, dict)}
        key = (labels.get(_LABEL + "derived-from", ""), labels.get(_LABEL + "namespace", ""),
               labels.get(_LABEL + "name", ""))
        groups.setdefault(key, []).append(json.dumps(rule, sort_keys=True))
    return {key: "\n".join(sorted(texts)) for key, texts in groups.items()}


@dataclass(frozen=True)
class AgentPolicy:
    """What one agent's `cilium-dbg policy get -o json` said: its revision and its rules by policy."""

    revision: int
    rules: dict[PolicyKey, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, stdout: str) -> AgentPolicy:
        doc = json.loads(stdout)
        return cls(int(doc["revision"]), rules_by_policy(doc.get("policy") or "[]"))

    def shows(self, change: PolicyChange, before: AgentPolicy) -> bool:
        now = self.rules.get(change.key)
        if not change.present:
            return now is None
        return now is not None and now != before.rules.get(change.key)


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
    """Why the agents could not be read the last time, if they could not."""

    def _read(self, agent: str, timeout: float = 10.0) -> AgentPolicy | None:
        result = self.agents.run(agent, POLICY_GET, timeout=timeout)
        if result.exit_code == 0:
            try:
                return AgentPolicy.parse(result.stdout)
            except (ValueError, KeyError, TypeError, AttributeError):
                self.unreadable = f"`cilium-dbg policy get -o json` on {agent}: not the agent's JSON"
                return None
        why = result.error or (f"no answer within {timeout:g} s" if result.timed_out else
                               f"exit {result.exit_code}: {(result.stderr or result.stdout).strip()[-200:]}")
        self.unreadable = f"`cilium-dbg policy get` on {agent}: {why}"
        return None

    def revisions(self) -> dict[str, AgentPolicy] | None:
        """Each running agent's revision and rules before a change, or None when any of them cannot be read."""
        self.unreadable = ""
        try:
            agents = self.agents.names()
        except ClusterError as exc:
            self.unreadable = str(exc)
            return None
        if not agents:
            self.unreadable = f"no running agent ({self.agents.where})"
            return None
        with ThreadPoolExecutor(max_workers=min(8, len(agents))) as pool:
            found = dict(zip(agents, pool.map(self._read, agents)))
        if any(v is None for v in found.values()):
            return None
        return {k: v for k, v in found.items() if v is not None}

    def _one(self, agent: str, before: AgentPolicy, changes: Sequence[PolicyChange] | None,
             deadline: float) -> str | None:
        """Both phases on one agent; None when done, else why not."""
        while True:
            now = self._read(agent, timeout=max(1.0, min(10.0, deadline - time.monotonic())))
            if now is not None:
                done = (all(now.shows(c, before) for c in changes) if changes is not None
                        else now.rules != before.rules)
                if done:
                    break
            if time.monotonic() >= deadline:
                return "the change was not imported" if now is not None else (self.unreadable or "unreadable")
            time.sleep(_POLL)
        seconds = max(1, math.ceil(deadline - time.monotonic()))
        result = self.agents.run(agent, wait_argv(max(now.revision, before.revision + 1), seconds),
                                 timeout=seconds + 5.0)
        if result.exit_code == 0:
            return None
        return f"revision {now.revision} not realized by every endpoint"

    def wait(self, before: dict[str, AgentPolicy] | None, changes: Sequence[PolicyChange] | None = None) -> str:
        """Block until every agent imported `changes` (else: any change of its rules since `before`) and realized
        it in every endpoint, or the settle time when the agents could not be read before."""
        if changes is not None and not changes:
            self.last = "no policy changed"
            return self.last
        if not before:
            time.sleep(self.settle)
            self.last = f"agents not readable; waited {self.settle:g} s"
            return self.last
        deadline = time.monotonic() + self.wait_timeout
        with ThreadPoolExecutor(max_workers=min(8, len(before))) as pool:
            why = list(pool.map(lambda item: self._one(item[0], item[1], changes, deadline), before.items()))
        late = [f"{agent} ({reason})" for agent, reason in zip(before, why) if reason]
        if not late:
            self.last = f"realized by {len(before)} agent(s)"
        else:
            self.last = f"not confirmed by {', '.join(late)} within {self.wait_timeout:g} s"
        return self.last
