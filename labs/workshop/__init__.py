"""Workshop mode: many trainees on one shared Cilium cluster, each in their own namespaces.

`LABS_TRAINEE=<name>` prefixes every lab namespace (`alice-frontend`); `labs.workshop.rewrite` and
`labs.workshop.labfile` rewrite manifests, policies and lab.yaml probes accordingly. The instructor
provisions access (`labs.workshop.rbac`, `provision`), proves isolation (`verify`) and watches the room
(`status`, `bundle`). Submodules are imported on use, so importing this package stays cheap.
"""

from __future__ import annotations

from labs.workshop.names import TraineeError, load_trainees, trainee_from_env, validate_trainee
from labs.workshop.scope import SHARED_NAMESPACES, NamespaceMap

__all__ = ["TraineeError", "load_trainees", "trainee_from_env", "validate_trainee", "NamespaceMap",
           "SHARED_NAMESPACES", "namespace_map_from_env"]


def namespace_map_from_env(environ: dict[str, str] | None = None) -> NamespaceMap | None:
    """The trainee's NamespaceMap when `LABS_TRAINEE` is set (workshop mode), else None."""
    trainee = trainee_from_env(environ)
    return NamespaceMap(trainee) if trainee else None
