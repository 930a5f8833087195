"""A 429 from the API server is asked again, a bounded number of times, as client-go does."""

from __future__ import annotations

import pytest

from labs.cluster.live import api as api_module
from labs.cluster.live.api import ApiError, KubeApi


class _Response:
    def __init__(self, status: int, body: bytes):
        self.status, self.reason, self._body = status, "Too Many Requests" if status == 429 else "OK", body

    def read(self) -> bytes:
        return self._body


class _Client:
    """Answers `answers` in turn (the last one forever), counting the calls."""

    def __init__(self, *answers: int):
        self.answers, self.calls = list(answers), 0

    def param_serialize(self, method, path, **_kwargs):
        return method, "https://api.test" + path, {}, None, []

    def call_api(self, *_args, **_kwargs):
        status = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if status == 429:
            return _Response(429, b'{"message": "storage is (re)initializing"}')
        return _Response(200, b'{"kind": "CiliumNetworkPolicyList", "items": []}')


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch):
    monkeypatch.setattr(api_module, "TOO_MANY_REQUESTS_PAUSE", 0.0)


def test_a_429_is_asked_again_until_the_server_answers():
    client = _Client(429, 429, 200)
    found = KubeApi(client, "https://api.test").items("/apis/cilium.io/v2/ciliumnetworkpolicies")
    assert found == [] and client.calls == 3


def test_a_server_that_keeps_answering_429_is_reported_after_the_bound():
    client = _Client(429)
    with pytest.raises(ApiError) as err:
        KubeApi(client, "https://api.test").get("/apis/cilium.io/v2/ciliumnetworkpolicies")
    assert err.value.status == 429 and "storage is (re)initializing" in str(err.value)
    assert client.calls == api_module.TOO_MANY_REQUESTS_RETRIES + 1


def test_other_refusals_are_not_retried():
    class _Forbidden(_Client):
        def call_api(self, *_args, **_kwargs):
            self.calls += 1
            return _Response(403, b'{"message": "forbidden"}')

    client = _Forbidden()
    with pytest.raises(ApiError) as err:
        KubeApi(client, "https://api.test").get("/api/v1/namespaces")
    assert err.value.status == 403 and client.calls == 1
