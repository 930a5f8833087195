"""Generate, as plain dicts, everything a trainee needs on the shared cluster, and nothing more.

Per trainee: the trainee's namespaces (`alice-frontend`, ...), a ServiceAccount and its token Secret in
the instructor's namespace `ciliumlab-workshop` (where trainees have no rights, so no trainee can read
another's token), a ResourceQuota, a LimitRange, a Role and a RoleBinding in each trainee namespace, a
ClusterRole that lets the trainee label only their own namespaces, and bindings to two shared read-only
roles: the cluster-wide facts the labs show (nodes, CRDs, Cilium identities, endpoints and nodes,
clusterwide policies) and kube-system's pods and Services (kube-dns, the Cilium agents). Generation is
pure: `Cluster.apply` on either backend turns the dicts into objects; `labs.workshop.rbac_eval` proves what they grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from labs.workshop.scope import LAB_LABEL, TRAINEE_LABEL, WORKSHOP_LABEL, NamespaceMap

__all__ = [
    "WORKSHOP_NAMESPACE", "READ_VERBS", "WRITE_VERBS", "TRAINEE_NAMESPACE_RULES", "CLUSTER_READ_RULES",
    "KUBE_SYSTEM_READ_RULES", "TraineeAccess", "trainee_access", "shared_objects", "trainee_objects",
    "workshop_objects", "service_account_user", "namespace_guard", "TRAINEE_QUOTA_HARD",
]

WORKSHOP_NAMESPACE = "ciliumlab-workshop"
CLUSTER_READ_ROLE = "ciliumlab-workshop-read"
KUBE_SYSTEM_READ_ROLE = "ciliumlab-workshop-kube-system-read"
TRAINEE_ROLE = "ciliumlab-trainee"
NAMESPACE_GUARD = "ciliumlab-workshop-namespace-guard"
POD_SECURITY_LABEL = "pod-security.kubernetes.io/enforce"
POD_SECURITY_LEVEL = "baseline"
"""No privileged, hostNetwork or hostPath pods in trainee namespaces: they would reach the nodes."""

TRAINEE_QUOTA = "ciliumlab-trainee"
TRAINEE_QUOTA_HARD: Mapping[str, str] = {
    "pods": "20", "services": "10", "services.nodeports": "0", "services.loadbalancers": "0",
    "requests.cpu": "1", "requests.memory": "1Gi", "limits.memory": "2Gi",
}
"""Per trainee namespace: enough for any lab (the largest runs 8 pods), no node ports (they are cluster-wide
and open every node to the outside), and a ceiling so one trainee cannot starve the room."""
TRAINEE_CONTAINER_REQUEST: Mapping[str, str] = {"cpu": "5m", "memory": "8Mi"}
TRAINEE_CONTAINER_LIMIT: Mapping[str, str] = {"memory": "64Mi"}
"""LimitRange defaults for containers written without resources (a quota on requests refuses those otherwise)."""

READ_VERBS = ("get", "list", "watch")
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
_ALL = READ_VERBS + WRITE_VERBS


def _rule(groups: Iterable[str], resources: Iterable[str], verbs: Iterable[str],
          names: Iterable[str] = ()) -> dict[str, Any]:
    rule: dict[str, Any] = {"apiGroups": list(groups), "resources": list(resources), "verbs": list(verbs)}
    if names:
        rule["resourceNames"] = list(names)
    return rule


TRAINEE_NAMESPACE_RULES: tuple[dict[str, Any], ...] = (
    _rule([""], ["pods", "services", "configmaps", "serviceaccounts"], _ALL),
    _rule([""], ["endpoints"], READ_VERBS),  # written by hand they would steer a Service anywhere in the cluster
    _rule([""], ["pods/exec", "pods/portforward", "pods/attach"], ["get", "create"]),
    _rule([""], ["pods/log", "events"], READ_VERBS),
    _rule(["apps"], ["deployments", "replicasets", "statefulsets", "daemonsets"], _ALL),
    _rule(["networking.k8s.io"], ["networkpolicies"], _ALL),
    _rule(["cilium.io"], ["ciliumnetworkpolicies"], _ALL),
    _rule(["cilium.io"], ["ciliumnetworkpolicies/status", "ciliumendpoints"], READ_VERBS),
    _rule(["discovery.k8s.io"], ["endpointslices"], READ_VERBS),
)
"""What a trainee may do inside each of their own namespaces: run the lab's workloads and policies."""

