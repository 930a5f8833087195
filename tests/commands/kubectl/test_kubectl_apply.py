"""Do `kubectl apply|create|delete -f` print what kubectl prints and change the simulated cluster the same way?

Sources: k8s.io/kubectl pkg/cmd/apply/apply.go (applyOneObject: created / configured / unchanged, the
dry-run suffixes, warningNoLastAppliedConfigAnnotation), cli-runtime pkg/printers/name.go (printObj:
`<kind>.<group>/<name> <operation>`), pkg/cmd/delete/delete.go (PrintObj: `<kind> "<name>" deleted from
<ns> namespace`, kubernetes/kubernetes#126619), pkg/cmd/util/helpers.go (AddSourceToErr,
StandardErrorMessage for Invalid), cilium operator/pkg/networkpolicy/validator.go (the Valid condition).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]

POLICY = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow-a, namespace: segregation}
spec:
  endpointSelector: {matchLabels: {class: service-a}}
  ingress:
  - fromEndpoints: [{matchLabels: {org: application-a}}]
"""

EMPTY_INGRESS = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-all, namespace: segregation}
spec:
  endpointSelector: {}
  ingress: []
"""


def test_apply_prints_one_line_per_object_in_file_order(k):
    result = k("apply -f manifests/03-identity-default-deny/workloads.yaml")
    assert (result.stdout, result.stderr, result.exit_code) == (
        "namespace/identity created\npod/busybox created\npod/test-app created\npod/other created\n"
        "service/test-app created\n", "", 0)
    assert k("apply -f manifests/02-segregation/workloads.yaml").stdout.splitlines()[:2] == [
        "namespace/segregation unchanged", "pod/client-a unchanged"]


def test_apply_created_configured_unchanged_and_dry_runs(k):
    assert k("apply -f - --dry-run=server", POLICY).stdout == (
        "ciliumnetworkpolicy.cilium.io/allow-a created (server dry run)\n")
    assert k("get cnp -n segregation").stderr.startswith("No resources found")
    assert k("apply -f -", POLICY).stdout == "ciliumnetworkpolicy.cilium.io/allow-a created\n"
    assert k("apply -f -", POLICY).stdout == "ciliumnetworkpolicy.cilium.io/allow-a unchanged\n"
    assert k("apply -f - --dry-run=client", POLICY).stdout == (
        "ciliumnetworkpolicy.cilium.io/allow-a configured (dry run)\n")
    changed = POLICY.replace("application-a", "application-b")
    assert k("apply -f -", changed).stdout == "ciliumnetworkpolicy.cilium.io/allow-a configured\n"
    assert k("apply -f - -o name", changed).stdout == "ciliumnetworkpolicy.cilium.io/allow-a\n"


def test_the_age_survives_a_reapply_and_restarts_on_recreate(k):
    k("apply -f -", POLICY)
    k.clock.advance(minutes=5)
    k("apply -f -", POLICY.replace("application-a", "application-b"))
    assert k("get cnp allow-a -n segregation").stdout.splitlines()[1] == "allow-a   5m    True"
    k("delete -f -", POLICY)
    k("apply -f -", POLICY)
    assert k("get cnp allow-a -n segregation").stdout.splitlines()[1] == "allow-a   0s    True"


def test_empty_ingress_alone_is_created_but_not_valid(k):
    """The CRD accepts it; Cilium's operator runs Rule.Sanitize and sets Valid=False (validator.go)."""
    assert k("apply -f -", EMPTY_INGRESS).stdout == "ciliumnetworkpolicy.cilium.io/deny-all created\n"
    assert k("get cnp -n segregation").stdout == "NAME       AGE   VALID\ndeny-all   0s    False\n"
    described = k("describe cnp deny-all -n segregation").stdout
    assert "    Message:               rule must have at least one of Ingress, IngressDeny, Egress, " \
           "EgressDeny\n    Status:                False\n" in described
    # and it enforces nothing: client-b still reaches server-a
    assert k("exec -n segregation client-b -- curl -sS -m 5 server-a").stdout == "application A\n"


def test_create_refuses_an_existing_object_and_apply_warns_after_create(k):
    assert k("create -f -", POLICY).stdout == "ciliumnetworkpolicy.cilium.io/allow-a created\n"
    again = k("create -f -", POLICY)
    assert (again.stderr, again.exit_code) == (
        'Error from server (AlreadyExists): error when creating "STDIN": ciliumnetworkpolicies.cilium.io '
        '"allow-a" already exists\n', 1)
    applied = k("apply -f -", POLICY)
    assert applied.stdout == "ciliumnetworkpolicy.cilium.io/allow-a configured\n"
    assert applied.stderr.startswith("Warning: resource ciliumnetworkpolicies.cilium.io/allow-a is missing the "
                                     "kubectl.kubernetes.io/last-applied-configuration annotation")
    assert k("create namespace tour").stdout == "namespace/tour created\n"


