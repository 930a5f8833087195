"""Do `lint_text` and `lint_sources` work the way the policy editor and notebooks call them?"""

from __future__ import annotations

import dataclasses

import pytest

from labs.lint import Finding, lint_report, lint_sources, lint_text
from labs.probes import Probe, parse_target

NAMESPACE_LABEL_POLICY = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: backend}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints:
    - matchLabels: {namespace: frontend}
"""

MIXED = """\
kubeProxyReplacement: partial
hubble:
  relay:
    enabled: true
---
""" + NAMESPACE_LABEL_POLICY

APEX_POLICY = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: stripe, namespace: shop}
spec:
  endpointSelector: {}
  egress:
  - toEndpoints:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}
    toPorts:
    - ports: [{port: "53", protocol: ANY}]
      rules: {dns: [{matchPattern: "*"}]}
  - toFQDNs: [{matchPattern: "*.stripe.com"}]
"""


def test_lint_text_names_the_policy_editor():
    """Does a finding from the editor point at "<policy editor>" and the line in the editor?"""
    findings = lint_text(NAMESPACE_LABEL_POLICY)
    assert [(f.code, f.file, f.line) for f in findings] == [("CL101", "<policy editor>", 8)]


def test_values_and_manifests_in_one_text_keep_their_lines():
    """Are Helm values kept away from the manifest loader without shifting the policy's line numbers?"""
    findings = lint_text(MIXED, name="cluster.yaml")
    assert [(f.code, f.line, f.path) for f in findings] == [
        ("CL602", 1, "kubeProxyReplacement"),
        ("CL101", 13, "spec.ingress[0].fromEndpoints[0].matchLabels.namespace"),
    ]


def test_invalid_input_becomes_cl000_findings():
    """Does the editor get the loader's problem as a CL000 error next to the lint finding?"""
    text = NAMESPACE_LABEL_POLICY.replace("cilium.io/v2", "cilium.io")
    findings = lint_text(text)
    assert [(f.code, f.severity) for f in findings] == [("CL000", "error"), ("CL501", "error")]


def test_not_yaml_in_the_editor_is_one_cl000_finding():
    """Does text that is not YAML give one finding with the line, and no crash?"""
    findings = lint_text("spec: {a: [1, 2}\n")
    assert [(f.code, f.line) for f in findings] == [("CL000", 1)]


@pytest.mark.parametrize("probes", [
    [{"from": "shop/web", "to": "fqdn:stripe.com", "port": 443}],
    [Probe(source="shop/web", target=parse_target("fqdn:Stripe.com."), port=443)],
    [{"from": "shop/web", "dns": "stripe.com"}],
], ids=["scenario-dict", "probe-object", "dns-probe"])
def test_probes_as_dicts_or_objects(probes):
    """Do scenario dicts, Probe objects and DNS probes all tell lint that the apex is reached?"""
    assert [f.code for f in lint_sources([APEX_POLICY], probes=probes)] == ["CL304"]


def test_finding_is_frozen_and_serialisable():
    """Can a finding be neither changed by accident nor lose a field on its way to JSON?"""
    finding = lint_text(NAMESPACE_LABEL_POLICY)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.code = "CL999"  # type: ignore[misc]
    assert Finding(**finding.to_dict()) == finding


def test_report_exit_codes():
    """Does the report give 1 for an error finding, 0 for a clean text, 2 for invalid input?"""
    assert lint_report([NAMESPACE_LABEL_POLICY]).exit_code == 1
    assert lint_report([NAMESPACE_LABEL_POLICY.replace("namespace: frontend",
                                                       "k8s:io.kubernetes.pod.namespace: frontend")]).exit_code == 0
    assert lint_report(["kind: Nope\n"]).exit_code == 2
