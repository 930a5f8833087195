"""Do selectors match identity labels with Cilium's sources and namespace injection?"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labs.policy.labels import Label, identity_relevant, pod_labels
from labs.policy.model import LabelSelector, Requirement
from labs.policy.selectors import compile_selector, peer_selector, subject_selector

WEB = pod_labels({"app": "web", "pod-template-hash": "abc"}, "frontend", {"team": "web"}, "web-sa")
API = pod_labels({"app": "api"}, "backend", {}, "default")


def sel(labels=(), exprs=()):
    return LabelSelector(tuple(labels), tuple(Requirement(k, op, tuple(v)) for k, op, v in exprs))


def test_pod_labels_carry_what_cilium_adds():
    keys = {(lb.source, lb.key, lb.value) for lb in WEB}
    assert ("k8s", "io.kubernetes.pod.namespace", "frontend") in keys
    assert ("k8s", "io.cilium.k8s.namespace.labels.team", "web") in keys
    assert ("k8s", "io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name", "frontend") in keys
    assert ("k8s", "io.cilium.k8s.policy.serviceaccount", "web-sa") in keys
    assert ("k8s", "io.cilium.k8s.policy.cluster", "default") in keys
    assert not any(lb.key == "pod-template-hash" for lb in WEB)


@pytest.mark.parametrize(("key", "kept"), [
    ("app", True), ("pod-template-hash", False), ("app.kubernetes.io/name", True),
    ("kubernetes.io/hostname", False), ("controller-revision-hash", False), ("team.example.com/x", True),
], ids=str)
def test_identity_relevant_labels(key, kept):
    assert identity_relevant(key) is kept


CASES = [
    ("plain key matches any source", sel([("app", "web")]), WEB, True),
    ("k8s source matches k8s labels", sel([("k8s:app", "web")]), WEB, True),
    ("reserved source does not match k8s labels", sel([("reserved:app", "web")]), WEB, False),
    ("values must be equal", sel([("app", "api")]), WEB, False),
    ("matchLabels entries AND", sel([("app", "web"), ("tier", "x")]), WEB, False),
    ("In", sel(exprs=[("app", "In", ["api", "web"])]), WEB, True),
    ("NotIn", sel(exprs=[("app", "NotIn", ["web"])]), WEB, False),
    ("Exists", sel(exprs=[("app", "Exists", [])]), WEB, True),
    ("DoesNotExist", sel(exprs=[("tier", "DoesNotExist", [])]), WEB, True),
    ("namespace label selector", sel([("io.cilium.k8s.namespace.labels.team", "web")]), WEB, True),
    ("service account", sel([("io.cilium.k8s.policy.serviceaccount", "web-sa")]), WEB, True),
    ("empty selector matches all", sel(), API, True),
]


@pytest.mark.parametrize(("why", "selector", "labels", "expected"), CASES, ids=[c[0] for c in CASES])
def test_selector_table(why, selector, labels, expected):
    assert compile_selector(selector).matches(labels) is expected


def test_cnp_subject_is_confined_to_its_namespace_even_if_it_names_another():
    s = subject_selector(sel([("k8s:io.kubernetes.pod.namespace", "frontend")]), "backend")
    assert not s.matches(WEB)
    assert s.matches(API)


@pytest.mark.parametrize(("selector", "namespace", "web", "api"), [
    (sel(), "backend", False, True),
    (sel(), None, True, True),
    (sel([("k8s:io.kubernetes.pod.namespace", "frontend")]), "backend", True, False),
    (sel([("io.kubernetes.pod.namespace", "frontend")]), "backend", True, False),
    (sel([("io.cilium.k8s.namespace.labels.team", "web")]), "backend", True, False),
    (sel([("namespace", "frontend")]), "backend", False, False),
], ids=["cnp-empty-is-own-namespace", "ccnp-empty-is-all-pods", "k8s-namespace-key", "any-namespace-key",
        "namespace-labels-skip-injection", "plain-namespace-label-is-a-pod-label"])
def test_peer_namespace_injection(selector, namespace, web, api):
    s = peer_selector(selector, namespace)
    assert (s.matches(WEB), s.matches(API)) == (web, api)


def test_peer_selectors_never_match_reserved_identities():
    host = frozenset({Label("reserved", "host")})
    assert not peer_selector(sel(), "backend").matches(host)
    assert not peer_selector(sel(), None).matches(host)
    assert peer_selector(sel([("reserved:host", "")]), "backend").matches(host)


keys = st.sampled_from(["app", "tier", "role", "env"])
values = st.sampled_from(["a", "b", "c"])


@given(st.dictionaries(keys, values), st.dictionaries(keys, values, max_size=2))
def test_match_labels_is_subset(pod, wanted):
    labels = pod_labels(pod, "ns", {})
    assert compile_selector(sel(list(wanted.items()))).matches(labels) == (wanted.items() <= pod.items())


@given(st.dictionaries(keys, values), keys, st.lists(values, min_size=1, max_size=3))
def test_in_and_notin_are_complements(pod, key, vals):
    labels = pod_labels(pod, "ns", {})
    is_in = compile_selector(sel(exprs=[(key, "In", vals)])).matches(labels)
    not_in = compile_selector(sel(exprs=[(key, "NotIn", vals)])).matches(labels)
    assert is_in != not_in
