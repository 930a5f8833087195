"""A small RBAC authorizer over generated objects: what would the API server allow this user?

It follows the Kubernetes RBAC rules that matter for the objects `labs.workshop.rbac` writes: a
RoleBinding grants its Role (or a ClusterRole) only inside the binding's namespace; a
ClusterRoleBinding grants its ClusterRole everywhere; a rule matches when apiGroups, resources (with
`resource/subresource`), verbs and, when set, resourceNames match (`*` is honoured); a rule limited by
resourceNames never matches a request without a name (list, create). Aggregated ClusterRoles and
non-resource URLs are outside its scope: generated objects use neither, and `check_supported` says so
if someone adds one. It answers the same questions as a SubjectAccessReview, offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["AccessRequest", "Decision", "RbacAuthorizer", "UnsupportedRbacError"]


class UnsupportedRbacError(ValueError):
    """The objects use an RBAC feature this evaluator does not model; its answers would not be trustworthy."""


@dataclass(frozen=True)
class AccessRequest:
    """The attributes of a SubjectAccessReview's resourceAttributes, plus the user."""

    user: str
    verb: str
    resource: str
    group: str = ""
    namespace: str | None = None
    """None for a cluster-scoped request (or all namespaces, for list/watch)."""
    name: str | None = None
    subresource: str | None = None
    groups: tuple[str, ...] = ()

    def describe(self) -> str:
        res = self.resource + (f"/{self.subresource}" if self.subresource else "")
        res = f"{res}.{self.group}" if self.group else res
        where = f" in namespace {self.namespace!r}" if self.namespace else " cluster-wide"
        named = f" named {self.name!r}" if self.name else ""
        return f"{self.user} {self.verb} {res}{named}{where}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


class RbacAuthorizer:
    """Answers AccessRequests from Roles, ClusterRoles, RoleBindings and ClusterRoleBindings (dicts)."""

    def __init__(self, objects: Iterable[dict[str, Any]]):
        self.roles: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.cluster_roles: dict[str, list[dict[str, Any]]] = {}
        self.bindings: list[dict[str, Any]] = []
        for obj in objects:
            kind = obj.get("kind")
            meta = obj.get("metadata") or {}
            if kind == "Role":
                self.roles[(meta.get("namespace", ""), meta["name"])] = list(obj.get("rules") or [])
            elif kind == "ClusterRole":
                if obj.get("aggregationRule"):
                    raise UnsupportedRbacError(f"ClusterRole {meta.get('name')!r} uses aggregationRule, which this "
                                               "evaluator does not model; check it with a SubjectAccessReview.")
                self.cluster_roles[meta["name"]] = list(obj.get("rules") or [])
            elif kind in ("RoleBinding", "ClusterRoleBinding"):
                self.bindings.append(obj)
        for rules in [*self.roles.values(), *self.cluster_roles.values()]:
            for rule in rules:
                if rule.get("nonResourceURLs"):
                    raise UnsupportedRbacError("A rule uses nonResourceURLs, which this evaluator does not model.")

    def decide(self, request: AccessRequest) -> Decision:
        for binding in self.bindings:
            if not self._binds(binding, request):
                continue
            meta = binding.get("metadata") or {}
            bind_ns = meta.get("namespace") if binding["kind"] == "RoleBinding" else None
            if bind_ns is not None and request.namespace != bind_ns:
                continue
            ref = binding.get("roleRef") or {}
            rules = (self.roles.get((bind_ns or "", ref.get("name", ""))) if ref.get("kind") == "Role"
                     else self.cluster_roles.get(ref.get("name", "")))
            for index, rule in enumerate(rules or []):
                if _rule_matches(rule, request):
                    where = f"{binding['kind']} {bind_ns + '/' if bind_ns else ''}{meta.get('name')}"
                    return Decision(True, f"{where} -> {ref.get('kind')} {ref.get('name')} rule {index}")
        return Decision(False, "no binding grants it")

    def _binds(self, binding: dict[str, Any], request: AccessRequest) -> bool:
        for subject in binding.get("subjects") or []:
            kind = subject.get("kind")
            if kind == "ServiceAccount":
                ns = subject.get("namespace") or (binding.get("metadata") or {}).get("namespace", "")
                if request.user == f"system:serviceaccount:{ns}:{subject.get('name')}":
                    return True
            elif (kind == "User" and subject.get("name") == request.user) or (
                    kind == "Group" and subject.get("name") in request.groups):
                return True
        return False


def _rule_matches(rule: dict[str, Any], request: AccessRequest) -> bool:
    groups = rule.get("apiGroups") or []
    if "*" not in groups and request.group not in groups:
        return False
    verbs = rule.get("verbs") or []
    if "*" not in verbs and request.verb not in verbs:
        return False
    wanted = request.resource + (f"/{request.subresource}" if request.subresource else "")
    resources = rule.get("resources") or []
    if not any(r in ("*", wanted) or (request.subresource and r == f"*/{request.subresource}") for r in resources):
        return False
    names = rule.get("resourceNames") or []
    return not names or (request.name is not None and request.name in names)
