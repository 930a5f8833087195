"""The simulator against the real datapath, probe by probe: agree, disagree (with a diagnosis), or skipped.

For each scenario the simulated backend runs the scenario as written and the live cluster runs the
converted workload (`labs.scenarios.live_run`); each probe becomes one `ProbeAgreement` with both
outcomes and reasons. A disagreement carries a first diagnosis from what is known about the run
(an `error` on the real side is not a verdict; CoreDNS on the host network changes what DNS rules
select; a drop without a policy drop in Hubble is a timeout, not a verdict), so that each line can
be settled as a simulator bug or a real-cluster effect.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from labs.outcomes import Outcome
from labs.probes import ProbeResult
from labs.scenarios.live_run import LiveRun
from labs.scenarios.run import ScenarioResult

__all__ = ["ProbeAgreement", "AgreementReport", "compare_run", "diagnose"]


@dataclass(frozen=True)
class ProbeAgreement:
    scenario: str
    file: str
    index: int
    """Position of the probe in the scenario's `probes:` list (0-based), the id with `scenario`."""
    line: int | None
    probe: str
    expect: str | None
    sim: str
    sim_reason: str
    live: str | None
    live_reason: str
    status: str
    """`agree`, `disagree` or `skipped`."""
    diagnosis: str = ""

    @property
    def id(self) -> str:
        return f"{self.scenario}#{self.index}"

    def line_text(self) -> str:
        if self.status == "skipped":
            return f"skipped  {self.id} {self.probe}: {self.live_reason}"
        head = "agree   " if self.status == "agree" else "DISAGREE"
        text = f"{head} {self.id} {self.probe}: sim {self.sim}, live {self.live}"
        if self.status == "disagree":
            text += (f"\n         sim: {self.sim_reason}\n         live: {self.live_reason}"
                     f"\n         diagnosis: {self.diagnosis}")
        return text

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "scenario": self.scenario, "file": self.file, "index": self.index, "line": self.line,
                "probe": self.probe, "expect": self.expect, "sim": self.sim, "sim_reason": self.sim_reason,
                "live": self.live, "live_reason": self.live_reason, "status": self.status,
                "diagnosis": self.diagnosis}


def _hubble_policy_drop(result: ProbeResult) -> bool:
    return bool(result.detail.get("drop_reason")) and "Hubble: DROPPED" in result.reason


def diagnose(sim: ProbeResult, live: ProbeResult, run: LiveRun, env: dict[str, Any]) -> str:
    """A first explanation of a disagreement from what the run knows; the last word is the cited sources'."""
    probe = sim.probe
    if live.outcome is Outcome.ERROR:
        return ("real-cluster effect: the probe did not reach a verdict on the real cluster (an error is not a policy "
                "outcome); fix the environment, then compare again")
    if (probe.dns is not None or probe.protocol == "UDP") and env.get("kube_dns_host_network"):
        return ("real-cluster effect: CoreDNS runs on the host network on this cluster, so Cilium sees it as "
                "`host`, not as the kube-system pods `k8s-app: kube-dns` the policies name (labs/env/local/dns.py)")
    if live.outcome is Outcome.DROPPED and sim.outcome is not Outcome.DROPPED:
        if _hubble_policy_drop(live):
            return ("simulator bug unless the scenario's sources say otherwise: Cilium dropped this by policy "
                    f"({live.detail.get('drop_reason')}) where the simulator did not")
        return ("timing or environment: the real probe timed out and Hubble shows no policy drop (policy wait: "
                f"{run.policy_wait or 'no policies'}); the server may not answer, or the policy was not realized yet")
    if sim.outcome is Outcome.DROPPED and live.outcome is Outcome.ALLOWED:
        return ("simulator bug or unrealized policy: the real datapath let it through (policy wait: "
                f"{run.policy_wait or 'no policies'}); if the agents confirmed the revision, the simulator is stricter "
                "than Cilium here")
    return f"outcomes differ (simulator {sim.outcome.value}, Cilium {live.outcome.value}); compare the two reasons"


def compare_run(sim: ScenarioResult, run: LiveRun, env: dict[str, Any]) -> list[ProbeAgreement]:
    """One row per probe of the scenario, in its written order."""
    rows = []
    for index, (check, planned, live) in enumerate(zip(sim.checks, run.plan.probes, run.results)):
        exp = check.expectation

        def row(outcome: str | None, reason: str, status: str, diagnosis: str = "") -> ProbeAgreement:
            return ProbeAgreement(sim.scenario.name, sim.scenario.file, index, exp.line,  # noqa: B023
                                  exp.probe.describe(), exp.expect.value if exp.expect else None,  # noqa: B023
                                  check.result.outcome.value, check.result.reason, outcome, reason,  # noqa: B023
                                  status, diagnosis)

        skipped = run.plan.skipped or planned.skipped
        if skipped:
            rows.append(row(None, skipped, "skipped"))
        elif live is None:
            rows.append(row(Outcome.ERROR.value, f"not run: {run.error or 'the run stopped before this probe'}",
                            "disagree", "real-cluster effect: the run stopped before its probes; see the reason"))
        elif live.outcome is check.result.outcome:
            rows.append(row(live.outcome.value, live.reason, "agree"))
        else:
            rows.append(row(live.outcome.value, live.reason, "disagree", diagnose(check.result, live, run, env)))
    return rows


@dataclass
class AgreementReport:
    rows: list[ProbeAgreement]
    env: dict[str, Any]
    invalid: int = 0

    def counts(self) -> dict[str, int]:
        found = Counter(r.status for r in self.rows)
        return {"agree": found["agree"], "disagree": found["disagree"], "skipped": found["skipped"],
                "run": found["agree"] + found["disagree"], "total": len(self.rows)}

    def skipped_reasons(self) -> list[tuple[str, int]]:
        """Skip reasons with how many probes each covers, most frequent first (addresses folded together)."""
        found = Counter(_fold(r.live_reason) for r in self.rows if r.status == "skipped")
        return sorted(found.items(), key=lambda item: (-item[1], item[0]))

    def summary_text(self) -> str:
        c = self.counts()
        share = f" ({100 * c['agree'] / c['run']:.1f}%)" if c["run"] else ""
        lines = [f"agreement: {c['agree']} of {c['run']} probes run agree{share}, {c['disagree']} disagree, "
                 f"{c['skipped']} skipped, {c['total']} in all"]
        lines += [f"  skipped {n:>3}: {reason}" for reason, n in self.skipped_reasons()]
        return "\n".join(lines)

    def text(self) -> str:
        return "\n".join([r.line_text() for r in self.rows] + [self.summary_text()])

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.env, "summary": {**self.counts(), "invalid": self.invalid,
                                                     "skipped_reasons": dict(self.skipped_reasons())},
                "probes": [r.to_json() for r in self.rows]}


def _fold(reason: str) -> str:
    """`fqdn:api.github.com is outside ...` and `ip:1.1.1.1 is outside ...` count as one reason."""
    head, sep, tail = reason.partition(" is outside the cluster")
    if sep and (head.startswith(("fqdn:", "ip:", "entity:world"))):
        return "the destination is outside the cluster" + tail
    if reason.startswith("pod ") and " is pinned to the simulated node " in reason:
        return "a pod is pinned to a second simulated node" + reason.split("'", 2)[-1]
    return reason
