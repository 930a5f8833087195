"""`kubectl get`: tables, `-o wide|yaml|json|name`, `-n`, `-A`, `-l`, `--show-labels`, names as arguments.

Behaviour follows k8s.io/kubectl `pkg/cmd/get/get.go` (`Run`): several types print one table each, names
prefixed with the kind, separated by a blank line; names that do not exist print
`Error from server (NotFound): ...` on stderr (exit 1) after the rows that do; an empty result prints
`No resources found in <ns> namespace.` (or `No resources found`) on stderr with exit 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labs.commands.kubectl.common import GET_OUTPUTS, namespace_flag, now_of, output_error
from labs.commands.kubectl.errors import KubectlError, not_found, parse_verb
from labs.commands.kubectl.flags import GLOBAL_FLAGS, Flag
from labs.commands.kubectl.output import as_list, to_json, to_yaml
from labs.commands.kubectl.resources import ResourceType, UnknownResource, lookup
from labs.commands.kubectl.selector import SelectorError, parse_selector
from labs.commands.kubectl.table import Table
from labs.commands.kubectl.views import COLUMNS, ObjectView, list_views
from labs.commands.result import CommandResult, unsupported

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["run_get", "resolve_targets"]

FLAGS = GLOBAL_FLAGS + (
    Flag("all-namespaces", "A", "bool"),
    Flag("selector", "l"),
    Flag("output", "o"),
    Flag("show-labels", kind="bool"),
    Flag("no-headers", kind="bool"),
    # Real flags the simulated cluster does not model: accepted by the parser, answered with the note.
    Flag("watch", "w", "bool"), Flag("watch-only", kind="bool"), Flag("sort-by"), Flag("field-selector"),
    Flag("label-columns", "L", "list"), Flag("show-kind", kind="bool"), Flag("chunk-size"),
    Flag("ignore-not-found", kind="bool"), Flag("raw"), Flag("subresource"), Flag("template"),
    Flag("filename", "f", "list"), Flag("recursive", "R", "bool"), Flag("server-print", kind="bool"),
    Flag("output-watch-events", kind="bool"), Flag("show-managed-fields", kind="bool"), Flag("kustomize", "k"),
    Flag("allow-missing-template-keys", kind="bool"),
)
_UNMODELLED = ("watch", "watch-only", "sort-by", "field-selector", "label-columns", "show-kind", "chunk-size",
               "ignore-not-found", "raw", "subresource", "template", "filename", "recursive", "server-print",
               "output-watch-events", "show-managed-fields", "kustomize", "allow-missing-template-keys")

_NO_TYPE = ("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of "
            "supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" "
            "for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for "
            "help and examples\n")


def resolve_targets(args: list[str], verb: str) -> list[tuple[ResourceType, list[str]]]:
    """`TYPE[,TYPE] [NAME...]` or `TYPE/NAME...` into (type, names) groups; raises UnknownResource."""
    if not args:
        return []
    if "/" in args[0]:
        groups: dict[str, tuple[ResourceType, list[str]]] = {}
        for arg in args:
            kind, sep, name = arg.partition("/")
            if not sep or not name:
                raise KubectlError("error: there is no need to specify a resource type as a separate argument "
                                   "when passing arguments in resource/name form (e.g. 'kubectl get "
                                   "resource/<resource_name>' instead of 'kubectl get resource "
                                   "resource/<resource_name>'\n")
            rt = lookup(kind)
            groups.setdefault(rt.kind, (rt, []))[1].append(name)
        return list(groups.values())
    types = [lookup(t) for t in args[0].split(",") if t]
    names = args[1:]
    if names and len(types) > 1:
        raise KubectlError(f"error: you must specify only one resource type with a name; {args[0]!r} has "
                           f"{len(types)}\n")
    return [(rt, list(names)) for rt in types]


def run_get(argv: list[str], cluster: SimCluster) -> CommandResult:
    parsed = parse_verb("get", argv, FLAGS, _UNMODELLED)
    if isinstance(parsed, CommandResult):
        return parsed
    output = str(parsed.get("output") or "")
    if output and output.split("=", 1)[0] not in GET_OUTPUTS:
        return output_error(output)
    if output not in ("", "wide", "yaml", "json", "name"):
        return unsupported("kubectl", f"kubectl get -o {output} is not available on the simulated cluster")
    if not parsed.args:
        return CommandResult(stderr=_NO_TYPE, exit_code=1)
    try:
        groups = resolve_targets(parsed.args, "get")
    except UnknownResource as exc:
        return CommandResult(stderr=f"error: {exc}\n", exit_code=1)
    except KubectlError as exc:
        return exc.result()
    for rt, _ in groups:
        if not rt.modelled:
            return unsupported("kubectl", f"{rt.group_resource} are not modelled by the simulated cluster")
    all_ns = bool(parsed.get("all-namespaces"))
    namespace = namespace_flag(parsed)
    selector_text = parsed.get("selector")
    named = any(names for _, names in groups)
    if named and selector_text:
        return CommandResult(stderr="error: name cannot be provided when a selector is specified\n", exit_code=1)
    if named and all_ns:
        return CommandResult(stderr="error: a resource cannot be retrieved by name across all namespaces\n",
                             exit_code=1)
    try:
        selector = parse_selector(str(selector_text)) if selector_text else None
    except SelectorError as exc:
        return CommandResult(stderr=f"error: {exc}\n", exit_code=1)
    if output == "wide" and any(rt.kind == "Node" for rt, _ in groups):
        return unsupported("kubectl", "the simulated nodes have no OS image, kernel or runtime version to show "
                                      "(kubectl get nodes -o wide)")

    found: list[tuple[ResourceType, list[ObjectView]]] = []
    errors = ""
    for rt, names in groups:
        views = [v for v in list_views(cluster, rt)
                 if not rt.namespaced or all_ns or v.namespace == namespace]
        if selector is not None:
            views = [v for v in views if selector.matches(v.labels)]
        if names:
            by_name = {v.name: v for v in views}
            picked = []
            for name in names:
                if name in by_name:
                    picked.append(by_name[name])
                else:
                    errors += not_found(rt.group_resource, name)
            views = picked
        found.append((rt, views))
    stdout = _render(found, output, cluster, all_ns=all_ns, show_labels=bool(parsed.get("show-labels")),
                     no_headers=bool(parsed.get("no-headers")), single=named and sum(len(v) for _, v in found) == 1
                     and len(found) == 1 and len(groups[0][1]) == 1)
    total = sum(len(v) for _, v in found)
    if total == 0 and not errors and output not in ("yaml", "json"):
        scoped = all(rt.namespaced for rt, _ in groups)
        errors = (f"No resources found in {namespace} namespace.\n" if scoped and not all_ns
                  else "No resources found\n")
        return CommandResult(stdout=stdout, stderr=errors, exit_code=0)
    return CommandResult(stdout=stdout, stderr=errors, exit_code=1 if errors else 0)


def _render(found: list[tuple[ResourceType, list[ObjectView]]], output: str, cluster: SimCluster, *,
            all_ns: bool, show_labels: bool, no_headers: bool, single: bool) -> str:
    views = [v for _, vs in found for v in vs]
    if output == "name":
        return "".join(f"{v.rtype.group_kind}/{v.name}\n" for v in views)
    if output in ("yaml", "json"):
        doc = views[0].obj if single else as_list([v.obj for v in views])
        return to_yaml(doc) if output == "yaml" else to_json(doc)
    now = now_of(cluster)
    with_kind = len(found) > 1
    chunks = []
    for rt, vs in found:
        if not vs:
            continue
        table = Table(COLUMNS[rt.kind])
        for v in vs:
            table.add(v.cells(now), namespace=v.namespace, labels=v.labels)
        chunks.append(table.render(wide=output == "wide", with_namespace=all_ns and rt.namespaced,
                                   show_labels=show_labels, kind_prefix=rt.group_kind if with_kind else None,
                                   no_headers=no_headers))
    return "\n".join(chunks)
