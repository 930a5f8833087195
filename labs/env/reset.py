"""Resetting the labs on the VM cluster: delete what the course created, keep the cluster.

The course labels every lab namespace (and any cluster-wide policy) `ciliumlab.io/lab=<lab-id>`, so
the reset selects on that label and never touches kube-system or anything else.
"""

from __future__ import annotations

import re

from labs.env.errors import EnvError

__all__ = ["LAB_LABEL", "lab_selector", "reset_commands"]

LAB_LABEL = "ciliumlab.io/lab"
# A Kubernetes label value: up to 63 characters, alphanumeric at both ends, '-', '_' or '.' inside.
LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def lab_selector(lab: str | None) -> str:
    """`ciliumlab.io/lab` (every lab) or `ciliumlab.io/lab=<lab>`; EnvError for an impossible lab id."""
    if lab is None:
        return LAB_LABEL
    if not LABEL_VALUE.fullmatch(lab):
        raise EnvError(f"--lab {lab!r} is not a lab id (letters, digits, '-', '_' or '.', at most 63, "
                       "e.g. 'lab04').", exit_code=2)
    return f"{LAB_LABEL}={lab}"


def reset_commands(selector: str, timeout_s: int) -> list[list[str]]:
    """kubectl argument lists, in order: policies first (cluster-wide and stray ones), then namespaces."""
    return [
        ["delete", "ciliumclusterwidenetworkpolicies.cilium.io", "-l", selector, "--ignore-not-found"],
        ["delete", "ciliumnetworkpolicies.cilium.io,networkpolicies.networking.k8s.io", "--all-namespaces",
         "-l", selector, "--ignore-not-found"],
        ["delete", "namespaces", "-l", selector, "--ignore-not-found", "--wait=true", f"--timeout={timeout_s}s"],
    ]
