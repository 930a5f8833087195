"""Policy audit mode: an L3/L4 drop at an auditing endpoint is reported and let through.

What Cilium does (read at cilium/cilium commit 010e7c2, the line numbers below are from that file
version; the same code is in the pinned 1.19 line):

- The datapath decides L3/L4 as usual. `policy_can_ingress` and `policy_can_egress` in
  `bpf/lib/policy.h` (the `#ifdef POLICY_AUDIT_MODE` blocks, lines 394-399 and 455-460) turn *any*
  negative verdict of the policy lookup into `CTX_ACT_OK` and set `audited`: a default-deny miss
  (`return DROP_POLICY`, line 318; Hubble POLICY_DENIED) and an explicit deny entry
  (`DROP_POLICY_DENY`, line 181; POLICY_DENY) alike. The packet goes on; no drop event is sent;
  the policy-verdict event carries the audited flag and verdict 0.
- An audited packet never matched an allow entry, so it has no proxy port (only an allow entry sets it,
  line 190): it is not redirected to Envoy or the DNS proxy. Traffic that *is* allowed at L3/L4 with L7
  rules is redirected as always, and the proxy enforces its L7 rules whatever the endpoint's audit
  setting: the option is a datapath define (`POLICY_AUDIT_MODE`, `pkg/option/endpoint.go`
  `specPolicyAuditMode`), and its only other readers are the endpoint's status (`pkg/endpoint/api.go`
  `policyStatus`, "audit-..." modes) and the CiliumEndpoint status (`pkg/endpoint/endpoint_status.go`
  `getEndpointPolicy`, not enforcing while auditing). Cilium's guide says the same: audit mode covers
  layers 3 and 4 (`Documentation/gettingstarted/policy-creation.rst`, first paragraph).
- Hubble maps an audited policy-verdict event to verdict AUDIT (`pkg/hubble/parser/threefour/
  parser.go:463-480` `decodeVerdict`: `<0` DROPPED, `>0` REDIRECTED, audited AUDIT, else FORWARDED), and
  the policy correlation names the denying policy in `*_denied_by` (course reference
  cilium-semantics.md §9).
- Per endpoint: `cilium-dbg endpoint config ID PolicyAuditMode=Enabled`; for every endpoint of an
  agent: `policy-audit-mode: "true"` in cilium-config, read when the agent starts. Each endpoint's
  own option, once set, wins over the agent default.

Each direction is enforced by the endpoint it belongs to (egress at the source pod, ingress at the
destination pod), so each is audited by that endpoint's setting alone.
"""

from __future__ import annotations

from dataclasses import replace

from labs.outcomes import Outcome
from labs.policy.verdict import DirectionVerdict

__all__ = ["audited"]


def audited(d: DirectionVerdict) -> DirectionVerdict:
    """`d` as an auditing endpoint reports it: an L3/L4 drop becomes an audited pass; anything else stays."""
    if d.outcome is not Outcome.DROPPED:
        return d
    reason = (f"policy audit mode lets it through (Hubble verdict AUDIT); enforced, it would be dropped: "
              f"{d.reason}")
    return replace(d, outcome=Outcome.ALLOWED, reason=reason, audited=True, l7=None)
