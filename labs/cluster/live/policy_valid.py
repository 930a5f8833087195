"""Store policies on a live cluster as `kubectl apply` does, then read the `Valid` condition Cilium's operator writes.

The operator's policy validator (cilium/cilium v1.19.5 operator/pkg/networkpolicy/cell.go:106
`handleCNPEvent`, :159 `handleCCNPEvent`, :229 `updateCondition`) sets `status.conditions[type=Valid]` on every
CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy it sees: False with the joined `Sanitize()` errors, or True
with "Policy validation succeeded". It reacts within a second; the wait here is bounded
(LABS_POLICY_VALID_WAIT seconds, default 20) so a cluster without an operator answers "no condition".
"""

from __future__ import annotations

import os
import time
from typing import Any

from labs.cluster.live.api import ApiError, resource_path
from labs.cluster.live.apply import apply_documents

__all__ = ["DEFAULT_VALID_WAIT", "valid_wait", "policy_path", "valid_condition", "wait_valid_conditions",
           "store_documents"]

DEFAULT_VALID_WAIT = 20.0
_CCNP = "CiliumClusterwideNetworkPolicy"
_PLURALS = {"CiliumNetworkPolicy": "ciliumnetworkpolicies",
            "CiliumClusterwideNetworkPolicy": "ciliumclusterwidenetworkpolicies"}


def valid_wait() -> float:
    """LABS_POLICY_VALID_WAIT (seconds), else the default; a value that is no positive number is refused."""
    raw = os.environ.get("LABS_POLICY_VALID_WAIT")
    if raw is None or raw == "":
        return DEFAULT_VALID_WAIT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(f"LABS_POLICY_VALID_WAIT={raw!r}: expected a positive number of seconds")
    return value


def policy_path(kind: str, namespace: str | None, name: str) -> str:
    return resource_path("cilium.io/v2", _PLURALS[kind], namespace=namespace if kind != _CCNP else None, name=name)


def valid_condition(obj: dict[str, Any] | None) -> tuple[str, str] | None:
    """(status, message) of the object's Valid condition, or None while it has none."""
    for cond in ((obj or {}).get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Valid":
            return str(cond.get("status") or ""), str(cond.get("message") or "")
    return None


def wait_valid_conditions(api: Any, policies: list[tuple[str, str | None, str]], timeout: float,
                          *, interval: float = 0.5) -> dict[tuple[str, str | None, str], tuple[str, str] | None]:
    """Poll each (kind, namespace, name) until all have a Valid condition or `timeout` seconds pass."""
    found: dict[tuple[str, str | None, str], tuple[str, str] | None] = {p: None for p in policies}
    deadline = time.monotonic() + timeout
    while True:
        for key in [k for k, v in found.items() if v is None]:
            try:
                found[key] = valid_condition(api.get_or_none(policy_path(*key)))
            except ApiError:
                found[key] = None
        if all(v is not None for v in found.values()) or time.monotonic() >= deadline:
            return found
        time.sleep(interval)


def store_documents(cluster: Any, documents: list[Any]) -> None:
    """Apply documents the API server accepts (no wait for the agents: they refuse what is stored here)."""
    apply_documents(cluster.api, documents, lab=getattr(cluster, "lab", None), mapper=getattr(cluster, "mapper", None))
