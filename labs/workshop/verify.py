"""Prove isolation: every trainee asks for access to every other trainee's namespaces and is refused.

The questions are the same whoever answers them: `RbacAuthorizer` offline (tests, the simulated
backend) or SubjectAccessReviews on a live cluster (`labs.workshop.live.SubjectAccessReviewer`). Each
trainee also gets positive controls in their own namespace, so a cluster that refuses everything
(a broken provisioning) does not pass as "isolated".
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from labs.workshop.rbac import WORKSHOP_NAMESPACE, TraineeAccess
from labs.workshop.rbac_eval import AccessRequest, Decision, RbacAuthorizer

__all__ = ["AccessReviewer", "OfflineReviewer", "Expectation", "VerifyReport", "expectations", "verify",
           "FORBIDDEN_ELSEWHERE", "ALLOWED_AT_HOME", "service_account_groups"]

FORBIDDEN_ELSEWHERE: tuple[tuple[str, str, str, str | None], ...] = (
    ("create", "", "pods", None),
    ("delete", "", "pods", None),
    ("create", "", "pods", "exec"),
    ("get", "", "secrets", None),
    ("create", "cilium.io", "ciliumnetworkpolicies", None),
    ("delete", "cilium.io", "ciliumnetworkpolicies", None),
    ("create", "networking.k8s.io", "networkpolicies", None),
    ("delete", "apps", "deployments", None),
)
"""(verb, group, resource, subresource) a trainee must never be granted in another trainee's namespace."""

ALLOWED_AT_HOME: tuple[tuple[str, str, str, str | None], ...] = (
    ("create", "", "pods", None),
    ("create", "", "pods", "exec"),
    ("create", "cilium.io", "ciliumnetworkpolicies", None),
    ("delete", "networking.k8s.io", "networkpolicies", None),
)
"""Positive controls in the trainee's own first namespace: the labs cannot run without these."""


def service_account_groups(namespace: str = WORKSHOP_NAMESPACE) -> tuple[str, ...]:
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated")


class AccessReviewer(Protocol):
    def review(self, request: AccessRequest) -> Decision: ...


class OfflineReviewer:
    """Answers from the generated objects with the package's own RBAC evaluator."""

    def __init__(self, authorizer: RbacAuthorizer):
        self.authorizer = authorizer

    def review(self, request: AccessRequest) -> Decision:
        return self.authorizer.decide(request)


@dataclass(frozen=True)
class Expectation:
    request: AccessRequest
    allowed: bool


@dataclass
class VerifyReport:
    checked: int = 0
    failures: list[tuple[Expectation, Decision]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def lines(self) -> list[str]:
        if self.ok:
            return [f"Isolation verified: {self.checked} access checks answered as expected."]
        out = [f"{len(self.failures)} of {self.checked} access checks were not answered as expected:"]
        for exp, dec in self.failures[:50]:
            want = "allowed" if exp.allowed else "refused"
            got = "allowed" if dec.allowed else "refused"
            out.append(f"  {exp.request.describe()}: expected {want}, was {got} ({dec.reason})")
        if len(self.failures) > 50:
            out.append(f"  ... and {len(self.failures) - 50} more")
        return out


def expectations(accesses: Sequence[TraineeAccess]) -> list[Expectation]:
    """Every trainee against every other trainee's namespaces, the workshop namespace and kube-system."""
    groups = service_account_groups()
    out: list[Expectation] = []
    for access in accesses:
        foreign = [ns for other in accesses if other.trainee != access.trainee for ns in other.namespaces]
        for ns in [*foreign, WORKSHOP_NAMESPACE, "kube-system"]:
            for verb, group, resource, sub in FORBIDDEN_ELSEWHERE:
                out.append(Expectation(AccessRequest(access.user, verb, resource, group, ns, None, sub, groups), False))
        for ns in foreign:
            request = AccessRequest(access.user, "patch", "namespaces", "", None, ns, None, groups)
            out.append(Expectation(request, False))
        if access.namespaces:
            home = access.namespaces[0]
            for verb, group, resource, sub in ALLOWED_AT_HOME:
                request = AccessRequest(access.user, verb, resource, group, home, None, sub, groups)
                out.append(Expectation(request, True))
    return out


def verify(accesses: Sequence[TraineeAccess], reviewer: AccessReviewer, *, parallel: int = 16) -> VerifyReport:
    """Ask every question (at most `parallel` at a time) and collect the unexpected answers."""
    checks = expectations(accesses)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        decisions = list(pool.map(lambda e: reviewer.review(e.request), checks))
    report = VerifyReport(checked=len(checks))
    report.failures = [(e, d) for e, d in zip(checks, decisions) if d.allowed != e.allowed]
    return report
