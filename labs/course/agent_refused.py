"""A pitfall policy that the API server stores and Cilium refuses, put in the cluster as `kubectl apply` would.

The course's validation refuses such a policy (`ingress: []` alone, DNS rules on ingress, HTTP rules on
UDP...), because Cilium does. But a trainee who applies it with kubectl sees `created`, and then
`kubectl get cnp` lists it with VALID False. A check of such a pitfall step must leave the cluster as
that apply did: the policy stored (not enforced) and its Valid condition reporting Cilium's error. On
the simulated cluster the documents are read as the API server reads them (labs.manifests,
`api_server_only`) and stored; the engine skips what the agent refuses. A live cluster gets nothing here
(the trainee's own `%kubectl apply` stores it there), so the check's words stay true on both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labs.manifests import ManifestError, load_text

__all__ = ["store_what_the_api_server_accepts"]


def store_what_the_api_server_accepts(cluster: Any, sources: list[str]) -> list[str]:
    """Store `sources` on a simulated cluster when the API server would accept all of them; one line per policy
    as `kubectl get cnp` would report it. [] when the API server refuses them too, or on a live cluster."""
    from labs.cluster.sim.policy_status import validation_message

    if getattr(cluster, "backend", None) != "sim" or not hasattr(cluster, "apply_set"):
        return []
    sets = []
    for source in sources:
        path = Path(source)
        text, name = (path.read_text(encoding="utf-8"), str(path)) if "\n" not in source and path.is_file() \
            else (source, "<input>")
        try:
            sets.append(load_text(text, name=name, api_server_only=True))
        except ManifestError:
            return []
    lines = []
    for manifest in sets:
        cluster.apply_set(manifest)
        for policy in manifest.policies:
            where = f" -n {policy.namespace}" if policy.namespace else ""
            message = validation_message(policy)
            state = (f"VALID False: {message}" if message else
                     "VALID True, and still not enforced: the agent refuses it ("
                     + "; ".join(getattr(policy, "parse_errors", ())) + ")")
            lines.append(f"kubectl get {policy.kind.lower()}{where} {policy.name}: {state}")
    return lines
