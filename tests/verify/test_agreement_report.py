"""Does the agreement report line up both backends per probe, count them, and diagnose each disagreement?"""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.outcomes import Outcome
from labs.probes import Probe, ProbeResult, Target
from labs.scenarios.agreement import AgreementReport, ProbeAgreement, diagnose
from labs.scenarios.live_run import LiveRun
from labs.scenarios.run import policy_documents
from labs.scenarios.spec import load_scenario
from labs.scenarios.workload import plan_workload

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "002-cnp-ingress-l3-allow.yaml"
TCP = Probe("default/other", Target("pod", "default/backend"), 80)
DNS = Probe("default/other", None, None, dns="kube-dns.kube-system")


def _run(policy_wait: str = "realized by 1 agent(s)") -> LiveRun:
    scenario = load_scenario(SCENARIO)
    run = LiveRun(plan_workload(scenario, policy_documents(scenario), run_id="d1"))
    run.policy_wait = policy_wait
    return run


@pytest.mark.parametrize(("probe", "sim", "live", "env", "starts"), [
    (TCP, ProbeResult(TCP, Outcome.ALLOWED, "no policy"),
     ProbeResult(TCP, Outcome.ERROR, "exec in default-d1/other failed: container not found"), {},
     "real-cluster effect: the probe did not reach a verdict"),
    (DNS, ProbeResult(DNS, Outcome.ALLOWED, "allowed by egress rule"),
     ProbeResult(DNS, Outcome.DROPPED, "no answer from the DNS server"), {"kube_dns_host_network": True},
     "real-cluster effect: CoreDNS runs on the host network"),
    (TCP, ProbeResult(TCP, Outcome.ALLOWED, "allowed by ingress rule 0"),
     ProbeResult(TCP, Outcome.DROPPED, "timed out; Hubble: DROPPED (POLICY_DENIED) at ingress",
                 detail={"drop_reason": "POLICY_DENIED"}), {},
     "simulator bug unless the scenario's sources say otherwise: Cilium dropped this by policy (POLICY_DENIED)"),
    (TCP, ProbeResult(TCP, Outcome.ALLOWED, "allowed by ingress rule 0"),
     ProbeResult(TCP, Outcome.DROPPED, "timed out; Hubble shows no policy drop for this traffic"), {},
     "timing or environment: the real probe timed out and Hubble shows no policy drop (policy wait: realized"),
    (TCP, ProbeResult(TCP, Outcome.DROPPED, "default deny"), ProbeResult(TCP, Outcome.ALLOWED, "HTTP 200"), {},
     "simulator bug or unrealized policy: the real datapath let it through (policy wait: realized by 1 agent(s))"),
], ids=["live-error", "dns-on-host", "hubble-policy-drop", "timeout-without-drop", "live-allows"])
def test_each_kind_of_disagreement_gets_its_first_diagnosis(probe, sim, live, env, starts):
    assert diagnose(sim, live, _run(), env).startswith(starts)


def _row(index: int, status: str, reason: str = "") -> ProbeAgreement:
    return ProbeAgreement("s", "s.yaml", index, 10 + index, "a -> b:80/TCP", "allowed", "allowed", "why", None
                          if status == "skipped" else ("allowed" if status == "agree" else "dropped"), reason, status,
                          "timing or environment: ..." if status == "disagree" else "")


def test_the_summary_counts_and_folds_skip_reasons():
    report = AgreementReport([
        _row(0, "agree"), _row(1, "agree"), _row(2, "disagree"),
        _row(3, "skipped", "fqdn:api.github.com is outside the cluster: the simulator's outside hosts ..."),
        _row(4, "skipped", "ip:1.1.1.1 is outside the cluster: the simulator's outside hosts ..."),
        _row(5, "skipped", "UDP probes cannot be judged on a real cluster"),
    ], {"nodes": 1})
    assert report.counts() == {"agree": 2, "disagree": 1, "skipped": 3, "run": 3, "total": 6}
    assert report.skipped_reasons() == [
        ("the destination is outside the cluster: the simulator's outside hosts ...", 2),
        ("UDP probes cannot be judged on a real cluster", 1)]
    text = report.text().splitlines()
    assert text[0] == "agree    s#0 a -> b:80/TCP: sim allowed, live allowed"
    assert text[2:6] == ["DISAGREE s#2 a -> b:80/TCP: sim allowed, live dropped", "         sim: why",
                         "         live: ", "         diagnosis: timing or environment: ..."]
    assert text[-3] == "agreement: 2 of 3 probes run agree (66.7%), 1 disagree, 3 skipped, 6 in all"
    assert report.to_json()["summary"]["skipped_reasons"] == dict(report.skipped_reasons())
