"""Inputs accepted exactly as the API server and Cilium accept them, the rest refused clearly (issue 17).

Each case names the rule it follows. Built-in kinds: the API server decodes JSON into Go structs
(encoding/json: null leaves a field at its zero value) and validates with
`pkg/apis/networking/validation` and `pkg/apis/core/validation`. Custom resources (Cilium's kinds):
apiextensions-apiserver prunes nulls of non-nullable fields (`PruneNonNullableNullsWithoutDefaults`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from labs.manifests import ManifestError, load_sources, load_text
from labs.manifests.errors import Problem
from labs.manifests.load import MAX_DATA_BYTES, MAX_FILE_BYTES, is_yaml_text

HERE = Path(__file__).parent
REPO = HERE.parents[1]
CRDS = REPO.parent / "shared" / "reference" / "cilium-crds" / "v1.19-branchpoint-2ba24a2"


def problems_of(text: str) -> tuple[Problem, ...]:
    with pytest.raises(ManifestError) as caught:
        load_text(text)
    return caught.value.problems


# --- null is absent ------------------------------------------------------------------------------

def test_null_fixtures_load_with_the_meaning_kubernetes_gives_them():
    loaded = load_sources([HERE / "valid" / "nulls-kubernetes.yaml", HERE / "valid" / "nulls-cilium.yaml"])
    policies = {p.name: p for p in loaded.policies}
    # recipe 03: `matchLabels:` empty is the empty selector: every pod, no ingress rule, so deny all
    deny_all = policies["default-deny-all"]
    assert deny_all.pod_selector.is_empty and deny_all.ingress is None
    # recipe 05: `- from:` is a rule without peers: every source
    (rule,) = policies["web-allow-all-namespaces"].ingress
    assert rule.peers is None
    # podSelector: null is the empty selector; policyTypes: null is "not set" (derived from the rules)
    every = policies["every-null"]
    assert every.pod_selector.is_empty and every.policy_types is None and every.egress is None
    assert [(p.protocol, p.port) for p in every.ingress[0].ports] == [("TCP", None), ("TCP", 8080)]
    assert every.ingress[0].peers[0].ip_block.except_ == ()
    # null list items of built-in kinds are the zero struct: `-` alone is a rule allowing everything
    items = policies["null-items"]
    assert items.ingress is None and len(items.egress) == 2 and items.egress[0].peers is None
    null_spec = policies["null-spec"]
    assert null_spec.pod_selector.is_empty and null_spec.ingress is None and null_spec.policy_types is None
    # a null label value of a built-in kind is "" (a map[string]string entry decodes null as "")
    (namespace,) = loaded.namespaces
    assert dict(namespace.labels)["team"] == ""
    # Cilium: nulls pruned, including the null matchLabels value
    cnp = policies["nulls"]
    selector = cnp.rules[0].ingress[0].endpoints[0]
    assert selector.match_labels == (("app", "web"),)
    assert cnp.rules[0].egress_deny is None and cnp.rules[0].ingress[0].to_ports[0].rules is None


def _prune_nulls(value, schema):
    """apiextensions' PruneNonNullableNullsWithoutDefaults, over the CRD's openAPIV3Schema."""
    if isinstance(value, dict):
        for key in list(value):
            sub = (schema or {}).get("properties", {}).get(key)
            if sub is None and isinstance((schema or {}).get("additionalProperties"), dict):
                sub = schema["additionalProperties"]
            if value[key] is None and sub is not None and not sub.get("nullable") and "default" not in sub:
                del value[key]
            else:
                _prune_nulls(value[key], sub)
    elif isinstance(value, list):
        for item in value:
            _prune_nulls(item, (schema or {}).get("items"))


@pytest.mark.skipif(not CRDS.is_dir(), reason=f"reference CRDs not available at {CRDS}")
def test_cilium_null_fixture_is_valid_for_the_crd_once_nulls_are_pruned():
    jsonschema = pytest.importorskip("jsonschema")
    for doc in yaml.safe_load_all((HERE / "valid" / "nulls-cilium.yaml").read_text()):
        name = "ciliumnetworkpolicies" if doc["kind"] == "CiliumNetworkPolicy" else "ciliumclusterwidenetworkpolicies"
        crd = yaml.safe_load((CRDS / f"{name}.yaml").read_text())
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        spec_schema = schema["properties"]["spec"]
        _prune_nulls(doc["spec"], spec_schema)
        assert list(jsonschema.Draft7Validator(spec_schema).iter_errors(doc["spec"])) == []


def test_null_list_items_of_cilium_kinds_are_still_errors():
    """Pruning removes null fields only; a null item of a list of objects fails the CRD's type check."""
    text = ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\n"
            "spec:\n  endpointSelector: {}\n  ingress:\n  -\n")
    (problem,) = problems_of(text)
    assert problem.path == "spec.ingress[0]" and "found null" in problem.message


