"""Small helpers that write the YAML snippets shown as fixes."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["snippet", "KUBE_DNS_EGRESS", "narrow_dns_egress"]


def snippet(data: Any) -> str:
    """Block-style YAML for a fix, keys in the order given."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100).rstrip("\n")


KUBE_DNS_EGRESS = """\
egress:
- toEndpoints:
  - matchLabels:
      k8s:io.kubernetes.pod.namespace: kube-system
      k8s:k8s-app: kube-dns
  toPorts:
  - ports:
    - port: "53"
      protocol: ANY
    rules:
      dns:
      - matchPattern: "*"
"""


def narrow_dns_egress(names: list[dict[str, str]], namespace: str | None) -> str:
    """An egress item to kube-dns on port 53 whose DNS rule allows only `names` (matchName/matchPattern
    entries) and the Services of `namespace`: every other lookup is answered REFUSED by the DNS proxy,
    which is what stops a compromised pod from exfiltrating data through DNS names (lab 06)."""
    rules: list[dict[str, str]] = []
    if namespace:
        rules.append({"matchPattern": f"*.{namespace}.svc.cluster.local"})
    for entry in names:
        if entry not in rules:
            rules.append(entry)
    item = {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                             "k8s:k8s-app": "kube-dns"}}],
            "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": rules}}]}
    return snippet([item])
