"""Hubble flows for workshop trainees: each sees the flows of their own namespaces, nobody else's.

Trainees may not exec into the Cilium agents (that would show every trainee's traffic), and Hubble
Relay is closed to their pods (`relay_policy`). The instructor runs `python -m labs workshop
flows-serve`: a small HTTP service that reads Hubble with the instructor's credentials, checks the
bearer token of each request with a TokenReview (the API server says whose token it is), maps the
ServiceAccount `ciliumlab-workshop:trainee-<name>` to that trainee's namespaces (label
`ciliumlab.io/trainee`), and returns only flows whose source or destination is in one of them, as
`hubble observe -o jsonpb` lines. A trainee's notebook reads it through `ServiceFlowReader` when
`LABS_FLOWS_URL` is set.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from labs.cluster.base import ClusterError
from labs.workshop.http_serving import TrackedHTTPServer
from labs.workshop.rbac import WORKSHOP_NAMESPACE
from labs.workshop.scope import TRAINEE_LABEL

__all__ = ["FlowsService", "ServiceFlowReader", "TokenReviewer", "trainee_of_user", "flows_of_namespaces",
           "relay_policy", "trainee_namespaces", "flow_reader_from_env", "FLOWS_URL_ENV", "RELAY_POLICY_NAME"]

FLOWS_URL_ENV = "LABS_FLOWS_URL"
RELAY_POLICY_NAME = "ciliumlab-workshop-hubble-relay"
_SA_PREFIX = f"system:serviceaccount:{WORKSHOP_NAMESPACE}:trainee-"


def trainee_of_user(username: str) -> str | None:
    """`system:serviceaccount:ciliumlab-workshop:trainee-alice` -> `alice`; any other user -> None."""
    if not username.startswith(_SA_PREFIX):
        return None
    name = username[len(_SA_PREFIX):]
    return name or None


def flows_of_namespaces(flows: list[dict[str, Any]], namespaces: set[str]) -> list[dict[str, Any]]:
    """The flows with a source or destination endpoint in `namespaces` (GetFlowsResponse dicts)."""
    kept = []
    for obj in flows:
        flow = obj.get("flow") or {}
        ends = ((flow.get("source") or {}).get("namespace"), (flow.get("destination") or {}).get("namespace"))
        if any(ns in namespaces for ns in ends if ns):
            kept.append(obj)
    return kept


def relay_policy() -> dict[str, Any]:
    """Hubble Relay answers kube-system (Hubble UI), the nodes (port-forwards) and the flows service only.

    Relay serves every flow of the cluster in plaintext on a ClusterIP; without this any trainee pod could
    read every other trainee's traffic."""
    return {
        "apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
        "metadata": {"name": RELAY_POLICY_NAME, "labels": {"ciliumlab.io/workshop": "true"}},
        "spec": {
            "endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                                 "k8s:k8s-app": "hubble-relay"}},
            "ingress": [
                {"fromEntities": ["host", "remote-node"]},
                {"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system"}},
                                   {"matchLabels": {"k8s:io.kubernetes.pod.namespace": WORKSHOP_NAMESPACE}}]},
            ],
        },
    }


@dataclass
class TokenReviewer:
    """Who a bearer token belongs to, as the API server says (authentication.k8s.io/v1 TokenReview)."""

    api: Any
    """A `labs.cluster.live.api.KubeApi` with the instructor's credentials."""
    timeout: float = 10.0

    def user(self, token: str) -> str | None:
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
        answer = self.api.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews", body=body,
                                  content_type="application/json", timeout=self.timeout) or {}
        status = answer.get("status") or {}
        if not status.get("authenticated"):
            return None
        return str((status.get("user") or {}).get("username") or "") or None


