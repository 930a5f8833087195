"""The `Valid` condition Cilium's operator writes on CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy.

Source: cilium/cilium v1.19.5 `operator/pkg/networkpolicy/cell.go` (`handleCNPEvent` :106, `updateCondition`
:229; checked against the real operator by tests/realcluster/test_operator_validation.py): the operator
runs `Rule.Sanitize()` on `spec` and every `specs[i]`, joins the errors (Go `errors.Join`, one per line) and
sets `status.conditions[type=Valid]` to `False` with that message, or to `True` with "Policy validation
succeeded". `kubectl get cnp` shows it in the VALID column (the CRD's
additionalPrinterColumns, `pkg/k8s/apis/cilium.io/v2/cnp_types.go`). The API server accepts such a policy
(`created`), the agent does not enforce it.

Modelled: the first check of `Sanitize` (`pkg/policy/api/rule_validation.go:44` in v1.19.5): a rule with
no non-empty ingress, ingressDeny, egress or egressDeny section (`ingress: []` alone is the classic case);
then every other check of Sanitize that the CRD schema does not make, recorded by the manifest loader
when it reads a policy as the API server stores it (`CiliumPolicy.sanitize_errors`, with Cilium's error
text; the list is tests/realcluster/disagreements.yaml's `agent-refuses` entries). Sanitize stops at a
rule's first error, and the operator joins the errors of `spec` and each `specs[i]`, one per line.
What only the agent's parsing refuses (an empty policy, a nodeSelector in a CiliumNetworkPolicy) leaves
the condition True (the operator of v1.19.5 runs Sanitize only): stored, reported valid, not enforced.
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
    recorded = dict(getattr(policy, "sanitize_errors", ()))
    errors = []
    for rule in rules:
        if rule.path in recorded:  # what the YAML held; an item Cilium refuses may be missing from the model
            errors.append(recorded.pop(rule.path))
        elif not (rule.ingress or rule.ingress_deny or rule.egress or rule.egress_deny):
            errors.append(_NO_SECTION)
    errors += recorded.values()
    return "\n".join(errors) if errors else None
