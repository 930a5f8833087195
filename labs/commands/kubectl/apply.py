"""`kubectl apply|create|delete -f FILE|-` (and `delete TYPE NAME`, `create namespace NAME`).

Sources (k8s.io/kubectl):
- `pkg/cmd/apply/apply.go` (`applyOneObject`): objects are applied one by one in file order; a new object
  prints `created`, an existing one `unchanged` when the computed patch is empty, else `configured`;
  with `--dry-run=client` an existing object prints `configured` (no patch is computed); the print flags
  get the suffix ` (dry run)` / ` (server dry run)`; an object created without apply first gets the
  `warningNoLastAppliedConfigAnnotation` warning. Errors are collected and printed after the others.
- cli-runtime `pkg/printers/name.go` `printObj`: `<kind lower>[.<group>]/<name> <operation>`.
- `pkg/cmd/delete/delete.go` `PrintObj`: `<kind lower>[.<group>] "<name>" deleted[ from <ns> namespace]`
  (the namespace part since kubectl 1.34, kubernetes/kubernetes#126619), then the dry-run suffix.
- `pkg/cmd/util/helpers.go` `AddSourceToErr` (`error when creating "FILE": ...`) and `StandardErrorMessage`
  (an Invalid status prints `The <Kind> "<name>" is invalid: <field>: <message>`).
- cli-runtime `pkg/resource` mapping errors: `resource mapping not found for name: ... no matches for kind
  "K" in version "V"` + `ensure CRDs are installed first`.

Validation is the course's (labs.manifests: Kubernetes schemas and the API server's rules, Cilium's CRD
through the typed model); its sentences are printed in the API server's frame, naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from labs.cluster.base import ClusterError
from labs.cluster.sim.records import record_namespace
from labs.commands.kubectl.common import namespace_flag
from labs.commands.kubectl.errors import KubectlError, not_found, parse_verb
from labs.commands.kubectl.flags import GLOBAL_FLAGS, Flag, Parsed
from labs.commands.kubectl.resources import UnknownResource, by_kind
from labs.commands.result import CommandResult, unsupported
from labs.manifests import ManifestError, ManifestSet, load_text
from labs.manifests.yaml_lines import YamlSyntaxError, parse_documents

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["run_manifest_verb"]

_COMMON = GLOBAL_FLAGS + (
    Flag("filename", "f", "list"), Flag("dry-run"), Flag("output", "o"), Flag("recursive", "R", "bool"),
    Flag("validate"), Flag("kustomize", "k"), Flag("selector", "l"), Flag("field-manager"),
)
FLAGS = {
    "apply": _COMMON + (Flag("server-side", kind="bool"), Flag("force", kind="bool"), Flag("prune", kind="bool"),
                        Flag("overwrite", kind="bool"), Flag("wait", kind="bool"), Flag("all", kind="bool"),
                        Flag("force-conflicts", kind="bool"), Flag("timeout")),
    "create": _COMMON + (Flag("save-config", kind="bool"), Flag("edit", kind="bool"), Flag("raw")),
    "delete": _COMMON + (Flag("all-namespaces", "A", "bool"), Flag("all", kind="bool"),
                         Flag("ignore-not-found", kind="bool"), Flag("wait", kind="bool"), Flag("now", kind="bool"),
                         Flag("grace-period", kind="int"), Flag("force", kind="bool"), Flag("cascade"),
                         Flag("timeout"), Flag("interactive", "i", "bool")),
}
_UNMODELLED = {"apply": ("server-side", "prune", "kustomize", "selector", "all", "force-conflicts", "force"),
               "create": ("kustomize", "selector", "edit", "raw", "save-config"),
               "delete": ("kustomize", "all", "all-namespaces", "selector", "interactive", "cascade", "force",
                          "grace-period", "now")}

WARNING_NO_LAST_APPLIED = (
    "Warning: resource {resource}/{name} is missing the kubectl.kubernetes.io/last-applied-configuration "
    "annotation which is required by kubectl apply. kubectl apply should only be used on resources created "
    "declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be "
    "patched automatically.\n")


@dataclass
class _Doc:
    """One document of one source, loaded on its own (kubectl sends objects one by one)."""

    source: str
    data: Any
    loaded: ManifestSet | None
    problems: tuple | None


def _read(parsed: Parsed, stdin: str | None) -> list[tuple[str, str]]:
    files = parsed.get("filename") or []
    assert isinstance(files, list)
    out: list[tuple[str, str]] = []
    for name in files:
        if name == "-":
            out.append(("STDIN", stdin or ""))
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
            out += [(str(p), p.read_text(encoding="utf-8")) for p in found]
        elif path.exists():
            out.append((name, path.read_text(encoding="utf-8")))
        else:
            raise KubectlError(f'error: the path "{name}" does not exist\n')
    return out


def _documents(source: str, text: str, nodes: tuple[str, ...], namespace: str) -> list[_Doc]:
    try:
        raws = parse_documents(text)
    except YamlSyntaxError as exc:
        raise KubectlError(f"error: error parsing {source}: error converting YAML to JSON: yaml: line "
                           f"{exc.line}: {exc.message}\n") from None
    docs: list[_Doc] = []
    for raw in raws:
        if raw.data is None:
            continue
        items = raw.data.get("items") if isinstance(raw.data, dict) and str(raw.data.get("kind", "")).endswith(
            "List") else None
        for data in (items if isinstance(items, list) else [raw.data]):
            try:
                ms = load_text(yaml.safe_dump(data, sort_keys=False), name=source, default_namespace=namespace,
                               nodes=nodes, api_server_only=True)
                docs.append(_Doc(source, data, ms, None))
            except ManifestError as exc:
                docs.append(_Doc(source, data, None, exc.problems))
    return docs


def _identity(data: Any, namespace: str) -> tuple[str, str, str | None, str]:
    """(kind, apiVersion, namespace, name) as written, the namespace defaulted like kubectl does."""
    data = data if isinstance(data, dict) else {}
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    kind = str(data.get("kind") or "")
    ns = record_namespace(kind, meta.get("namespace") or namespace)
    return kind, str(data.get("apiVersion") or ""), ns, str(meta.get("name") or "")


def _group_kind(kind: str, api_version: str) -> str:
    rt = by_kind(kind)
    if rt is not None:
        return rt.group_kind
    group = api_version.split("/")[0] if "/" in api_version else ""
    return kind.lower() + (f".{group}" if group else "")


def _group_resource(kind: str, api_version: str) -> str:
    rt = by_kind(kind)
    if rt is not None:
        return rt.group_resource
    group = api_version.split("/")[0] if "/" in api_version else ""
    return kind.lower() + "s" + (f".{group}" if group else "")


def _problem_error(doc: _Doc, namespace: str, verb_ing: str) -> str:
    kind, api_version, _ns, name = _identity(doc.data, namespace)
    problems = doc.problems or ()
    mapping = [p for p in problems if p.path in ("apiVersion", "kind")]
    if mapping and kind:
        # cli-runtime pkg/resource/mapper.go (infoForData) names the namespace as the object holds it, before
        # any defaulting: "" for a manifest without one, whatever -n says.
        meta = doc.data.get("metadata") if isinstance(doc.data, dict) else None
        written = str((meta or {}).get("namespace") or "") if isinstance(meta, dict) else ""
        return (f'error: resource mapping not found for name: "{name}" namespace: "{written}" from '
                f'"{doc.source}": no matches for kind "{kind}" in version "{api_version}"\n'
                "ensure CRDs are installed first\n")
    causes = [f"{p.path}: {p.message}" if p.path else p.message for p in problems]
    head = f'The {kind} "{name}" is invalid' if kind or name else "The request is invalid"
    if len(causes) == 1:
        return f"{head}: {causes[0]}\n"
    return f"{head}: \n" + "".join(f"* {c}\n" for c in causes)


def _dry_run(parsed: Parsed) -> str:
    value = parsed.get("dry-run")
    if value is None:
        return "none"
    if value not in ("none", "client", "server"):
        raise KubectlError(f'error: Invalid dry-run value ({value}). Must be "none", "server", or "client".\n')
    return str(value)


def run_manifest_verb(verb: str, argv: list[str], cluster: SimCluster, stdin: str | None) -> CommandResult:
    parsed = parse_verb(verb, argv, FLAGS[verb], _UNMODELLED[verb])
    if isinstance(parsed, CommandResult):
        return parsed
    output = parsed.get("output")
    if output not in (None, "name"):
        return unsupported("kubectl", f"kubectl {verb} -o {output} is not available on the simulated cluster")
    try:
        dry_run = _dry_run(parsed)
        if not parsed.get("filename"):
            if verb == "delete" and parsed.args:
                return _delete_by_name(parsed, cluster, dry_run)
            if verb == "create" and parsed.args:
                return _create_namespace(parsed, cluster, dry_run)
            raise KubectlError(_missing_files(verb))
        sources = _read(parsed, stdin)
    except KubectlError as exc:
        return exc.result()
    namespace = namespace_flag(parsed)
    nodes = tuple(n.name for n in cluster.nodes)
    try:
        docs = [d for name, text in sources for d in _documents(name, text, nodes, namespace)]
    except KubectlError as exc:
        return exc.result()
    if not docs:
        if verb == "delete":
            return CommandResult(stdout="No resources found\n")
        return CommandResult(stderr=f"error: no objects passed to {verb}\n", exit_code=1)
    if verb == "delete":
        return _delete_docs(docs, parsed, cluster, dry_run, namespace)
    return _apply_docs(verb, docs, parsed, cluster, dry_run, namespace)


def _missing_files(verb: str) -> str:
    if verb == "delete":
        return ("error: You must provide one or more resources by argument or filename.\nExample resource "
                "specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n"
                "   '<resource>'\n")
    return "error: must specify one of -f and -k\n"


def _suffix(dry_run: str) -> str:
    return {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")


def _apply_docs(verb: str, docs: list[_Doc], parsed: Parsed, cluster: SimCluster, dry_run: str,
                namespace: str) -> CommandResult:
    out, warnings, errors = "", "", ""
    short = parsed.get("output") == "name"
    verb_ing = "creating"
    for doc in docs:
        kind, api_version, ns, name = _identity(doc.data, namespace)
        written = ((doc.data.get("metadata") or {}) if isinstance(doc.data, dict) else {}).get("namespace")
        if "namespace" in parsed.given and ns is not None and written and written != namespace:
            errors += (f'error: the namespace from the provided object "{written}" does not match the namespace '
                       f'"{namespace}". You must pass \'--namespace={written}\' to perform this operation.\n')
            continue
        if doc.loaded is None:
            errors += _problem_error(doc, namespace, verb_ing)
            continue
        if ns is not None and ns not in cluster.store.namespaces and not any(
                d.kind == "Namespace" and d.name == ns for d in doc.loaded.documents):
            errors += (f'Error from server (NotFound): error when {verb_ing} "{doc.source}": '
                       f'namespaces "{ns}" not found\n')
            continue
        record = cluster.records.get(kind, ns, name)
        exists = record is not None or _exists_unrecorded(cluster, kind, ns, name)
        if verb == "create" and exists:
            errors += (f'Error from server (AlreadyExists): error when creating "{doc.source}": '
                       f'{_group_resource(kind, api_version)} "{name}" already exists\n')
            continue
        manifest = dict(doc.data)
        if ns is not None:
            manifest["metadata"] = {**(manifest.get("metadata") or {}), "namespace": ns}
        if not exists:
            operation = "created"
        elif dry_run == "client":
            operation = "configured"
        elif record is not None and record.applied and record.manifest == manifest:
            operation = "unchanged"
        else:
            operation = "configured"
            if record is None or not record.applied:
                resource = _group_resource(kind, api_version)
                warnings += WARNING_NO_LAST_APPLIED.format(resource=resource, name=name)
        if dry_run == "none" and operation != "unchanged":
            try:
                _retire_replaced_pods(cluster, doc.loaded)
                cluster.apply_set(doc.loaded, applied=verb == "apply")
            except ClusterError as exc:
                errors += f'Error from server (BadRequest): error when {verb_ing} "{doc.source}": {exc}\n'
                continue
        line = f"{_group_kind(kind, api_version)}/{name}"
        out += line + ("\n" if short else f" {operation}{_suffix(dry_run)}\n")
    return CommandResult(stdout=out, stderr=warnings + errors, exit_code=1 if errors else 0)


def _retire_replaced_pods(cluster: SimCluster, ms: ManifestSet) -> None:
    """A changed pod template replaces a workload's pods (the rollout's end state): old ones go."""
    owners = {f"{d.kind}/{d.name}" for d in ms.documents if d.kind in ("Deployment", "ReplicaSet", "StatefulSet",
                                                                         "DaemonSet")}
    keep = {p.key for p in ms.pods}
    old = [p for p in cluster.store.pods.values() if p.owner in owners and p.key not in keep
           and any(p.namespace == q.namespace for q in ms.pods)]
    if old:
        cluster.delete_set(ManifestSet(pods=old))


def _exists_unrecorded(cluster: SimCluster, kind: str, ns: str | None, name: str) -> bool:
    """Objects the cluster came with (kube-system, coredns, the kubernetes Service) have no apply record."""
    if kind == "Namespace":
        return name in cluster.store.namespaces
    if kind == "Pod":
        return f"{ns}/{name}" in cluster.store.pods
    if kind == "Service":
        return f"{ns}/{name}" in cluster.store.services
    return False


def _delete_line(kind: str, api_version: str, name: str, ns: str | None, dry_run: str, short: bool) -> str:
    if short:
        return f"{_group_kind(kind, api_version)}/{name}\n"
    where = f" from {ns} namespace" if ns is not None else ""
    return f'{_group_kind(kind, api_version)} "{name}" deleted{where}{_suffix(dry_run)}\n'


def _delete_docs(docs: list[_Doc], parsed: Parsed, cluster: SimCluster, dry_run: str,
                 namespace: str) -> CommandResult:
    out, errors = "", ""
    short = parsed.get("output") == "name"
    ignore = bool(parsed.get("ignore-not-found"))
    doomed: list[_Doc] = []
    for doc in docs:
        kind, api_version, ns, name = _identity(doc.data, namespace)
        if doc.loaded is None and any(p.path in ("apiVersion", "kind") for p in doc.problems or ()):
            errors += _problem_error(doc, namespace, "deleting")
            continue
        exists = cluster.records.get(kind, ns, name) is not None or _exists_unrecorded(cluster, kind, ns, name)
        if not exists:
            if not ignore:
                errors += (f'Error from server (NotFound): error when deleting "{doc.source}": '
                           f'{_group_resource(kind, api_version)} "{name}" not found\n')
            continue
        out += _delete_line(kind, api_version, name, ns, dry_run, short)
        doomed.append(doc)
    if dry_run == "none":
        for doc in doomed:
            _delete_doc(cluster, doc, namespace)
    return CommandResult(stdout=out, stderr=errors, exit_code=1 if errors else 0)


def _delete_doc(cluster: SimCluster, doc: _Doc, namespace: str) -> None:
    kind, _, _, name = _identity(doc.data, namespace)
    if kind == "Namespace":
        cluster.delete_namespaces([name])
        return
    if doc.loaded is not None:
        cluster.delete_set(doc.loaded)


def _delete_by_name(parsed: Parsed, cluster: SimCluster, dry_run: str) -> CommandResult:
    from labs.commands.kubectl.get import resolve_targets

    try:
        groups = resolve_targets(parsed.args, "delete")
    except UnknownResource as exc:
        return CommandResult(stderr=f"error: {exc}\n", exit_code=1)
    except KubectlError as exc:
        return exc.result()
    namespace = namespace_flag(parsed)
    short = parsed.get("output") == "name"
    out, errors = "", ""
    for rt, names in groups:
        if not names:
            return CommandResult(stderr='error: resource(s) were provided, but no name was specified\n',
                                 exit_code=1)
        if rt.kind not in ("Pod", "Service", "Deployment", "Namespace", "CiliumNetworkPolicy",
                           "CiliumClusterwideNetworkPolicy", "NetworkPolicy"):
            return unsupported("kubectl", f"kubectl delete {rt.plural} is not available on the simulated cluster")
        ns = namespace if rt.namespaced else None
        for name in names:
            record = cluster.records.get(rt.kind, ns, name)
            if record is None:
                if _exists_unrecorded(cluster, rt.kind, ns, name):
                    return unsupported("kubectl", f"the simulated cluster keeps its built-in {rt.plural} "
                                                  f"(\"{name}\")")
                if not parsed.get("ignore-not-found"):
                    errors += not_found(rt.group_resource, name)
                continue
            if rt.kind == "Namespace" and name in ("default", "kube-system"):
                errors += (f'Error from server (Forbidden): namespaces "{name}" is forbidden: this namespace '
                           "may not be deleted\n")
                continue
            out += _delete_line(rt.kind, "", name, ns, dry_run, short)
            if dry_run == "none":
                if rt.kind == "Namespace":
                    cluster.delete_namespaces([name])
                else:
                    cluster.delete_set(load_text(yaml.safe_dump(record.manifest, sort_keys=False),
                                                 name="<delete>", nodes=tuple(n.name for n in cluster.nodes),
                                                 api_server_only=True))
    return CommandResult(stdout=out, stderr=errors, exit_code=1 if errors else 0)


def _create_namespace(parsed: Parsed, cluster: SimCluster, dry_run: str) -> CommandResult:
    args = parsed.args
    if args[0] not in ("namespace", "ns") or len(args) != 2:
        what = " ".join(args[:1])
        return unsupported("kubectl", f"kubectl create {what} is not available on the simulated cluster; "
                                      "write the object in YAML and use kubectl create -f")
    name = args[1]
    if name in cluster.store.namespaces:
        return CommandResult(stderr=f'Error from server (AlreadyExists): namespaces "{name}" already exists\n',
                             exit_code=1)
    text = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
    try:
        ms = load_text(text, name="<create namespace>")
    except ManifestError as exc:
        message = exc.problems[0].message if exc.problems else str(exc)
        return CommandResult(stderr=f'The Namespace "{name}" is invalid: metadata.name: {message}\n', exit_code=1)
    if dry_run == "none":
        cluster.apply_set(ms, applied=False)
    short = parsed.get("output") == "name"
    return CommandResult(stdout=f"namespace/{name}" + ("\n" if short else f" created{_suffix(dry_run)}\n"))
