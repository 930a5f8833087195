"""The parts of workshop mode that need a real API server, through the kubernetes client.

Tokens (from the ServiceAccount token Secret the provisioning creates, or a TokenRequest), the
instructor's cluster endpoint, and SubjectAccessReviews for `verify`. Everything waits with a bounded,
caller-set timeout. Nothing here is used on the simulated backend.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from labs.cluster.base import ClusterError
from labs.workshop.rbac import WORKSHOP_NAMESPACE, TraineeAccess
from labs.workshop.rbac_eval import AccessRequest, Decision

__all__ = ["SecretTokens", "RequestedTokens", "SubjectAccessReviewer", "api_client"]


def api_client(kubeconfig: str | None = None, context: str | None = None) -> Any:
    """A kubernetes ApiClient for the instructor's kubeconfig (default: the usual search order)."""
    from kubernetes import config

    return config.new_client_from_config(config_file=kubeconfig, context=context)


class SecretTokens:
    """Reads `data.token` of the trainee's `kubernetes.io/service-account-token` Secret, waiting for it."""

    def __init__(self, client: Any, *, poll: float = 0.5, core: Any = None):
        from kubernetes import client as k8s

        self.core = core or k8s.CoreV1Api(client)
        self.poll = poll

    def token(self, access: TraineeAccess, *, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            secret = self.core.read_namespaced_secret(access.token_secret, WORKSHOP_NAMESPACE)
            data = secret.data or {}
            if data.get("token"):
                return base64.b64decode(data["token"]).decode()
            if time.monotonic() >= deadline:
                raise ClusterError(
                    f"The token Secret {WORKSHOP_NAMESPACE}/{access.token_secret} had no token after {timeout:.0f} s; "
                    "check that the token controller runs (kube-controller-manager), or use --token-request.")
            time.sleep(self.poll)


class RequestedTokens:
    """Asks the API server for a time-limited token (TokenRequest) instead of a long-lived Secret."""

    def __init__(self, client: Any, *, hours: float = 12.0):
        from kubernetes import client as k8s

        self.k8s = k8s
        self.core = k8s.CoreV1Api(client)
        self.seconds = int(hours * 3600)

    def token(self, access: TraineeAccess, *, timeout: float) -> str:
        body = self.k8s.AuthenticationV1TokenRequest(
            spec=self.k8s.V1TokenRequestSpec(audiences=[], expiration_seconds=self.seconds))
        result = self.core.create_namespaced_service_account_token(
            access.service_account, WORKSHOP_NAMESPACE, body, _request_timeout=timeout)
        token = result.status.token if result.status is not None else None
        if not token:  # str(None) would write the word "None" into the trainee's kubeconfig
            raise ClusterError(
                f"The TokenRequest for {WORKSHOP_NAMESPACE}/{access.service_account} was answered without a token; "
                "check that the API server issues ServiceAccount tokens, or use the token Secret (no --token-request).")
        return str(token)


class SubjectAccessReviewer:
    """Answers an AccessRequest with a SubjectAccessReview, exactly as the API server would authorise it."""

    def __init__(self, client: Any, *, timeout: float = 10.0, auth: Any = None):
        from kubernetes import client as k8s

        self.k8s = k8s
        self.auth = auth or k8s.AuthorizationV1Api(client)
        self.timeout = timeout

    def review(self, request: AccessRequest) -> Decision:
        attrs = self.k8s.V1ResourceAttributes(
            verb=request.verb, group=request.group, resource=request.resource, subresource=request.subresource,
            namespace=request.namespace, name=request.name)
        body = self.k8s.V1SubjectAccessReview(spec=self.k8s.V1SubjectAccessReviewSpec(
            user=request.user, groups=list(request.groups), resource_attributes=attrs))
        result = self.auth.create_subject_access_review(body, _request_timeout=self.timeout)
        status = result.status
        if status is None:
            raise ClusterError(f"The SubjectAccessReview for {request.user} ({request.verb} {request.resource}) was "
                               "answered without a status, so access cannot be verified; is the API server's "
                               "authorization API reachable?")
        return Decision(bool(status.allowed), status.reason or ("allowed" if status.allowed else "no rule allows it"))
