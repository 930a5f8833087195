"""Small helpers that write the YAML snippets shown as fixes."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["snippet", "KUBE_DNS_EGRESS"]


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
