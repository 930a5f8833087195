"""A pitfall policy that the API server stores and Cilium refuses, put in the cluster as `kubectl apply` would.

The course's validation refuses such a policy (`ingress: []` alone, DNS rules on ingress, HTTP rules on
UDP...), because Cilium does. But a trainee who applies it with kubectl sees `created`, and then
`kubectl get cnp` lists it with VALID False. A check of such a pitfall step must leave the cluster as
that apply did: the policy stored (not enforced) and its Valid condition reporting Cilium's error. On
the simulated cluster the documents are read as the API server reads them (labs.manifests,
`api_server_only`) and stored; the engine skips what the agent refuses, and the message is the simulator's
model of the operator's (labs.cluster.sim.policy_status). On a live cluster the documents are applied and
each policy's Valid condition is read as Cilium's operator wrote it (labs.cluster.live.policy_valid); a
cluster where none comes within the bounded wait (no operator) has them deleted again and gets nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labs.cluster.base import ClusterError
from labs.manifests import ManifestError, load_text

__all__ = ["store_what_the_api_server_accepts"]


def store_what_the_api_server_accepts(cluster: Any, sources: list[str]) -> list[str]:
    """Store `sources` when the API server would accept all of them; one line per policy as `kubectl get cnp`
    would report it. [] when the API server refuses them too, or (live) when no Valid condition came in time."""
    backend = getattr(cluster, "backend", None)
    if backend == "sim" and hasattr(cluster, "apply_set"):
        return _store_on_sim(cluster, sources)
    if backend == "live" and hasattr(cluster, "api"):
        return _store_on_live(cluster, sources)
    return []


def _read(sources: list[str]) -> list[Any] | None:
    """The sources read as the API server reads them, or None when it refuses one."""
    sets = []
    for source in sources:
        path = Path(source)
        text, name = (path.read_text(encoding="utf-8"), str(path)) if "\n" not in source and path.is_file() \
            else (source, "<input>")
        try:
            sets.append(load_text(text, name=name, api_server_only=True))
        except ManifestError:
            return None
    return sets


def _line(policy: Any, valid: str, message: str) -> str:
    where = f" -n {policy.namespace}" if policy.namespace else ""
    state = (f"VALID False: {message}" if valid == "False" else
             "VALID True, and still not enforced: the agent refuses it ("
             + "; ".join(getattr(policy, "parse_errors", ())) + ")")
    return f"kubectl get {policy.kind.lower()}{where} {policy.name}: {state}"


def _store_on_sim(cluster: Any, sources: list[str]) -> list[str]:
    from labs.cluster.sim.policy_status import validation_message

    sets = _read(sources)
    if sets is None:
        return []
    lines = []
    for manifest in sets:
        cluster.apply_set(manifest)
        for policy in manifest.policies:
            message = validation_message(policy)
            lines.append(_line(policy, "False" if message else "True", message or ""))
    return lines


def _store_on_live(cluster: Any, sources: list[str]) -> list[str]:
    """Apply them, then read each policy's Valid condition as Cilium's operator wrote it (bounded wait). When
    no condition comes (no operator), what was stored is deleted again and [] returned: nothing is claimed."""
    from labs.cluster.live.policy_valid import policy_path, store_documents, valid_wait, wait_valid_conditions

    sets = _read(sources)
    if sets is None:
        return []
    try:
        wait = valid_wait()
    except ValueError as exc:  # the check reports it as its failure, nothing applied
        raise ClusterError(str(exc)) from exc
    documents = [doc for manifest in sets for doc in manifest.documents]
    policies = [p for manifest in sets for p in manifest.policies if p.kind.startswith("Cilium")]
    try:
        store_documents(cluster, documents)
    except ClusterError:  # the API server refused one after all: nothing was applied
        return []
    found = wait_valid_conditions(cluster.api, [(p.kind, p.namespace, p.name) for p in policies], wait)
    lines = []
    for policy in policies:
        condition = found[(policy.kind, policy.namespace, policy.name)]
        if condition is None:
            for stored in policies:
                cluster.api.delete(policy_path(stored.kind, stored.namespace, stored.name))
            return []
        lines.append(_line(policy, *condition))
    return lines