CLUSTER_READ_RULES: tuple[dict[str, Any], ...] = (
    _rule([""], ["nodes"], READ_VERBS),
    _rule(["apiextensions.k8s.io"], ["customresourcedefinitions"], READ_VERBS),
    _rule(["cilium.io"], ["ciliumnodes", "ciliumclusterwidenetworkpolicies"], READ_VERBS),
)
"""Read-only, cluster-wide: what the labs show about the cluster as a whole. Nothing here names another
trainee: namespaces are read by name only (each trainee's own), CiliumEndpoints only in the trainee's
namespaces, and CiliumIdentities not at all, since an identity's labels carry its pod's namespace."""

KUBE_SYSTEM_READ_RULES: tuple[dict[str, Any], ...] = (
    _rule([""], ["pods", "services", "endpoints"], READ_VERBS),
    _rule([""], ["configmaps"], ["get"], names=["cilium-config"]),
    _rule(["discovery.k8s.io"], ["endpointslices"], READ_VERBS),
)
"""Read-only in kube-system: kube-dns for DNS lessons, the agents and their configuration for doctor."""


def service_account_user(trainee: str) -> str:
    """The user name the API server sees for the trainee's ServiceAccount."""
    return f"system:serviceaccount:{WORKSHOP_NAMESPACE}:trainee-{trainee}"


@dataclass(frozen=True)
class TraineeAccess:
    """One trainee's names on the shared cluster."""

    trainee: str
    namespaces: tuple[str, ...]
    """The trainee's namespaces, prefixed (`alice-frontend`)."""
    lab_of: Mapping[str, str]
    """Trainee namespace -> the lab id that uses it (first lab, when several share one)."""

    @property
    def service_account(self) -> str:
        return f"trainee-{self.trainee}"

    @property
    def token_secret(self) -> str:
        return f"trainee-{self.trainee}-token"

    @property
    def user(self) -> str:
        return service_account_user(self.trainee)


def trainee_access(trainee: str, lab_namespaces: Mapping[str, Iterable[str]]) -> TraineeAccess:
    """The trainee's namespaces for every lab (`{lab_id: [lab namespaces]}`), prefixed and sorted."""
    nsmap = NamespaceMap(trainee)
    lab_of: dict[str, str] = {}
    for lab_id in sorted(lab_namespaces):
        for ns in lab_namespaces[lab_id]:
            if not nsmap.is_shared(ns):
                lab_of.setdefault(nsmap.ns(ns), lab_id)
    return TraineeAccess(trainee, tuple(sorted(lab_of)), lab_of)


def _meta(name: str, namespace: str | None = None, trainee: str | None = None) -> dict[str, Any]:
    labels = {WORKSHOP_LABEL: "true"}
    if trainee:
        labels[TRAINEE_LABEL] = trainee
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _sa_subject(access: TraineeAccess) -> dict[str, Any]:
    return {"kind": "ServiceAccount", "name": access.service_account, "namespace": WORKSHOP_NAMESPACE}


def shared_objects() -> list[dict[str, Any]]:
    """Objects created once per workshop, whatever the number of trainees (Relay closed to trainee pods)."""
    from labs.workshop.flows_service import relay_policy

    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(WORKSHOP_NAMESPACE)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": _meta(CLUSTER_READ_ROLE),
         "rules": [dict(r) for r in CLUSTER_READ_RULES]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": _meta(KUBE_SYSTEM_READ_ROLE, "kube-system"), "rules": [dict(r) for r in KUBE_SYSTEM_READ_RULES]},
        *namespace_guard(),
        relay_policy(),
    ]


def _label_kept(label: str, value: str | None = None) -> str:
    has = f"has(object.metadata.labels) && '{label}' in object.metadata.labels"
    if value is not None:
        return f"{has} && object.metadata.labels['{label}'] == '{value}'"
    return (f"{has} && has(oldObject.metadata.labels) && '{label}' in oldObject.metadata.labels && "
            f"object.metadata.labels['{label}'] == oldObject.metadata.labels['{label}']")


