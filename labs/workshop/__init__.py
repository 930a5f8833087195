"""Workshop mode: many trainees on one shared Cilium cluster, each in their own namespaces.

`LABS_TRAINEE=<name>` prefixes every lab namespace (`alice-frontend`); `labs.workshop.rewrite` and
`labs.workshop.labfile` rewrite manifests, policies and lab.yaml probes accordingly. The instructor
provisions access (`labs.workshop.rbac`, `provision`), proves isolation (`verify`) and watches the room
(`status`, `bundle`, `instructor`). Only the light modules are imported here.

For code that applies course files (lab sessions): `adapt_text` and `adapt_lab_spec` return their
input unchanged without `LABS_TRAINEE`, and the trainee's copy with it.
"""

from __future__ import annotations

from typing import Any

from labs.workshop.names import TraineeError, load_trainees, trainee_from_env, validate_trainee
from labs.workshop.scope import SHARED_NAMESPACES, NamespaceMap

__all__ = ["TraineeError", "load_trainees", "trainee_from_env", "validate_trainee", "NamespaceMap",
           "SHARED_NAMESPACES", "namespace_map_from_env", "adapt_text", "adapt_lab_spec"]


def namespace_map_from_env(environ: dict[str, str] | None = None) -> NamespaceMap | None:
    """The trainee's NamespaceMap when `LABS_TRAINEE` is set (workshop mode), else None."""
    trainee = trainee_from_env(environ)
    return NamespaceMap(trainee) if trainee else None


def adapt_text(text: str, *, name: str = "<input>", environ: dict[str, str] | None = None) -> str:
    """Manifest or policy YAML as this trainee applies it; unchanged in single-user mode.

    In workshop mode a document the trainee cannot own (cluster-wide, or in kube-system) raises
    `labs.workshop.rewrite.WorkshopRewriteError` naming it, and nothing should be applied.
    """
    nsmap = namespace_map_from_env(environ)
    if nsmap is None:
        return text
    from labs.workshop.rewrite import rewrite_text

    return rewrite_text(text, nsmap, name=name, strict=True).to_yaml()


def adapt_lab_spec(spec: dict[str, Any], *, name: str = "lab.yaml",
                   environ: dict[str, str] | None = None) -> dict[str, Any]:
    """A lab.yaml (or scenario) dict with probes and matrices in this trainee's namespaces."""
    nsmap = namespace_map_from_env(environ)
    if nsmap is None:
        return spec
    from labs.workshop.labfile import rewrite_lab_spec

    return rewrite_lab_spec(spec, nsmap, name=name)
