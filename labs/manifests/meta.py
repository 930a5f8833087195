"""`metadata` of any object: name (DNS-1123), namespace, labels and annotations, checked as the API server does."""

from __future__ import annotations

from dataclasses import dataclass, field

from labs.manifests.fields import Field
from labs.manifests.objects import SourceRef
from labs.manifests.values import dns1123_label, dns1123_subdomain, label_key, label_value

__all__ = ["Meta", "parse_metadata", "METADATA_FIELDS"]

METADATA_FIELDS = (
    "name", "generateName", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
    "managedFields", "selfLink",
)


@dataclass(frozen=True)
class Meta:
    name: str
    namespace: str | None
    labels: dict[str, str] = field(default_factory=dict)
    source: SourceRef = SourceRef()


def parse_labels(node: Field) -> dict[str, str] | None:
    """Kubernetes labels: keys and values checked against the label syntax."""
    values = node.string_map()
    if values is None:
        return None
    ok = True
    for key, value in values.items():
        child = node.child(key, value)
        for problem in (label_key(key), label_value(value)):
            if problem:
                child.problem(problem)
                ok = False
    return values if ok else None


def parse_metadata(node: Field | None, doc: Field, *, namespaced: bool, default_namespace: str,
                   name_rule: str = "subdomain") -> Meta | None:
    """Name, namespace and labels of a document; None (with problems) when they are not valid.

    `name_rule` is "subdomain" for most kinds and "label" for Namespace and Service names.
    """
    kind = doc.ctx.kind or "object"
    if node is None:
        doc.problem(f"A {kind} needs metadata with a name.")
        return None
    fields = node.mapping(METADATA_FIELDS, what="metadata")
    if fields is None:
        return None
    count = len(doc.ctx.problems)
    name = None
    if "name" not in fields:
        node.problem(f"A {kind} needs metadata.name.")
    else:
        name = fields["name"].string(allow_empty=False)
        check = dns1123_label if name_rule == "label" else dns1123_subdomain
        problem = check(name) if name is not None else None
        if problem:
            fields["name"].problem(problem)
    namespace = default_namespace if namespaced else None
    if "namespace" in fields and namespaced:
        value = fields["namespace"].string(allow_empty=False)
        problem = dns1123_label(value) if value is not None else None
        if problem:
            fields["namespace"].problem(problem)
        namespace = value
    labels = parse_labels(fields["labels"]) if "labels" in fields else {}
    if "annotations" in fields:
        fields["annotations"].string_map()
    if len(doc.ctx.problems) != count or name is None or labels is None:
        return None
    source = SourceRef(file=doc.ctx.file, document=doc.ctx.document, line=doc.ctx.line(()))
    return Meta(name=name, namespace=namespace, labels=labels, source=source)