def test_a_null_unknown_field_is_still_an_unknown_field():
    """Strict field validation reports unknown fields whatever their value."""
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndatta: null\n"
    assert any("Unknown field 'datta'" in p.message for p in problems_of(text))


def test_a_required_field_set_to_null_is_missing():
    text = ("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: p}\n"
            "spec:\n  ingress:\n  - from:\n    - ipBlock: {cidr: null}\n")
    (problem,) = problems_of(text)
    assert "'cidr' is missing" in problem.message and problem.line == 7


# --- file arguments ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["kind-policy.yaml", "apiVersion.yaml", "---policy.yaml", "kinds"])
def test_file_names_that_start_like_yaml_are_files(tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path(name).write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: from-file}\n")
    assert not is_yaml_text(name)
    assert [n.name for n in load_sources([name]).namespaces] == ["from-file"]


@pytest.mark.parametrize("text", ["kind: Namespace", "apiVersion: v1", "---", "--- # a comment", "a: 1\nb: 2"])
def test_texts_are_still_texts(text):
    assert is_yaml_text(text)


# --- false acceptances ---------------------------------------------------------------------------

def test_misspelt_cilium_kind_is_refused_with_a_suggestion():
    (problem,) = problems_of("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicyy\nmetadata: {name: x}\nspec: {}\n")
    assert problem.path == "kind" and "no matches for kind" in problem.message
    assert "Did you mean 'CiliumNetworkPolicy'?" in problem.message


def test_known_cilium_kinds_pass_through_and_wrong_versions_are_named():
    text = "apiVersion: cilium.io/v2\nkind: CiliumEnvoyConfig\nmetadata: {name: e}\nspec: {}\n"
    assert [d.kind for d in load_text(text).others] == ["CiliumEnvoyConfig"]
    (problem,) = problems_of(text.replace("kind: CiliumEnvoyConfig", "kind: CiliumL2AnnouncementPolicy"))
    assert "cilium.io/v2alpha1" in problem.message


CNP_LISTENER = """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l}
spec:
  endpointSelector: {}
  egress:
  - toPorts:
    - ports: [{port: "80", protocol: TCP}]
      listener: LISTENER
"""


@pytest.mark.parametrize(("listener", "phrase"), [
    ("{name: l1}", "A listener needs 'envoyConfig'"),
    ("{envoyConfig: {name: cec}}", "A listener needs 'name'"),
    ("{envoyConfig: {name: cec}, name: l1, priority: 0}", "0 is out of range"),
    ("{envoyConfig: {name: cec}, name: l1, priority: 101}", "101 is out of range"),
    ("{envoyConfig: {name: cec, kind: Service}, name: l1}", "must be CiliumEnvoyConfig"),
    ("{envoyConfig: {name: ''}, name: l1}", "must not be empty"),
    ("{envoyConfig: {name: cec}, name: l1, port: 80}", "Unknown field 'port'"),
], ids=["no-envoyconfig", "no-name", "priority-0", "priority-101", "kind", "empty-name", "unknown"])
def test_listener_fields_are_checked_as_the_crd_does(listener, phrase):
    """CRD: listener requires envoyConfig and name; envoyConfig requires name (minLength 1), kind is
    CiliumEnvoyConfig or CiliumClusterwideEnvoyConfig; priority 1-100."""
    assert any(phrase in p.message for p in problems_of(CNP_LISTENER.replace("LISTENER", listener)))


def test_a_complete_listener_is_accepted():
    load_text(CNP_LISTENER.replace("LISTENER", "{envoyConfig: {kind: CiliumEnvoyConfig, name: cec}, name: l1, "
                                               "priority: 100}"))