def namespace_guard() -> list[dict[str, Any]]:
    """An admission policy: trainees may label their namespaces (labs need it) but not change who owns
    them or lower their Pod Security level."""
    admission = "admissionregistration.k8s.io/v1"
    return [
        {"apiVersion": admission, "kind": "ValidatingAdmissionPolicy", "metadata": _meta(NAMESPACE_GUARD),
         "spec": {
             "failurePolicy": "Fail",
             "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                     "operations": ["UPDATE"], "resources": ["namespaces"]}]},
             "matchConditions": [{"name": "workshop-trainee", "expression":
                                  f"request.userInfo.username.startsWith('system:serviceaccount:{WORKSHOP_NAMESPACE}:')"}],
             "validations": [
                 {"expression": _label_kept(TRAINEE_LABEL),
                  "message": f"Trainees cannot change the {TRAINEE_LABEL} label of a workshop namespace."},
                 {"expression": _label_kept(POD_SECURITY_LABEL, POD_SECURITY_LEVEL),
                  "message": f"Trainees cannot change {POD_SECURITY_LABEL} (it stays {POD_SECURITY_LEVEL!r})."},
             ]}},
        {"apiVersion": admission, "kind": "ValidatingAdmissionPolicyBinding", "metadata": _meta(NAMESPACE_GUARD),
         "spec": {"policyName": NAMESPACE_GUARD, "validationActions": ["Deny"]}},
    ]


def trainee_objects(access: TraineeAccess) -> list[dict[str, Any]]:
    """Namespaces first, then identity, then roles and bindings (the order an apply needs)."""
    t = access.trainee
    rbac = "rbac.authorization.k8s.io/v1"
    objs: list[dict[str, Any]] = []
    for ns in access.namespaces:
        meta = _meta(ns, trainee=t)
        meta["labels"][LAB_LABEL] = access.lab_of[ns]
        meta["labels"][POD_SECURITY_LABEL] = POD_SECURITY_LEVEL
        objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})
    objs.append({"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": _meta(access.service_account, WORKSHOP_NAMESPACE, t)})
    secret_meta = _meta(access.token_secret, WORKSHOP_NAMESPACE, t)
    secret_meta["annotations"] = {"kubernetes.io/service-account.name": access.service_account}
    objs.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                 "metadata": secret_meta})
    for ns in access.namespaces:
        objs.append({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta(TRAINEE_QUOTA, ns, t),
                     "spec": {"hard": dict(TRAINEE_QUOTA_HARD)}})
        objs.append({"apiVersion": "v1", "kind": "LimitRange", "metadata": _meta(TRAINEE_QUOTA, ns, t),
                     "spec": {"limits": [{"type": "Container", "default": dict(TRAINEE_CONTAINER_LIMIT),
                                          "defaultRequest": dict(TRAINEE_CONTAINER_REQUEST)}]}})
        objs.append({"apiVersion": rbac, "kind": "Role", "metadata": _meta(TRAINEE_ROLE, ns, t),
                     "rules": [dict(r) for r in TRAINEE_NAMESPACE_RULES]})
        objs.append({"apiVersion": rbac, "kind": "RoleBinding", "metadata": _meta(TRAINEE_ROLE, ns, t),
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": TRAINEE_ROLE},
                     "subjects": [_sa_subject(access)]})
    own_ns = f"ciliumlab-trainee-{t}-namespaces"
    if access.namespaces:
        objs.append({"apiVersion": rbac, "kind": "ClusterRole", "metadata": _meta(own_ns, trainee=t),
                     "rules": [_rule([""], ["namespaces"], ["get", "patch", "update"], names=access.namespaces)]})
        objs.append({"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": _meta(own_ns, trainee=t),
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": own_ns},
                     "subjects": [_sa_subject(access)]})
    objs.append({"apiVersion": rbac, "kind": "ClusterRoleBinding",
                 "metadata": _meta(f"ciliumlab-trainee-{t}-read", trainee=t),
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTER_READ_ROLE},
                 "subjects": [_sa_subject(access)]})
    objs.append({"apiVersion": rbac, "kind": "RoleBinding",
                 "metadata": _meta(f"ciliumlab-trainee-{t}", "kube-system", t),
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": KUBE_SYSTEM_READ_ROLE},
                 "subjects": [_sa_subject(access)]})
    return objs


def workshop_objects(accesses: Iterable[TraineeAccess]) -> list[dict[str, Any]]:
    """Shared objects, then every trainee's, namespaces of all trainees before anything namespaced."""
    per_trainee = [trainee_objects(a) for a in accesses]
    namespaces = [o for objs in per_trainee for o in objs if o["kind"] == "Namespace"]
    rest = [o for objs in per_trainee for o in objs if o["kind"] != "Namespace"]
    return shared_objects() + namespaces + rest
