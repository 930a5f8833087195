"""The `Valid` condition Cilium's operator writes on CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy.

Source: cilium/cilium `operator/pkg/networkpolicy/validator.go` (`handleCNPEvent`, `updateCondition`): the
operator runs `Rule.Sanitize()` on `spec` and every `specs[i]`, joins the errors (Go `errors.Join`, one per
line) and sets `status.conditions[type=Valid]` to `False` with that message, or to `True` with
"Policy validation succeeded". `kubectl get cnp` shows it in the VALID column (the CRD's
additionalPrinterColumns, `pkg/k8s/apis/cilium.io/v2/cnp_types.go`). The API server accepts such a policy
(`created`), the agent does not enforce it.

Modelled: the first check of `Sanitize` (`pkg/policy/api/rule_validation.go`): a rule with no non-empty
ingress, ingressDeny, egress or egressDeny section (`ingress: []` alone is the classic case). The other
checks of Sanitize concern values the course's manifest loader already rejects before apply.
"""

from __future__ import annotations

from typing import Any

__all__ = ["validation_message", "VALID_MESSAGE"]

VALID_MESSAGE = "Policy validation succeeded"
_NO_SECTION = "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny"


def validation_message(policy: Any) -> str | None:
    """The error text of the Valid=False condition, or None when the operator finds the policy valid."""
    rules = getattr(policy, "rules", None)
    if rules is None:
        return None
    errors = [_NO_SECTION for rule in rules
              if not (rule.ingress or rule.ingress_deny or rule.egress or rule.egress_deny)]
    return "\n".join(errors) if errors else None
