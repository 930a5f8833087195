"""Label selectors (matchLabels + matchExpressions) for Cilium and Kubernetes policies.

Cilium keys may carry a source prefix (`k8s:app`, `any:app`, `reserved:host`); Kubernetes keys may
not, and are checked against the label-key syntax.
"""

from __future__ import annotations

from labs.manifests.fields import Field
from labs.manifests.values import label_key, label_value
from labs.policy.model import LabelSelector, Requirement

__all__ = ["parse_selector", "OPERATORS"]

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _check_key(node: Field, key: str, cilium: bool) -> None:
    if not key:
        node.problem("A label key must not be empty.")
        return
    if cilium:
        # Cilium accepts source prefixes (k8s:, any:, reserved:) and short forms ($host); it does not
        # check key syntax further, so only whitespace (never right) is reported.
        if any(ch.isspace() for ch in key):
            node.problem(f"The label key {key!r} contains whitespace; label keys never do.")
        return
    problem = label_key(key)
    if problem:
        node.problem(problem)


def parse_selector(node: Field, *, cilium: bool) -> LabelSelector | None:
    """A selector at `node`, or None (problems recorded) when it is malformed."""
    fields = node.mapping(("matchLabels", "matchExpressions"), what="a label selector")
    if fields is None:
        return None
    ok = True
    labels: list[tuple[str, str]] = []
    if "matchLabels" in fields:
        values = fields["matchLabels"].string_map()
        if values is None:
            ok = False
        else:
            for key, value in values.items():
                child = fields["matchLabels"].child(key, value)
                _check_key(child, key, cilium)
                problem = label_value(value)
                if problem:
                    child.problem(problem)
            labels = sorted(values.items())
    requirements: list[Requirement] = []
    if "matchExpressions" in fields:
        items = fields["matchExpressions"].items()
        ok = ok and items is not None
        for item in items or ():
            requirement = _parse_requirement(item, cilium)
            if requirement is None:
                ok = False
            else:
                requirements.append(requirement)
    if not ok:
        return None
    return LabelSelector(match_labels=tuple(labels), match_expressions=tuple(requirements), path=node.where)


def _parse_requirement(item: Field, cilium: bool) -> Requirement | None:
    fields = item.mapping(("key", "operator", "values"), what="a matchExpressions entry")
    if fields is None:
        return None
    key = fields["key"].string(allow_empty=False) if "key" in fields else None
    if "key" not in fields:
        item.problem("A matchExpressions entry needs a 'key'.")
    elif key:
        _check_key(fields["key"], key, cilium)
    operator = None
    if "operator" not in fields:
        item.problem(f"A matchExpressions entry needs an 'operator' (one of {', '.join(OPERATORS)}).")
    else:
        operator = fields["operator"].string()
        if operator is not None and operator not in OPERATORS:
            hint = [o for o in OPERATORS if o.lower() == operator.lower()]
            fields["operator"].problem(
                f"Unknown operator {operator!r}; expected one of {', '.join(OPERATORS)}"
                + (f" (operators are case-sensitive: {hint[0]!r})." if hint else "."))
            operator = None
    values: list[str] = []
    if "values" in fields:
        entries = fields["values"].items()
        for entry in entries or ():
            value = entry.string()
            if value is not None:
                values.append(value)
                # Kubernetes checks each value against the label-value syntax (apimachinery
                # ValidateLabelSelectorRequirement, IsValidLabelValue); Cilium's CRD does not.
                problem = None if cilium else label_value(value)
                if problem:
                    entry.problem(problem)
    if operator in ("In", "NotIn") and not values:
        (fields.get("values") or item).problem(f"The operator {operator!r} needs a non-empty 'values' list.")
        return None
    if operator in ("Exists", "DoesNotExist") and values:
        fields["values"].problem(f"The operator {operator!r} takes no 'values'; remove them.")
        return None
    if key is None or operator is None:
        return None
    return Requirement(key=key, operator=operator, values=tuple(values))
