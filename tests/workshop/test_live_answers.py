"""Does the workshop's live part refuse an API answer that lacks what it asked for, instead of using it?

A TokenRequest answered without a token once became the word "None" in a trainee's kubeconfig, and a
SubjectAccessReview without a status an AttributeError; both now say what is missing and where.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from labs.cluster.base import ClusterError
from labs.workshop.live import RequestedTokens, SubjectAccessReviewer
from labs.workshop.rbac import trainee_access
from labs.workshop.rbac_eval import AccessRequest

ALICE = trainee_access("alice", {"lab": ["frontend"]})


class FakeCore:
    """Answers create_namespaced_service_account_token with the given status."""

    def __init__(self, status):
        self.status = status

    def create_namespaced_service_account_token(self, name, namespace, body, _request_timeout=None):
        return SimpleNamespace(status=self.status)


def _tokens(status) -> RequestedTokens:
    tokens = RequestedTokens(None, hours=1)
    tokens.core = FakeCore(status)
    return tokens


@pytest.mark.parametrize("status", [None, SimpleNamespace(token=None), SimpleNamespace(token="")],
                         ids=["no-status", "null-token", "empty-token"])
def test_a_token_request_without_a_token_is_refused(status):
    with pytest.raises(ClusterError, match=r"TokenRequest for ciliumlab-workshop/trainee-alice was answered "
                                           r"without a token"):
        _tokens(status).token(ALICE, timeout=1)


def test_a_token_request_with_a_token_returns_it():
    assert _tokens(SimpleNamespace(token="abc")).token(ALICE, timeout=1) == "abc"


class FakeAuthorization:
    def create_subject_access_review(self, body, _request_timeout=None):
        return SimpleNamespace(status=None)


def test_a_review_without_a_status_is_refused():
    request = AccessRequest("system:serviceaccount:ciliumlab-workshop:trainee-alice", "create", "pods", "",
                            "alice-frontend", None, None, ())
    with pytest.raises(ClusterError, match=r"SubjectAccessReview for .*trainee-alice \(create pods\) was answered "
                                           r"without a status"):
        SubjectAccessReviewer(None, auth=FakeAuthorization()).review(request)
