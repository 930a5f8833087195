"""Do the generated Roles and bindings grant nothing outside the trainee's own namespaces?"""

from __future__ import annotations

import itertools

import pytest

from labs.workshop.rbac import (
    CLUSTER_READ_RULES,
    KUBE_SYSTEM_READ_RULES,
    READ_VERBS,
    WORKSHOP_NAMESPACE,
    trainee_access,
    workshop_objects,
)
from labs.workshop.rbac_eval import AccessRequest, RbacAuthorizer, UnsupportedRbacError
from labs.workshop.verify import service_account_groups

LABS = {"04-namespace-isolation": ["frontend", "backend", "test"], "05-l7-http": ["frontend", "backend"],
        "06-dns-fqdn": ["payments", "kube-system"]}
TRAINEES = ["alice", "bob", "carol"]
ACCESSES = [trainee_access(t, LABS) for t in TRAINEES]
OBJECTS = workshop_objects(ACCESSES)
AUTH = RbacAuthorizer(OBJECTS)
GROUPS = service_account_groups()
SENSITIVE = [("", "secrets", None), ("", "pods", "exec"), ("rbac.authorization.k8s.io", "roles", None),
             ("rbac.authorization.k8s.io", "rolebindings", None), ("", "serviceaccounts", "token"),
             ("cilium.io", "ciliumclusterwidenetworkpolicies", None), ("", "namespaces", None)]
VERBS = [*READ_VERBS, "create", "update", "patch", "delete", "deletecollection", "bind", "escalate", "impersonate"]


def _granted_resources() -> set[tuple[str, str, str | None]]:
    found = set(SENSITIVE)
    for obj in OBJECTS:
        for rule in obj.get("rules") or []:
            for group, resource in itertools.product(rule["apiGroups"], rule["resources"]):
                res, _, sub = resource.partition("/")
                found.add((group, res, sub or None))
    return found


def _cluster_read() -> set[tuple[str, str]]:
    return {(g, r) for rule in CLUSTER_READ_RULES for g in rule["apiGroups"] for r in rule["resources"]}


def _kube_system_read() -> set[tuple[str, str, str | None]]:
    return {(g, r, tuple(rule.get("resourceNames") or ()) or None)
            for rule in KUBE_SYSTEM_READ_RULES for g in rule["apiGroups"] for r in rule["resources"]}


def test_the_layout_is_as_documented():
    assert ACCESSES[0].namespaces == ("alice-backend", "alice-frontend", "alice-payments", "alice-test")
    assert ACCESSES[0].lab_of["alice-payments"] == "06-dns-fqdn"
    kinds = sorted({o["kind"] for o in OBJECTS})
    assert kinds == ["CiliumClusterwideNetworkPolicy", "ClusterRole", "ClusterRoleBinding", "LimitRange",
                     "Namespace", "ResourceQuota", "Role", "RoleBinding", "Secret", "ServiceAccount",
                     "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    assert all("*" not in r["verbs"] and "*" not in r["resources"] and "*" not in r["apiGroups"]
               for o in OBJECTS for r in o.get("rules") or [])


def _unexpected_grants(auth: RbacAuthorizer, access) -> list[str]:
    """Every verb on every resource any rule mentions, in every namespace that is not the trainee's."""
    others = [ns for a in ACCESSES if a is not access for ns in a.namespaces]
    places = [*others, WORKSHOP_NAMESPACE, "kube-system", "default", None]
    unexpected = []
    for ns, (group, resource, sub), verb in itertools.product(places, sorted(_granted_resources(), key=str), VERBS):
        for name in (None, "cilium-config", *others):
            request = AccessRequest(access.user, verb, resource, group, ns, name, sub, GROUPS)
            decision = auth.decide(request)
            if not decision.allowed:
                continue
            read = verb in READ_VERBS and sub is None
            cluster_read = read and (group, resource) in _cluster_read()
            ks_read = ns == "kube-system" and read and any(
                (g, r) == (group, resource) and (names is None or name in names)
                for g, r, names in _kube_system_read())
            if not (cluster_read or ks_read):
                unexpected.append(f"{request.describe()} ({decision.reason})")
    return unexpected


@pytest.mark.parametrize("access", ACCESSES, ids=TRAINEES)
def test_nothing_outside_own_namespaces_but_documented_reads(access):
    assert _unexpected_grants(AUTH, access) == []