def test_delete_by_file_and_by_name(k):
    k("apply -f -", POLICY)
    assert k("delete -f - --dry-run=server", POLICY).stdout == (
        'ciliumnetworkpolicy.cilium.io "allow-a" deleted from segregation namespace (server dry run)\n')
    assert k("delete cnp allow-a -n segregation").stdout == (
        'ciliumnetworkpolicy.cilium.io "allow-a" deleted from segregation namespace\n')
    gone = k("delete -f -", POLICY)
    assert (gone.stderr, gone.exit_code) == (
        'Error from server (NotFound): error when deleting "STDIN": ciliumnetworkpolicies.cilium.io "allow-a" '
        'not found\n', 1)
    assert k("delete ns segregation").stdout == 'namespace "segregation" deleted\n'
    assert k("get pods -n segregation").stderr == "No resources found in segregation namespace.\n"


def test_invalid_objects_fail_alone_with_the_field_named(k):
    text = POLICY + "---\n" + POLICY.replace("allow-a", "bad").replace(
        "fromEndpoints: [{matchLabels: {org: application-a}}]", "fromEntities: [everything]")
    result = k("apply -f -", text)
    assert result.stdout == "ciliumnetworkpolicy.cilium.io/allow-a created\n"
    assert result.stderr.startswith('The CiliumNetworkPolicy "bad" is invalid: spec.ingress[0].fromEntities[0]: ')
    assert result.exit_code == 1


def test_missing_version_and_missing_namespace_read_like_the_api_server(k):
    result = k("apply -f manifests/00-environment/policies/pitfall-missing-v2.yaml")
    assert result.stderr == (
        'error: resource mapping not found for name: "web-from-client" namespace: "tour" from '
        '"manifests/00-environment/policies/pitfall-missing-v2.yaml": no matches for kind "CiliumNetworkPolicy" '
        'in version "cilium.io"\nensure CRDs are installed first\n')
    no_namespace = k("apply -n tour -f -", "apiVersion: cilium.io\nkind: CiliumNetworkPolicy\nmetadata: {name: x}\n"
                     "spec: {endpointSelector: {}, ingress: [{}]}\n")
    assert no_namespace.stderr.startswith('error: resource mapping not found for name: "x" namespace: "" from "STDIN"')
    lost = k("apply -f -", POLICY.replace("segregation", "nowhere"))
    assert lost.stderr == ('Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" '
                           'not found\n')


def test_usage_errors(k):
    assert k("apply -f nope.yaml").stderr == 'error: the path "nope.yaml" does not exist\n'
    assert k("apply -f - --dry-run=maybe", POLICY).stderr == (
        'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n')
    assert k("apply -f manifests/02-segregation/policies/isolate-a.yaml").stderr == (
        "error: no objects passed to apply\n")
    assert "the simulated cluster does not model this" in k("apply --server-side -f -", POLICY).stderr


def _manifest_files() -> list[Path]:
    return sorted(p for p in (REPO / "manifests").rglob("*.yaml") if p.name not in ("lab.yaml", "quiz.yaml"))


REFUSED = {"pitfall-missing-v2.yaml": "no matches for kind", "blog-dns-as-printed.yaml": "no matches for kind",
           "09-fix-the-blog/install/hubble-relay-service.yaml": "spec.ports[0].nodePort: nodePort 4245"}
"""Files that are the blog's mistakes kubectl or the API server refuse, and what the refusal names."""


@pytest.mark.parametrize("path", _manifest_files(), ids=lambda p: str(p.relative_to(REPO / "manifests")))
def test_every_manifest_applies_as_kubectl_would(k, path):
    """Workloads first (policies need their namespace), then the file itself: created, or the API
    server's refusal for the pitfall that is one (the missing /v2)."""
    k(f"apply -f {path.parent.parent / 'workloads.yaml'}" if path.parent.name in ("policies", "solutions")
      else "get ns")
    result = k(f"apply -f {path}")
    refused = REFUSED.get(path.name) or REFUSED.get(str(path.relative_to(REPO / "manifests")))
    if refused:
        assert refused in result.stderr and result.exit_code == 1, result.stderr
        return
    if not [doc for doc in yaml.safe_load_all(path.read_text()) if doc]:  # an exercise still to be written
        assert result.stderr == "error: no objects passed to apply\n"
        return
    assert result.exit_code == 0, result.stderr
    assert result.stdout and all(line.endswith((" created", " unchanged", " configured"))
                                 for line in result.stdout.splitlines())


def test_a_changed_deployment_replaces_its_pods(k):
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: segregation}\nspec:\n"
                  "  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n"
                  "    metadata: {labels: {app: web}}\n"
                  "    spec: {containers: [{name: c, image: 'curlimages/curl:8.11.1'}]}\n")
    assert k("apply -f -", deployment).stdout == "deployment.apps/web created\n"
    before = set(k("get pods -n segregation -l app=web -o name").stdout.splitlines())
    changed = deployment.replace("labels: {app: web}}", "labels: {app: web, v: '2'}}")
    assert k("apply -f -", changed).stdout == "deployment.apps/web configured\n"
    after = set(k("get pods -n segregation -l app=web -o name").stdout.splitlines())
    assert len(after) == 2 and not before & after


def test_a_namespace_flag_that_contradicts_the_file_is_refused(k):
    result = k("apply -f - -n default", POLICY)
    assert (result.stderr, result.exit_code) == (
        'error: the namespace from the provided object "segregation" does not match the namespace "default". '
        "You must pass '--namespace=segregation' to perform this operation.\n", 1)
    assert k("apply -f - -n segregation", POLICY).stdout == "ciliumnetworkpolicy.cilium.io/allow-a created\n"
