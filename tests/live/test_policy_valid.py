"""Reading the Valid condition Cilium's operator writes (labs.cluster.live.policy_valid), with a fake API.

The real operator is exercised by tests/realcluster/test_operator_validation.py; here the bounded wait, the
condition parsing and the refusal of a bad LABS_POLICY_VALID_WAIT are checked without a cluster.
"""

from __future__ import annotations

import time

import pytest

from labs.cluster.live.policy_valid import policy_path, valid_condition, valid_wait, wait_valid_conditions

KEY = ("CiliumNetworkPolicy", "blog", "deny-all")


class FakeApi:
    """Answers GET of one policy; its Valid condition appears after `appears_after` reads."""

    def __init__(self, appears_after: int | None):
        self.appears_after = appears_after
        self.reads = 0
        self.paths: list[str] = []

    def get_or_none(self, path: str):
        self.reads += 1
        self.paths.append(path)
        obj = {"metadata": {"name": "deny-all"}, "status": {"conditions": []}}
        if self.appears_after is not None and self.reads > self.appears_after:
            obj["status"]["conditions"] = [{"type": "Valid", "status": "False", "message": "rule must have ..."}]
        return obj


def test_condition_is_read_once_the_operator_wrote_it():
    api = FakeApi(appears_after=2)
    found = wait_valid_conditions(api, [KEY], timeout=5, interval=0.01)
    assert found == {KEY: ("False", "rule must have ...")}
    assert api.paths[0] == "/apis/cilium.io/v2/namespaces/blog/ciliumnetworkpolicies/deny-all"


def test_wait_is_bounded_when_no_operator_writes_it():
    started = time.monotonic()
    found = wait_valid_conditions(FakeApi(appears_after=None), [KEY], timeout=0.3, interval=0.05)
    assert found == {KEY: None}
    assert time.monotonic() - started < 2


def test_clusterwide_policy_path_has_no_namespace():
    assert policy_path("CiliumClusterwideNetworkPolicy", None, "x") == \
        "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies/x"


def test_other_conditions_are_not_the_valid_one():
    assert valid_condition({"status": {"conditions": [{"type": "Other", "status": "True"}]}}) is None
    assert valid_condition(None) is None


def test_bad_wait_setting_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("LABS_POLICY_VALID_WAIT", "soon")
    with pytest.raises(ValueError, match="LABS_POLICY_VALID_WAIT='soon'"):
        valid_wait()
    monkeypatch.setenv("LABS_POLICY_VALID_WAIT", "2.5")
    assert valid_wait() == 2.5