def test_the_grant_check_finds_a_leak():
    """The check above can fail: one ClusterRoleBinding to a trainee Role's rules leaks everywhere."""
    leak = [{"kind": "ClusterRole", "metadata": {"name": "too-much"},
             "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}]},
            {"kind": "ClusterRoleBinding", "metadata": {"name": "too-much"},
             "roleRef": {"kind": "ClusterRole", "name": "too-much"},
             "subjects": [{"kind": "ServiceAccount", "name": "trainee-alice", "namespace": WORKSHOP_NAMESPACE}]}]
    found = _unexpected_grants(RbacAuthorizer([*OBJECTS, *leak]), ACCESSES[0])
    assert found and found[0].startswith("system:serviceaccount:ciliumlab-workshop:trainee-alice delete pods ")
    assert all("ClusterRoleBinding too-much" in line for line in found)


@pytest.mark.parametrize(("verb", "group", "resource", "sub"), [
    ("create", "", "pods", None), ("delete", "", "pods", None), ("create", "", "pods", "exec"),
    ("get", "", "pods", "log"), ("create", "cilium.io", "ciliumnetworkpolicies", None),
    ("deletecollection", "networking.k8s.io", "networkpolicies", None), ("create", "apps", "deployments", None),
], ids=lambda v: str(v))
def test_the_labs_can_run_in_own_namespaces(verb, group, resource, sub):
    for access in ACCESSES:
        for ns in access.namespaces:
            assert AUTH.decide(AccessRequest(access.user, verb, resource, group, ns, None, sub, GROUPS)).allowed


@pytest.mark.parametrize(("verb", "allowed"), [("patch", True), ("get", True), ("delete", False)], ids=str)
def test_own_namespaces_by_name_only(verb, allowed):
    alice = ACCESSES[0]
    assert AUTH.decide(AccessRequest(alice.user, verb, "namespaces", "", None, "alice-frontend",
                                     groups=GROUPS)).allowed is allowed
    assert not AUTH.decide(AccessRequest(alice.user, verb, "namespaces", "", None, "bob-frontend",
                                         groups=GROUPS)).allowed


def test_no_trainee_lists_namespaces_or_identities():
    """A list cannot be narrowed by RBAC: it would name every other trainee's namespaces."""
    for access in ACCESSES:
        for resource, group in (("namespaces", ""), ("ciliumidentities", "cilium.io"),
                                ("ciliumendpoints", "cilium.io")):
            assert not AUTH.decide(AccessRequest(access.user, "list", resource, group, None, None, None,
                                                 GROUPS)).allowed, resource


def test_no_trainee_can_read_any_token():
    for access, other in itertools.product(ACCESSES, ACCESSES):
        request = AccessRequest(access.user, "get", "secrets", "", WORKSHOP_NAMESPACE, other.token_secret, None,
                                GROUPS)
        assert not AUTH.decide(request).allowed


def test_the_evaluator_is_not_permissive():
    """A RoleBinding only grants inside its own namespace; a Role without a binding grants nothing."""
    objs = [
        {"kind": "Role", "metadata": {"name": "r", "namespace": "a"},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        {"kind": "ClusterRole", "metadata": {"name": "c"},
         "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
        {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "a"},
         "roleRef": {"kind": "ClusterRole", "name": "c"}, "subjects": [{"kind": "User", "name": "u"}]},
        {"kind": "ClusterRoleBinding", "metadata": {"name": "g"},
         "roleRef": {"kind": "ClusterRole", "name": "c"}, "subjects": [{"kind": "Group", "name": "admins"}]},
    ]
    auth = RbacAuthorizer(objs)
    assert auth.decide(AccessRequest("u", "delete", "secrets", "", "a")).allowed
    assert not auth.decide(AccessRequest("u", "delete", "secrets", "", "b")).allowed
    assert not auth.decide(AccessRequest("u", "get", "nodes")).allowed
    assert auth.decide(AccessRequest("x", "get", "nodes", groups=("admins",))).allowed
    assert not auth.decide(AccessRequest("x", "get", "nodes")).allowed


def test_resource_names_never_match_unnamed_requests():
    objs = [{"kind": "ClusterRole", "metadata": {"name": "c"},
             "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "create"],
                        "resourceNames": ["mine"]}]},
            {"kind": "ClusterRoleBinding", "metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "c"},
             "subjects": [{"kind": "User", "name": "u"}]}]
    auth = RbacAuthorizer(objs)
    assert auth.decide(AccessRequest("u", "get", "namespaces", name="mine")).allowed
    assert not auth.decide(AccessRequest("u", "list", "namespaces")).allowed
    assert not auth.decide(AccessRequest("u", "create", "namespaces")).allowed


def test_aggregated_roles_are_refused():
    with pytest.raises(UnsupportedRbacError, match="uses aggregationRule"):
        RbacAuthorizer([{"kind": "ClusterRole", "metadata": {"name": "agg"}, "aggregationRule": {"x": 1}}])


def test_each_trainee_namespace_has_a_quota_without_node_ports_and_default_limits():
    for access in ACCESSES:
        for ns in access.namespaces:
            mine = {o["kind"]: o for o in OBJECTS if (o.get("metadata") or {}).get("namespace") == ns}
            hard = mine["ResourceQuota"]["spec"]["hard"]
            assert (hard["services.nodeports"], hard["services.loadbalancers"]) == ("0", "0")
            assert {"pods", "requests.cpu", "requests.memory", "limits.memory"} <= set(hard)
            limit = mine["LimitRange"]["spec"]["limits"][0]
            assert limit["type"] == "Container" and limit["default"] and limit["defaultRequest"]


@pytest.mark.parametrize("verb", ["create", "update", "patch", "delete", "deletecollection"])
def test_trainees_cannot_write_endpoints(verb):
    """Hand-written Endpoints of a selector-less Service would steer traffic to any address in the cluster."""
    for access in ACCESSES:
        for ns in access.namespaces:
            request = AccessRequest(access.user, verb, "endpoints", "", ns, None, None, GROUPS)
            assert not AUTH.decide(request).allowed
            assert AUTH.decide(AccessRequest(access.user, "get", "endpoints", "", ns, None, None, GROUPS)).allowed
