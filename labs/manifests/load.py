"""Read files and texts, validate every document, build the `ManifestSet` or raise with every problem.

All or nothing: problems of every document of every source are collected first; if there is any,
`ManifestError` lists them all and nothing is returned.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labs.manifests import Document, ManifestSet
from labs.manifests.cilium import CILIUM_KINDS, cilium_kind_problem, parse_cilium_policy
from labs.manifests.errors import ManifestError, Problem, shown
from labs.manifests.fields import DocContext, Field
from labs.manifests.knp import parse_network_policy
from labs.manifests.objects import SourceRef
from labs.manifests.services import parse_namespace, parse_service
from labs.manifests.workloads import WORKLOAD_KINDS, expand_workload
from labs.manifests.yaml_lines import LineMap, RawDocument, parse_documents_lenient

__all__ = ["load_sources", "load_text", "is_yaml_text", "read_source"]

CILIUM_API_VERSION = "cilium.io/v2"


MAX_FILE_BYTES = 8 * 1024 * 1024
"""Largest file read. The API server takes at most 3 MiB per request (one object), so a bigger file
only makes sense with several objects; anything past this is refused before it is parsed."""
MAX_REQUEST_BYTES = 3 * 1024 * 1024
"""k8s.io/apiserver `ServerRunOptions.MaxRequestBodyBytes` default: larger bodies get 413."""
MAX_ETCD_BYTES = 1572864
"""etcd's default `--max-request-bytes` (1.5 MiB): a custom resource (stored as JSON) above it fails
with "etcdserver: request is too large"."""
MAX_DATA_BYTES = 1024 * 1024
"""`core.MaxSecretSize`: ValidateConfigMap and ValidateSecret refuse data totalling more."""

_YAML_START = re.compile(r"\s*(?:(?:apiVersion|kind)\s*:|---(?:\s|$))")


def is_yaml_text(source: str) -> bool:
    """The contract of `labs.manifests.load_sources`: a newline, or a YAML start such as `kind:`, means text.

    A file name that merely begins with `kind`, `apiVersion` or `---` (`kind-policy.yaml`) is a path.
    """
    return "\n" in source or bool(_YAML_START.match(source))


def _read_bounded(path: Path) -> bytes:
    """At most MAX_FILE_BYTES + 1 bytes; FIFOs and sockets are refused (reading them could block)."""
    mode = path.stat().st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        raise _Unreadable(f"{str(path)!r} is a pipe or socket, not a file; save the YAML to a file first.")
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


class _Unreadable(Exception):
    """A path that is not a readable file, with the sentence to show."""


def read_source(source: str | Path) -> tuple[str, str]:
    """(name, text) of a path or a YAML text; raises ManifestError when a file cannot be read."""
    if isinstance(source, str) and is_yaml_text(source):
        return "<input>", source
    path = Path(source)
    try:
        data = _read_bounded(path)
        if len(data) > MAX_FILE_BYTES:
            raise _Unreadable(f"The file {str(path)!r} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; the API "
                              f"server accepts at most {MAX_REQUEST_BYTES // (1024 * 1024)} MiB per object. Split it "
                              "or check that it is the file you meant.")
        return str(path), data.decode("utf-8")
    except _Unreadable as exc:
        message = str(exc)
    except FileNotFoundError:
        message = (f"The file {str(path)!r} does not exist; check the path "
                   f"(relative paths start at {str(Path.cwd())!r}).")
    except IsADirectoryError:
        message = f"{str(path)!r} is a directory; name the YAML files in it (for example {str(path / '*.yaml')!r})."
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = (f"The file {str(path)!r} is not UTF-8 text (byte {exc.start}, line {line}, cannot be decoded); "
                   "save it as UTF-8 YAML.")
    except ValueError:
        message = f"{shown(str(path))} is not a usable file name (it contains a NUL character)."
    except OSError as exc:
        message = f"The file {str(path)!r} cannot be read: {exc.strerror or exc}."
    raise ManifestError([Problem(message=message, file=str(path))])


def _flatten(raw: RawDocument) -> list[tuple[Any, tuple, RawDocument]]:
    """A `List` kind becomes its items (each keeps its path inside the list for line numbers)."""
    data = raw.data
    if isinstance(data, dict) and isinstance(data.get("kind"), str) and data["kind"].endswith("List") \
            and isinstance(data.get("items"), list):
        return [(item, ("items", i), raw) for i, item in enumerate(data["items"])]
    return [(data, (), raw)]


class _Builder:
    """Collects the typed objects and problems of every document of one `load_sources` call."""

    def __init__(self, default_namespace: str, nodes: tuple[str, ...], api_server_only: bool = False):
        self.api_server_only = api_server_only
        self.default_namespace = default_namespace
        self.nodes = tuple(nodes)
        self.result = ManifestSet()
        self.problems: list[Problem] = []
        self.seen: dict[tuple[str, str, str], SourceRef] = {}

    def add_text(self, name: str, text: str) -> None:
        raws, errors = parse_documents_lenient(text)
        start = len(self.problems)
        for exc in errors:
            self.problems.append(Problem(message=exc.message, file=name, document=exc.document, line=exc.line))
        for raw in raws:
            for data, prefix, raw_doc in _flatten(raw):
                self.add_document(name, data, prefix, raw_doc)
        self.problems[start:] = sorted(self.problems[start:], key=lambda p: (p.document or 0, p.line or 0))

    def add_document(self, name: str, data: Any, prefix: tuple, raw: RawDocument) -> None:
        lines = LineMap({path[len(prefix):]: line for path, line in raw.lines.lines.items()
                         if path[:len(prefix)] == prefix}, start=raw.lines.line(prefix),
                        plain={path[len(prefix):]: text for path, text in raw.lines.plain.items()
                               if path[:len(prefix)] == prefix})
        ctx = DocContext(file=name, document=raw.index, lines=lines, api_server_only=self.api_server_only)
        ctx.custom_resource = isinstance(data, dict) and isinstance(data.get("apiVersion"), str) \
            and data["apiVersion"].startswith("cilium.io/")
        for path, key in raw.duplicate_keys:
            if path[:len(prefix)] == prefix:
                ctx.problem(path[len(prefix):], f"The key {key!r} appears twice in this mapping; the API server "
                                                "rejects duplicate keys. Keep one.")
        node = Field(ctx, data)
        if not isinstance(data, dict):
            node.problem(f"A manifest document must be a mapping with apiVersion and kind, found {shown(data)}.")
        elif not _size_problem(node, data, ctx):
            try:
                self._dispatch(node, data, ctx)
            except RecursionError:
                node.problem("This document nests too deeply to be checked; flatten it.")
        self.problems.extend(ctx.problems)

    def _dispatch(self, node: Field, data: dict[str, Any], ctx: DocContext) -> None:
        from labs.manifests.k8s import expected_api_version, has_schema, schema_problems

        kind, api_version = data.get("kind"), data.get("apiVersion")
        meta = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
        ctx.kind = kind if isinstance(kind, str) else None
        ctx.name = meta.get("name") if isinstance(meta.get("name"), str) else None
        if not isinstance(kind, str) or not kind:
            node.child("kind", kind).problem("Every document needs a 'kind' (for example Deployment or "
                                             "CiliumNetworkPolicy).")
            return
        if not isinstance(api_version, str) or not api_version:
            expected = CILIUM_API_VERSION if kind in CILIUM_KINDS else expected_api_version(kind)
            node.child("apiVersion", api_version).problem(
                "Every document needs an 'apiVersion'" + (f"; a {kind} has apiVersion: {expected}." if expected
                                                          else "."))
            return
        if kind in CILIUM_KINDS:
            if api_version != CILIUM_API_VERSION:
                node.child("apiVersion", api_version).problem(_cilium_api_version_message(kind, api_version))
                return
            policy = parse_cilium_policy(node, default_namespace=self.default_namespace)
            if policy is not None:
                self._register(ctx, kind, policy.namespace, policy.name, policy.source)
                self.result.policies.append(policy)
                self.result.documents.append(Document(data, policy.source))
            return
        if api_version.startswith("cilium.io/"):
            problem = cilium_kind_problem(kind, api_version)
            if problem:
                node.child("kind" if problem.startswith("Unknown") else "apiVersion", kind).problem(problem)
                return
            self._pass_through(ctx, data, kind, meta)
            return
        if not has_schema(kind, api_version):
            expected = expected_api_version(kind)
            if expected:
                node.child("apiVersion", api_version).problem(
                    f"A {kind} has apiVersion: {expected}, not {api_version!r}.")
            else:
                node.child("kind", kind).problem(
                    f"Unknown kind {kind!r} with apiVersion {api_version!r}: Kubernetes {_version()} has no such "
                    "resource. Check the spelling of kind and apiVersion.")
            return
        if schema_problems(data, ctx):
            self._check_name(node, meta, kind)
            return
        self._typed(node, data, ctx, kind, meta)

    def _typed(self, node: Field, data: dict[str, Any], ctx: DocContext, kind: str, meta: dict[str, Any]) -> None:
        source = SourceRef(file=ctx.file, document=ctx.document, line=ctx.line(()))
        if kind in WORKLOAD_KINDS:
            pods = expand_workload(node, default_namespace=self.default_namespace, nodes=self.nodes)
            if pods is not None:
                self._register(ctx, kind, pods[0].namespace if pods else meta.get("namespace")
                               or self.default_namespace, ctx.name or "", source)
                self.result.pods.extend(pods)
                self.result.documents.append(Document(data, source))
        elif kind == "Namespace":
            namespace = parse_namespace(node)
            if namespace is not None:
                self._register(ctx, kind, None, namespace.name, source)
                self.result.namespaces.append(namespace)
                self.result.documents.append(Document(data, source))
        elif kind == "Service":
            service = parse_service(node, default_namespace=self.default_namespace)
            if service is not None:
                self._register(ctx, kind, service.namespace, service.name, source)
                self.result.services.append(service)
                self.result.documents.append(Document(data, source))
        elif kind == "NetworkPolicy":
            policy = parse_network_policy(node, default_namespace=self.default_namespace)
            if policy is not None:
                self._register(ctx, kind, policy.namespace, policy.name, source)
                self.result.policies.append(policy)
                self.result.documents.append(Document(data, source))
        else:
            self._pass_through(ctx, data, kind, meta)

    def _check_name(self, node: Field, meta: dict[str, Any], kind: str) -> None:
        """The name rule still applies when the schema check failed elsewhere in the document."""
        from labs.manifests.values import dns1123_label, dns1123_subdomain

        name = meta.get("name")
        if isinstance(name, str) and name:
            check = dns1123_label if kind in ("Namespace", "Service") else dns1123_subdomain
            problem = check(name)
            if problem:
                node.child("metadata", meta).child("name", name).problem(problem)

    def _pass_through(self, ctx: DocContext, data: dict[str, Any], kind: str, meta: dict[str, Any]) -> None:
        from labs.manifests.meta import parse_metadata

        node = Field(ctx, data)
        count = len(ctx.problems)
        if "metadata" not in data:
            node.problem(f"A {kind} needs metadata with a name.")
            return
        parsed = parse_metadata(node.child("metadata", data["metadata"]), node, namespaced=True,
                                default_namespace=self.default_namespace)
        if parsed is None or len(ctx.problems) != count:
            return
        namespace = meta.get("namespace") or self.default_namespace
        self._register(ctx, kind, namespace, parsed.name, parsed.source)
        document = Document(data, parsed.source)
        self.result.documents.append(document)
        self.result.others.append(document)

    def _register(self, ctx: DocContext, kind: str, namespace: str | None, name: str, source: SourceRef) -> None:
        key = (kind, namespace or "", name)
        if key in self.seen:
            first = self.seen[key]
            where = f"{namespace}/{name}" if namespace else name
            ctx.problem(("metadata", "name"), f"{kind} {where!r} is defined twice; the first is at {first}. "
                                              "Rename one or remove the duplicate.")
        else:
            self.seen[key] = source


def _size_problem(node: Field, data: dict[str, Any], ctx: DocContext) -> bool:
    """Objects the API server or etcd refuse for their size; True when one was reported."""
    size = len(json.dumps(data, ensure_ascii=False, default=str).encode())
    if size > MAX_REQUEST_BYTES:
        node.problem(f"This object is {size / 1048576:.1f} MiB as JSON; the API server refuses requests over 3 MiB "
                     "(413 Request Entity Too Large).")
        return True
    if ctx.custom_resource and size > MAX_ETCD_BYTES:
        node.problem(f"This object is {size / 1048576:.2f} MiB as JSON; etcd refuses objects over 1.5 MiB "
                     "(\"etcdserver: request is too large\").")
        return True
    kind = data.get("kind")
    if kind not in ("ConfigMap", "Secret") or data.get("apiVersion") != "v1":
        return False
    total = 0
    for key in ("data", "binaryData", "stringData"):
        values = data.get(key)
        if isinstance(values, dict):
            total += sum(_data_bytes(key, kind, v) for v in values.values() if isinstance(v, str))
    if total > MAX_DATA_BYTES:
        node.child("data", data.get("data")).problem(
            f"The {kind}'s data holds {total} bytes; Kubernetes allows at most {MAX_DATA_BYTES} (1 MiB) in one "
            f"{kind} (core.MaxSecretSize). Split it or mount the content another way.")
        return True
    return False


def _data_bytes(key: str, kind: str, value: str) -> int:
    """Bytes a data value counts for: base64 fields count decoded (binaryData, a Secret's data)."""
    if key == "binaryData" or (kind == "Secret" and key == "data"):
        return len(value.rstrip("=")) * 3 // 4
    return len(value.encode())


def _version() -> str:
    from labs.manifests.k8s import KUBERNETES_VERSION

    return KUBERNETES_VERSION


def _cilium_api_version_message(kind: str, api_version: str) -> str:
    if api_version == "cilium.io":
        return f"apiVersion 'cilium.io' is missing the version; a {kind} has apiVersion: cilium.io/v2."
    if api_version.startswith("cilium.io/"):
        return (f"apiVersion {api_version!r} does not exist for {kind}; Cilium serves it only as "
                "apiVersion: cilium.io/v2.")
    return f"A {kind} has apiVersion: cilium.io/v2, not {api_version!r}."


def load_sources(sources: Iterable[str | Path] | str | Path, *, default_namespace: str = "default",
                 nodes: tuple[str, ...] = ()) -> ManifestSet:
    """See `labs.manifests.load_sources`."""
    if isinstance(sources, (str, Path)):
        sources = [sources]
    builder = _Builder(default_namespace, nodes)
    for source in sources:
        try:
            name, text = read_source(source)
        except ManifestError as exc:
            builder.problems.extend(exc.problems)
            continue
        builder.add_text(name, text)
    if builder.problems:
        raise ManifestError(builder.problems)
    return builder.result


def load_text(text: str, *, name: str = "<input>", default_namespace: str = "default",
              nodes: tuple[str, ...] = (), api_server_only: bool = False) -> ManifestSet:
    """See `labs.manifests.load_text`."""
    builder = _Builder(default_namespace, nodes, api_server_only)
    builder.add_text(name, text)
    if builder.problems:
        raise ManifestError(builder.problems)
    return builder.result

