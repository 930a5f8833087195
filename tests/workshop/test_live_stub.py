"""Do the live parts speak the API server's wire format? A stub API server on 127.0.0.1 answers them.

The stub decodes the JSON the kubernetes client sends (SubjectAccessReview, TokenRequest) and answers
with the shapes the API server returns, deciding access with the course's RBAC evaluator.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from labs.workshop.live import RequestedTokens, SecretTokens, SubjectAccessReviewer
from labs.workshop.rbac import trainee_access, workshop_objects
from labs.workshop.rbac_eval import AccessRequest, RbacAuthorizer
from labs.workshop.verify import verify

ACCESSES = [trainee_access(t, {"lab": ["frontend"]}) for t in ("alice", "bob")]
AUTH = RbacAuthorizer(workshop_objects(ACCESSES))
SA_PATH = "/api/v1/namespaces/ciliumlab-workshop/serviceaccounts/trainee-alice/token"
SECRET_PATH = "/api/v1/namespaces/ciliumlab-workshop/secrets/trainee-alice-token"


class Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, dict]] = []

    def log_message(self, *args):
        pass

    def _send(self, body: dict, code: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.seen.append(("GET", self.path, {}))
        if self.path == SECRET_PATH:
            token = base64.b64encode(b"secret-token").decode()
            self._send({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                        "metadata": {"name": "trainee-alice-token", "namespace": "ciliumlab-workshop"},
                        "data": {"token": token}})
        else:
            self._send({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404}, 404)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(("POST", self.path, body))
        if self.path == "/apis/authorization.k8s.io/v1/subjectaccessreviews":
            spec, attrs = body["spec"], body["spec"]["resourceAttributes"]
            decision = AUTH.decide(AccessRequest(spec["user"], attrs["verb"], attrs["resource"], attrs.get("group", ""),
                                                 attrs.get("namespace"), attrs.get("name"), attrs.get("subresource"),
                                                 tuple(spec.get("groups") or ())))
            self._send({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec,
                        "status": {"allowed": decision.allowed, "reason": decision.reason}}, 201)
        elif self.path == SA_PATH:
            self._send({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": body["spec"],
                        "status": {"token": "requested-token", "expirationTimestamp": "2026-11-24T06:00:00Z"}}, 201)
        else:
            self._send({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404}, 404)


@pytest.fixture(scope="module")
def client():
    from kubernetes import client as k8s

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = k8s.Configuration(host=f"http://127.0.0.1:{server.server_address[1]}")
    config.retries = False
    yield k8s.ApiClient(config)
    server.shutdown()
    server.server_close()


def test_subject_access_reviews_over_http(client):
    Handler.seen.clear()
    report = verify(ACCESSES, SubjectAccessReviewer(client, timeout=5), parallel=4)
    assert report.ok, report.lines()
    first = next(body for method, path, body in Handler.seen if method == "POST")
    assert first["spec"]["user"] == "system:serviceaccount:ciliumlab-workshop:trainee-alice"
    assert first["spec"]["groups"] == ["system:serviceaccounts", "system:serviceaccounts:ciliumlab-workshop",
                                       "system:authenticated"]
    assert set(first["spec"]["resourceAttributes"]) >= {"verb", "resource", "namespace"}


def test_token_from_the_secret(client):
    assert SecretTokens(client).token(ACCESSES[0], timeout=5) == "secret-token"


def test_token_request(client):
    Handler.seen.clear()
    assert RequestedTokens(client, hours=12).token(ACCESSES[0], timeout=5) == "requested-token"
    method, path, body = Handler.seen[-1]
    assert (method, path) == ("POST", SA_PATH)
    assert body["spec"]["expirationSeconds"] == 43200