@dataclass
class FlowsService:
    """Answers `GET /flows?since=RFC3339&until=RFC3339&limit=N` with the caller's own flows."""

    reviewer: Any
    """Has `user(token) -> username | None`."""
    reader: Any
    """A `labs.cluster.live.hubble.FlowReader` that sees every flow (the instructor's)."""
    namespaces_of: Callable[[str], set[str]]
    """trainee -> their namespaces."""
    max_limit: int = 10_000
    log: list[str] = field(default_factory=list)

    def answer(self, authorization: str | None, query: dict[str, str]) -> tuple[int, str]:
        """(HTTP status, body): jsonpb lines, or a JSON error with a message."""
        token = (authorization or "")[len("Bearer "):].strip() if (authorization or "").startswith("Bearer ") else ""
        if not token:
            return 401, json.dumps({"message": "a bearer token (the trainee's kubeconfig token) is required"})
        try:
            user = self.reviewer.user(token)
        except ClusterError as exc:
            return 503, json.dumps({"message": f"the token could not be checked: {exc}"})
        trainee = trainee_of_user(user or "")
        if trainee is None:
            self.log.append(f"refused {user or 'an unknown token'}")
            return 403, json.dumps({"message": "only workshop trainees' tokens are served here"})
        try:
            since = datetime.fromisoformat(query["since"].replace("Z", "+00:00"))
            until = datetime.fromisoformat(query["until"].replace("Z", "+00:00")) if query.get("until") else None
            limit = min(int(query.get("limit", self.max_limit)), self.max_limit)
        except (KeyError, ValueError):
            return 400, json.dumps({"message": "since (RFC 3339) is required; until and limit are optional"})
        try:
            flows = self.reader.observe(since=since, until=until, limit=self.max_limit)
        except ClusterError as exc:
            return 503, json.dumps({"message": str(exc)})
        mine = flows_of_namespaces(flows, self.namespaces_of(trainee))[-limit:]
        self.log.append(f"{trainee}: {len(mine)} of {len(flows)} flows")
        return 200, "".join(json.dumps(f) + "\n" for f in mine)

    def server(self, host: str = "127.0.0.1", port: int = 0) -> TrackedHTTPServer:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != "/flows":
                    code, body = 404, json.dumps({"message": "the only path is /flows"})
                else:
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code, body = service.answer(self.headers.get("Authorization"), query)
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/x-ndjson" if code == 200 else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return TrackedHTTPServer((host, port), Handler)

    def serve_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> TrackedHTTPServer:
        server = self.server(host, port)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return server


def trainee_namespaces(api: Any, trainee: str) -> set[str]:
    """The namespaces labelled `ciliumlab.io/trainee=<trainee>` (what provision creates)."""
    return {o["metadata"]["name"] for o in api.items("/api/v1/namespaces", label_selector=f"{TRAINEE_LABEL}={trainee}")}


@dataclass
class ServiceFlowReader:
    """A FlowReader for a trainee's notebook: the flows service, authenticated with the trainee's token."""

    url: str
    token: str

    def observe(self, *, since: datetime, until: datetime | None = None, limit: int = 10_000,
                timeout: float = 20.0) -> list[dict[str, Any]]:
        import urllib.error
        import urllib.request

        from labs.cluster.live.hubble import parse_jsonpb, rfc3339

        query = {"since": rfc3339(since), "limit": str(limit)}
        if until is not None:
            query["until"] = rfc3339(until)
        request = urllib.request.Request(f"{self.url.rstrip('/')}/flows?{urlencode(query)}",
                                         headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            with contextlib.suppress(ValueError):
                detail = json.loads(detail).get("message", detail)
            raise ClusterError(f"The workshop flows service at {self.url} refused the request: HTTP {exc.code}: "
                               f"{detail}. Ask the instructor whether `labs workshop flows-serve` runs.") from None
        except OSError as exc:
            raise ClusterError(f"The workshop flows service at {self.url} did not answer ({exc}); ask the "
                               "instructor whether `labs workshop flows-serve` runs.") from None
        return parse_jsonpb(text, source=f"the workshop flows service at {self.url}")


def flow_reader_from_env(api_client: Any, env: dict[str, str] | None = None) -> ServiceFlowReader | None:
    """With `LABS_FLOWS_URL` set (a trainee's notebook in a workshop), a reader of the flows service that
    authenticates with the kubeconfig's bearer token; else None (read Hubble in the agents)."""
    import os

    url = (env if env is not None else os.environ).get(FLOWS_URL_ENV, "").strip()
    if not url:
        return None
    keys = getattr(api_client.configuration, "api_key", None) or {}
    token = str(keys.get("authorization") or keys.get("BearerToken") or "")
    token = token[len("Bearer "):] if token.startswith("Bearer ") else token
    if not token:
        raise ClusterError(f"{FLOWS_URL_ENV} is set, but the kubeconfig has no bearer token to show the flows "
                           "service; use the kubeconfig the instructor handed out.")
    return ServiceFlowReader(url, token)
