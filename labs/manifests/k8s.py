"""Schema validation of Kubernetes kinds against the offline schemas `kubernetes-validate` ships.

We use its strict schemas (unknown fields are errors) for the pinned Kubernetes minor, but run
`jsonschema` ourselves so that every error of a document is reported (the package's own `validate`
stops at the first) and so that each schema is read once per process, not once per document.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from functools import lru_cache
from typing import Any

from labs.manifests.errors import shorten, shown
from labs.manifests.fields import DocContext, type_name

__all__ = ["KUBERNETES_VERSION", "schema_problems", "has_schema", "expected_api_version"]

KUBERNETES_VERSION = "1.35"
"""The Kubernetes minor the course runs (versions.lock); schemas of the newest bundled version <= it."""

_KNOWN_API_VERSIONS = {
    "Namespace": "v1", "Pod": "v1", "Service": "v1", "ServiceAccount": "v1", "ConfigMap": "v1", "Secret": "v1",
    "Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
    "NetworkPolicy": "networking.k8s.io/v1", "Ingress": "networking.k8s.io/v1", "Job": "batch/v1",
    "CronJob": "batch/v1",
}


def expected_api_version(kind: str) -> str | None:
    """The apiVersion a well-known kind must have (for the 'did you mean' message)."""
    return _KNOWN_API_VERSIONS.get(kind)


def _import_jsonschema():
    """jsonschema, imported without `rfc3987_syntax` when that is not loaded yet.

    jsonschema loads it, if installed, for its `iri`/`uri` format checks, and compiling its grammar
    takes about a second of every kernel's first lab. The Kubernetes schemas are validated without
    format checks, so the grammar is never used here; the module stays importable afterwards.
    """
    if "jsonschema" in sys.modules:
        return sys.modules["jsonschema"]
    hide = "rfc3987_syntax" not in sys.modules
    if hide:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes its import fail, quietly skipped
    try:
        import jsonschema
    finally:
        if hide and sys.modules.get("rfc3987_syntax", ...) is None:
            del sys.modules["rfc3987_syntax"]
    return jsonschema


@lru_cache(maxsize=1)
def _schema_dir():
    import importlib.resources

    _import_jsonschema()  # before kubernetes_validate.utils imports it
    from kubernetes_validate import utils

    wanted = tuple(int(x) for x in KUBERNETES_VERSION.split("."))
    versions = [v for v in utils.all_versions() if tuple(int(x) for x in v.split(".")[:2]) <= wanted]
    root = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
    return root / f"v{versions[-1]}-local-strict"


@lru_cache(maxsize=1)
def _registry():
    from referencing import Registry, Resource

    definitions = json.loads((_schema_dir() / "_definitions.json").read_text())
    return Resource.from_contents(definitions) @ Registry()


def _schema_name(kind: str, api_version: str) -> str:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


def has_schema(kind: str, api_version: str) -> bool:
    if not kind or not api_version or "/" in kind:
        return False
    return (_schema_dir() / _schema_name(kind, api_version)).is_file()


@lru_cache(maxsize=64)
def _validator(kind: str, api_version: str):
    jsonschema = _import_jsonschema()
    from referencing import Resource

    schema = json.loads((_schema_dir() / _schema_name(kind, api_version)).read_text())
    registry = Resource.from_contents(schema) @ _registry()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _describe(error, ctx: DocContext) -> list[tuple[tuple, str]]:
    """(path, sentence) pairs for one jsonschema error."""
    path = tuple(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties") or ())
        result = []
        for key in error.instance:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            listed = ", ".join(allowed) if len(allowed) <= 12 else ", ".join(allowed[:12]) + ", ..."
            result.append(((*path, key), f"Unknown field {key!r}.{hint} Allowed fields here: {listed}"
                                         + ("" if listed.endswith("...") else ".")))
        return result
    if kind == "required":
        missing = re.match(r"'([^']*)' is a required property", error.message)
        name = missing.group(1) if missing else error.message
        return [(path, f"The required field {name!r} is missing.")]
    if kind == "type":
        expected = error.validator_value
        expected = [t for t in (expected if isinstance(expected, list) else [expected]) if t != "null"]
        words = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false",
                 "array": "a list", "object": "a mapping"}
        wanted = " or ".join(words.get(t, t) for t in expected)
        hint = ""
        if "string" in expected and isinstance(error.instance, (int, float, bool)):
            written = str(error.instance).lower() if isinstance(error.instance, bool) else error.instance
            hint = ctx.yaml_hint(path, error.instance) or f" Quote it: \"{written}\"."
        if "integer" in expected and isinstance(error.instance, str) and error.instance.isdigit():
            hint = f" Write it without quotes: {error.instance}."
        return [(path, f"Expected {wanted} here, found {type_name(error.instance)} {shown(error.instance)}.{hint}")]
    if kind == "enum":
        return [(path, f"{shown(error.instance)} is not allowed here; expected one of "
                       f"{', '.join(repr(v) for v in error.validator_value if v is not None)}.")]
    if kind in ("oneOf", "anyOf") and error.context:
        best = min(error.context, key=lambda e: len(e.message))
        return [(path, f"{shown(error.instance)} is not valid here: {shorten(best.message)}.")]
    return [(path, f"{error.message}.")]


def _without_nulls(value: Any) -> Any:
    """The document as the API server's Go structs see it: a field set to null is a field not set.

    (Go's JSON decoder leaves a struct field at its zero value for `null`; list items are kept.)
    """
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def schema_problems(data: dict[str, Any], ctx: DocContext) -> int:
    """Validate one document against its schema, recording every problem in ctx; returns the count."""
    before = len(ctx.problems)
    validator = _validator(str(data["kind"]), str(data["apiVersion"]))
    pruned = _without_nulls(data)
    errors = list(validator.iter_errors(pruned))
    if pruned != data:  # a field set to null is still a field: unknown ones are reported
        errors += [e for e in validator.iter_errors(data) if e.validator == "additionalProperties"]
    errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
    seen: set[tuple[tuple, str]] = set()
    for error in errors:
        for path, message in _describe(error, ctx):
            if (path, message) not in seen:
                seen.add((path, message))
                ctx.problem(path, message)
    return len(ctx.problems) - before
