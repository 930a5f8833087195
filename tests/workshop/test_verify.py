"""Does `verify` catch a leak, through the same SubjectAccessReview calls a live cluster answers?"""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest

from labs.cluster.base import ClusterError
from labs.workshop.live import SecretTokens, SubjectAccessReviewer
from labs.workshop.rbac import WORKSHOP_NAMESPACE, trainee_access, workshop_objects
from labs.workshop.rbac_eval import AccessRequest, RbacAuthorizer
from labs.workshop.verify import OfflineReviewer, expectations, verify

LABS = {"lab": ["frontend", "backend"]}
ACCESSES = [trainee_access(t, LABS) for t in ("alice", "bob", "carol")]


class FakeAuthorizationApi:
    """Answers SubjectAccessReview bodies (kubernetes client models) from an RbacAuthorizer, like an API server."""

    def __init__(self, objects):
        self.auth = RbacAuthorizer(objects)
        self.calls = 0

    def create_subject_access_review(self, body, _request_timeout=None):
        self.calls += 1
        spec, attrs = body.spec, body.spec.resource_attributes
        decision = self.auth.decide(AccessRequest(spec.user, attrs.verb, attrs.resource, attrs.group or "",
                                                  attrs.namespace, attrs.name, attrs.subresource,
                                                  tuple(spec.groups or ())))
        return SimpleNamespace(status=SimpleNamespace(allowed=decision.allowed, reason=decision.reason))


def test_generated_objects_verify_through_subject_access_reviews():
    api = FakeAuthorizationApi(workshop_objects(ACCESSES))
    report = verify(ACCESSES, SubjectAccessReviewer(None, auth=api), parallel=4)
    assert report.ok, report.lines()
    assert api.calls == report.checked == len(expectations(ACCESSES))
    assert report.lines() == [f"Isolation verified: {report.checked} access checks answered as expected."]


def test_a_leaky_binding_is_reported():
    leak = {"kind": "RoleBinding", "metadata": {"name": "oops", "namespace": "bob-backend"},
            "roleRef": {"kind": "Role", "name": "ciliumlab-trainee"},
            "subjects": [{"kind": "ServiceAccount", "name": "trainee-alice", "namespace": WORKSHOP_NAMESPACE}]}
    api = FakeAuthorizationApi([*workshop_objects(ACCESSES), leak])
    report = verify(ACCESSES, SubjectAccessReviewer(None, auth=api))
    assert not report.ok
    assert report.lines()[0] == f"7 of {report.checked} access checks were not answered as expected:"
    assert report.lines()[1] == (
        "  system:serviceaccount:ciliumlab-workshop:trainee-alice create pods in namespace 'bob-backend': "
        "expected refused, was allowed (RoleBinding bob-backend/oops -> Role ciliumlab-trainee rule 0)")


def test_refusing_everything_is_not_isolation():
    report = verify(ACCESSES, OfflineReviewer(RbacAuthorizer([])))
    assert not report.ok
    assert all(exp.allowed for exp, _ in report.failures)


class FakeCore:
    def __init__(self, answers):
        self.answers = list(answers)

    def read_namespaced_secret(self, name, namespace):
        assert (namespace, name) == (WORKSHOP_NAMESPACE, "trainee-alice-token")
        return SimpleNamespace(data=self.answers.pop(0) if len(self.answers) > 1 else self.answers[0])


def test_secret_token_waits_for_the_token_controller():
    token = base64.b64encode(b"abc.def").decode()
    source = SecretTokens(None, poll=0.01, core=FakeCore([None, {}, {"token": token}]))
    assert source.token(ACCESSES[0], timeout=5) == "abc.def"


def test_secret_token_wait_is_bounded():
    source = SecretTokens(None, poll=0.01, core=FakeCore([None]))
    with pytest.raises(ClusterError, match=r"The token Secret ciliumlab-workshop/trainee-alice-token had no token "
                                           r"after 0 s; check that the token controller runs"):
        source.token(ACCESSES[0], timeout=0.05)
