"""`kubectl label TYPE NAME... KEY=VALUE... KEY-` with `--overwrite`, `-n`, `-l`, `--all`, `--dry-run`.

Source: k8s.io/kubectl `pkg/cmd/label/label.go`: `parseLabels` (`invalid label spec`, `unknown label spec`,
`can not both modify and remove a label in the same command`, `invalid label value`), `validateNoOverwrites`
(`'KEY' already has a value (VALUE), and --overwrite is false`), `RunLabel` (`label "KEY" not found.` for a
removal of a missing key), `updateDataChangeMsg` (`labeled`, `unlabeled` when only labels were removed,
`not labeled` when nothing changed), printed by the name printer as `pod/x labeled`.

Labels of pods, namespaces and Services are modelled: a pod's labels make its security identity and a
namespace's labels reach its pods as `io.cilium.k8s.namespace.labels.*`, so policies see the change.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from labs.commands.kubectl.common import namespace_flag
from labs.commands.kubectl.errors import not_found, parse_verb, usage_error
from labs.commands.kubectl.flags import GLOBAL_FLAGS, Flag
from labs.commands.kubectl.resources import UnknownResource, lookup
from labs.commands.kubectl.selector import SelectorError, parse_selector
from labs.commands.kubectl.views import list_views
from labs.commands.result import CommandResult, unsupported

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["run_label"]

FLAGS = GLOBAL_FLAGS + (
    Flag("overwrite", kind="bool"), Flag("selector", "l"), Flag("all", kind="bool"), Flag("dry-run"),
    Flag("output", "o"), Flag("list", kind="bool"), Flag("local", kind="bool"), Flag("resource-version"),
    Flag("filename", "f", "list"), Flag("all-namespaces", "A", "bool"), Flag("field-selector"),
)
_UNMODELLED = ("output", "list", "local", "resource-version", "filename", "all-namespaces", "field-selector")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_MODELLED_KINDS = ("Pod", "Namespace", "Service")


def _value_problem(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.match(value):
        return ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
                "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
    return None


def run_label(argv: list[str], cluster: SimCluster) -> CommandResult:
    parsed = parse_verb("label", argv, FLAGS, _UNMODELLED)
    if isinstance(parsed, CommandResult):
        return parsed
    dry_run = parsed.get("dry-run") or "none"
    if dry_run not in ("none", "client", "server"):
        return CommandResult(stderr=f'error: Invalid dry-run value ({dry_run}). Must be "none", "server", or '
                                    '"client".\n', exit_code=1)
    specs = [a for a in parsed.args if "=" in a or a.endswith("-")]
    resources = [a for a in parsed.args if a not in specs]
    if not specs:
        return usage_error("label", "at least one label update is required").result()
    if not resources:
        return usage_error("label", "one or more resources must be specified as <resource> <name> or "
                                    "<resource>/<name>").result()
    add: dict[str, str] = {}
    remove: list[str] = []
    for spec in specs:
        if "=" in spec:
            parts = spec.split("=")
            if len(parts) != 2:
                return CommandResult(stderr=f"error: invalid label spec: {spec}\n", exit_code=1)
            problem = _value_problem(parts[1])
            if problem:
                return CommandResult(stderr=f'error: invalid label value: "{spec}": {problem}\n', exit_code=1)
            add[parts[0]] = parts[1]
        else:
            remove.append(spec[:-1])
    if any(k in add for k in remove):
        return CommandResult(stderr="error: can not both modify and remove a label in the same command\n",
                             exit_code=1)
    try:
        if "/" in resources[0]:
            targets = [(lookup(r.split("/", 1)[0]), r.split("/", 1)[1]) for r in resources]
        else:
            rt = lookup(resources[0])
            targets = [(rt, n) for n in resources[1:]]
            if not targets:
                if not (parsed.get("all") or parsed.get("selector")):
                    return usage_error("label", "resource(s) were provided, but no name was specified").result()
                try:
                    selector = parse_selector(str(parsed.get("selector") or ""))
                except SelectorError as exc:
                    return CommandResult(stderr=f"error: {exc}\n", exit_code=1)
                namespace = namespace_flag(parsed)
                targets = [(rt, v.name) for v in list_views(cluster, rt)
                           if (not rt.namespaced or v.namespace == namespace) and selector.matches(v.labels)]
    except UnknownResource as exc:
        return CommandResult(stderr=f"error: {exc}\n", exit_code=1)
    namespace = namespace_flag(parsed)
    out, errors = "", ""
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(str(dry_run), "")
    for rt, name in targets:
        if rt.kind not in _MODELLED_KINDS:
            return unsupported("kubectl", f"labels of {rt.plural} are not modelled by the simulated cluster")
        ns = namespace if rt.namespaced else None
        view = next((v for v in list_views(cluster, rt) if v.name == name and v.namespace == ns), None)
        if view is None:
            errors += not_found(rt.group_resource, name)
            continue
        current = dict(view.labels)
        if not parsed.get("overwrite"):
            clash = [k for k in add if k in current]
            if clash:
                errors += f"error: '{clash[0]}' already has a value ({current[clash[0]]}), and --overwrite is false\n"
                continue
        for key in remove:
            if key not in current:
                out += f'label "{key}" not found.\n'
        updated = {**current, **add}
        for key in remove:
            updated.pop(key, None)
        if updated == current:
            message = "not labeled"
        elif not parsed.get("overwrite") and len(updated) < len(current):
            message = "unlabeled"
        else:
            message = "labeled"
        if dry_run == "none" and updated != current:
            cluster.set_labels(rt.kind, ns, name, updated)
        out += f"{rt.group_kind}/{name} {message}{suffix}\n"
    return CommandResult(stdout=out, stderr=errors, exit_code=1 if errors else 0)
