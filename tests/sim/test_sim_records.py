"""Does the simulated cluster keep what the API server keeps (creation time, uid, version) and the policy
status Cilium's operator writes?"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labs.cluster.sim import SimCluster
from labs.cluster.sim.policy_status import validation_message
from labs.manifests import load_text

NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n"
POD = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo, labels: {app: p}}\n"
       "spec: {containers: [{name: c, image: busybox:1.36.1}]}\n")
DEPLOY = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: demo}\nspec:\n"
          "  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
          "    spec: {containers: [{name: c, image: busybox:1.36.1}]}\n")


def _cluster():
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    return SimCluster(clock=lambda: now[0]), now


def test_creation_time_survives_updates_and_restarts_on_recreate():
    cluster, now = _cluster()
    cluster.apply([NS, POD])
    first = cluster.records.get("Pod", "demo", "p")
    assert first.created == now[0]
    now[0] += timedelta(minutes=3)
    cluster.apply(POD.replace("app: p", "app: q"))
    again = cluster.records.get("Pod", "demo", "p")
    assert (again.created, again.uid) == (first.created, first.uid)
    assert again.resource_version > 1000
    cluster.delete(POD)
    assert cluster.records.get("Pod", "demo", "p") is None
    cluster.apply(POD)
    assert cluster.records.get("Pod", "demo", "p").created == now[0]


def test_deleting_a_namespace_forgets_its_objects_and_workload_pods_get_a_manifest():
    cluster, _ = _cluster()
    cluster.apply([NS, DEPLOY])
    pods = [p for p in cluster.pods("demo")]
    assert len(pods) == 2
    owned = cluster.records.get("Pod", "demo", pods[0].name)
    assert owned.manifest["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert owned.manifest["spec"]["containers"][0]["name"] == "c"
    cluster.delete_namespaces(["demo"])
    assert cluster.records.get("Deployment", "demo", "web") is None
    assert cluster.records.get("Pod", "demo", pods[0].name) is None


def test_set_labels_changes_the_identity():
    cluster, _ = _cluster()
    cluster.apply([NS, POD])
    before = cluster.identity("demo/p")
    cluster.set_labels("Pod", "demo", "p", {"app": "other"})
    assert cluster.identity("demo/p") != before
    assert dict(cluster.store.pods["demo/p"].labels) == {"app": "other"}


def test_validation_message_is_sanitize_first_check():
    empty = load_text("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x, namespace: d}\n"
                      "spec: {endpointSelector: {}, ingress: []}\n", api_server_only=True).policies[0]
    assert validation_message(empty) == "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny"
    fine = load_text("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x, namespace: d}\n"
                     "spec: {endpointSelector: {}, ingress: [{}]}\n").policies[0]
    assert validation_message(fine) is None