def test_networkpolicy_selector_values_are_label_values_but_cilium_ones_are_not_checked():
    """apimachinery ValidateLabelSelectorRequirement checks values with IsValidLabelValue; Cilium's CRD
    leaves matchExpressions values unconstrained."""
    knp = ("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: p}\nspec:\n  podSelector:\n"
           "    matchExpressions:\n    - {key: app, operator: In, values: [ok, 'not valid!']}\n")
    (problem,) = problems_of(knp)
    assert problem.path == "spec.podSelector.matchExpressions[0].values[1]" and "label value" in problem.message
    cnp = ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\nspec:\n  endpointSelector:\n"
           "    matchExpressions:\n    - {key: app, operator: In, values: ['not valid!']}\n  ingress: [{}]\n")
    load_text(cnp)


def configmap(size: int, key: str = "data", kind: str = "ConfigMap") -> str:
    return f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: big}}\n{key}:\n  a: {'x' * size}\n"


def test_configmap_data_over_one_mib_is_refused_and_up_to_it_accepted():
    """core.MaxSecretSize (1 MiB) in ValidateConfigMap and ValidateSecret."""
    load_text(configmap(MAX_DATA_BYTES))
    (problem,) = problems_of(configmap(MAX_DATA_BYTES + 1))
    assert "1048577 bytes" in problem.message and "at most 1048576" in problem.message
    # a Secret's data is base64: it counts decoded
    load_text(configmap(MAX_DATA_BYTES * 4 // 3, kind="Secret"))
    assert problems_of(configmap(MAX_DATA_BYTES * 4 // 3 + 8, kind="Secret"))


def test_objects_over_the_request_limit_are_refused():
    """k8s.io/apiserver MaxRequestBodyBytes: 3 MiB."""
    text = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  annotations:\n"
            + "".join(f"    a{i}: {'x' * 1_000_000}\n" for i in range(4)))
    (problem,) = problems_of(text)
    assert "refuses requests over 3 MiB" in problem.message


def test_custom_resources_over_the_etcd_limit_are_refused():
    """etcd's default --max-request-bytes is 1.5 MiB; custom resources are stored as JSON."""
    text = ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\nspec:\n  endpointSelector: {}\n"
            f"  description: {'x' * 1_600_000}\n  ingress: [{{}}]\n")
    (problem,) = problems_of(text)
    assert "etcd refuses objects over 1.5 MiB" in problem.message


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("w") as handle:
        handle.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  a: ")
        handle.write("x" * (50 * 1024 * 1024))
    with pytest.raises(ManifestError) as caught:
        load_sources([big])
    (problem,) = caught.value.problems
    assert f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB" in problem.message


def test_messages_cut_long_values():
    text = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n1\n  labels:\n    a: {'x' * 2_000_000}\n"
    (problem,) = problems_of(text)
    assert len(problem.message) < 600 and "characters cut" in problem.message and "label value" in problem.message
    assert len(str(ManifestError([problem]))) < 800


# --- no tracebacks -------------------------------------------------------------------------------

def run_validate(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labs", "validate", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=120, env={**os.environ, **(env or {})})


BAD_FILES = {
    "deep-flow.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: " + b"[" * 10_000 + b"]" * 10_000,
    "deep-block.yaml": b"a:\n" + b"".join(b" " * i + b"b:\n" for i in range(1, 1200)),
    "nul.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: \"\x00\"}\n",
    "control.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: \x1b[31m}\n",
    "latin1.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: \xe9t\xe9}\n",
    "bomb.yaml": ("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))).encode(),
    "list.yaml": b"- 1\n- 2\n",
    "scalar.yaml": b"just text\n",
    "json.json": b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": 1}}',
}


def test_hostile_files_exit_2_with_a_message_and_no_traceback(tmp_path):
    paths = []
    for name, content in BAD_FILES.items():
        (tmp_path / name).write_bytes(content)
        paths.append(str(tmp_path / name))
    result = run_validate(*paths, "/dev/zero", "/dev/urandom", str(tmp_path), str(tmp_path / "missing.yaml"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr == ""
    for path in [*paths, "/dev/zero", "/dev/urandom"]:
        assert f"{path}: " in result.stdout and f"{path}: valid" not in result.stdout
    assert "deeper than" in result.stdout and "control character" in result.stdout
    assert "not UTF-8" in result.stdout and "excessive aliasing" in result.stdout
    assert "/dev/zero' is larger than" in result.stdout


def test_a_fifo_is_refused_instead_of_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result = run_validate(str(fifo))
    assert result.returncode == 2 and "pipe or socket" in result.stdout
