"""Lint's suggested DNS rules are narrow: the names the policy needs, never a catch-all `matchPattern: "*"`."""

from __future__ import annotations

import yaml

from labs.lint import lint_text

FQDNS_WITHOUT_DNS = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: payment, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: payment}}
  egress:
    - toFQDNs:
        - matchName: api.stripe.com
      toPorts:
        - ports: [{port: "443", protocol: TCP}]
"""


def test_the_fix_for_fqdns_without_a_dns_rule_allows_only_the_names_needed():
    findings = [f for f in lint_text(FQDNS_WITHOUT_DNS, "payment.yaml") if f.code == "CL301"]
    assert findings
    fix = findings[0].fix
    assert '"*"' not in fix and "'*'" not in fix
    item = yaml.safe_load("\n".join(line for line in fix.splitlines() if not line.startswith("#")))[0]
    assert item["toPorts"][0]["rules"]["dns"] == [{"matchPattern": "*.shop.svc.cluster.local"},
                                                   {"matchName": "api.stripe.com"}]


def test_the_fix_for_a_dns_rule_on_the_wrong_port_keeps_it_narrow():
    text = FQDNS_WITHOUT_DNS.replace("""  egress:
""", """  egress:
    - toEndpoints:
        - matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}
      toPorts:
        - ports: [{port: "443", protocol: UDP}]
""")
    fixes = [f.fix for f in lint_text(text, "payment.yaml") if f.code == "CL302"]
    assert fixes and all('matchPattern: "*"' not in fix for fix in fixes)
    assert any("*.shop.svc.cluster.local" in fix for fix in fixes)
