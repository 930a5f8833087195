"""`kubectl describe cnp|ccnp|svc NAME` on the simulated cluster.

Sources (k8s.io/kubectl `pkg/describe/describe.go`):
- `genericDescriber.Describe` (custom resources such as CiliumNetworkPolicy): Name, Namespace,
  `printLabelsMultiline`, `printAnnotationsMultiline` (the last-applied-configuration annotation is
  skipped), then `printUnstructuredContent` of the whole object minus those fields (keys sorted, maps as
  `Key:` then their content two spaces deeper, lists item after item, scalars as `Key:\\tvalue`, field
  names through `smartLabelFor`: camelCase split into Title Case words, API/URL/UID/OSB/GUID upper-cased,
  names with characters other than letters and '-' kept as written), then `Events:\\t<none>`.
- `ServiceDescriber` / `describeService`: Name, Namespace, Labels, Annotations, Selector, Type, IP Family
  Policy, IP Families, IP, IPs, per port `Port:\\t<name>  <port>/<proto>`, `TargetPort:`, `NodePort:`,
  `Endpoints:`, Session Affinity, External Traffic Policy (NodePort/LoadBalancer), Internal Traffic Policy,
  Events.
- `tabbedString`: the whole text goes through a tabwriter (minwidth 0, tabwidth 8, padding 2, ' ',
  flags 0), which aligns each block of consecutive lines having a cell in the same column (Go
  text/tabwriter `format`).
Pods: `labs.commands.kubectl.describe_pod`. NetworkPolicies are not described (kubectl's
`describeNetworkPolicy` prose is not reproduced).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labs.commands.kubectl.common import namespace_flag
from labs.commands.kubectl.errors import not_found, usage_error
from labs.commands.kubectl.flags import GLOBAL_FLAGS, Flag, FlagError, parse
from labs.commands.kubectl.resources import UnknownResource, lookup
from labs.commands.kubectl.views import LAST_APPLIED, ObjectView, list_views
from labs.commands.result import SIM_NOTE, CommandResult, unsupported

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["run_describe", "go_tabwriter", "smart_label"]

FLAGS = GLOBAL_FLAGS + (Flag("all-namespaces", "A", "bool"), Flag("selector", "l"), Flag("show-events", kind="bool"),
                        Flag("filename", "f", "list"), Flag("chunk-size"))
_DESCRIBED = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "Service", "CiliumEndpoint", "CiliumIdentity",
              "Pod")
"""NetworkPolicy has a describer of its own in kubectl (not modelled here); Pod is `describe_pod`."""
_ACRONYMS = ("API", "URL", "UID", "OSB", "GUID")


def go_tabwriter(text: str, minwidth: int = 0, padding: int = 2) -> str:
    """Go text/tabwriter with padchar ' ' and no flags: column widths per block of consecutive lines."""
    lines = [line.split("\t") for line in text.split("\n")]
    widths: list[int] = []
    out: list[str] = []

    def write_lines(start: int, end: int) -> None:
        for row in lines[start:end]:
            parts = []
            for j, cell in enumerate(row):
                if j < len(row) - 1 and j < len(widths):
                    parts.append(cell.ljust(widths[j]))
                else:
                    parts.append(cell)
            out.append("".join(parts))

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))
    return "\n".join(out)


def _camel_split(word: str) -> list[str]:
    """github.com/fatih/camelcase Split: runs of one character class; an upper run followed by lower case
    gives its last letter to the next word."""
    runs: list[str] = []
    last = None
    for ch in word:
        kind = "l" if ch.islower() else "u" if ch.isupper() else "d" if ch.isdigit() else "o"
        if kind == last:
            runs[-1] += ch
        else:
            runs.append(ch)
        last = kind
    for i in range(len(runs) - 1):
        if runs[i][0].isupper() and runs[i + 1][0].islower():
            runs[i + 1] = runs[i][-1] + runs[i + 1]
            runs[i] = runs[i][:-1]
    return [r for r in runs if r]


def smart_label(field: str) -> str:
    if any(not (ch.isalpha() or ch == "-") for ch in field):
        return field
    parts = []
    for part in _camel_split(field):
        if part == "_":
            continue
        parts.append(part.upper() if part.upper() in _ACRONYMS else part[:1].upper() + part[1:])
    return " ".join(parts)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    return str(value)


def _content(lines: list[str], level: int, content: dict[str, Any], prefix: str, skip: set[str]) -> None:
    pad = "  " * level
    for key in sorted(content):
        value = content[key]
        expr = f"{prefix}.{key}"
        if expr in skip:
            continue
        if isinstance(value, dict):
            lines.append(f"{pad}{smart_label(key)}:")
            _content(lines, level + 1, value, expr, skip)
        elif isinstance(value, list):
            lines.append(f"{pad}{smart_label(key)}:")
            for child in value:
                if isinstance(child, dict):
                    _content(lines, level + 1, child, expr, skip)
                else:
                    lines.append(f"{'  ' * (level + 1)}{_scalar(child)}")
        else:
            lines.append(f"{pad}{smart_label(key)}:\t{_scalar(value)}")


def _multiline(lines: list[str], title: str, values: dict[str, str]) -> None:
    if not values:
        lines.append(f"{title}:\t<none>")
        return
    for i, key in enumerate(sorted(values)):
        lines.append(f"{title + ':' if i == 0 else ''}\t{key}={values[key]}")


def _generic(view: ObjectView) -> str:
    meta = view.obj.get("metadata") or {}
    lines = [f"Name:\t{view.name}", f"Namespace:\t{view.namespace or ''}"]
    _multiline(lines, "Labels", dict(meta.get("labels") or {}))
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    _multiline(lines, "Annotations", annotations)
    _content(lines, 0, view.obj, "", {".metadata.name", ".metadata.namespace", ".metadata.labels",
                                       ".metadata.annotations"})
    lines.append("Events:\t<none>")
    return go_tabwriter("\n".join(lines) + "\n")


def _service(view: ObjectView, cluster: SimCluster) -> str:
    from labs.cluster.sim.resolve import backends, pod_port

    svc = view.extra["svc"]
    meta = view.obj.get("metadata") or {}
    lines = [f"Name:\t{svc.name}", f"Namespace:\t{svc.namespace}"]
    _multiline(lines, "Labels", dict(svc.labels))
    _multiline(lines, "Annotations", {k: v for k, v in (meta.get("annotations") or {}).items()
                                      if k != LAST_APPLIED})
    selector = dict(svc.selector) if svc.selector is not None else {}
    lines.append("Selector:\t" + ",".join(f"{k}={v}" for k, v in sorted(selector.items())))
    lines.append(f"Type:\t{svc.type}")
    lines += ["IP Family Policy:\tSingleStack", "IP Families:\tIPv4", f"IP:\t{svc.cluster_ip}",
              f"IPs:\t{svc.cluster_ip}"]
    pods = backends(svc, list(cluster.store.pods.values()))
    for port in svc.ports:
        name = port.name or "<unset>"
        lines.append(f"Port:\t{name}  {port.port}/{port.protocol}")
        target = port.target_port
        lines.append(f"TargetPort:\t{target}/{port.protocol}")
        if port.node_port:
            lines.append(f"NodePort:\t{name}  {port.node_port}/{port.protocol}")
        addresses = []
        for pod in pods:
            try:
                number = pod_port(pod, target, port.protocol)
            except Exception:
                continue
            addresses.append(f"{cluster.pod_ip(pod.key)}:{number}")
        lines.append("Endpoints:\t" + ",".join(addresses))
    lines.append("Session Affinity:\tNone")
    if svc.type in ("NodePort", "LoadBalancer"):
        lines.append("External Traffic Policy:\tCluster")
    lines.append("Internal Traffic Policy:\tCluster")
    lines.append("Events:\t<none>")
    return go_tabwriter("\n".join(lines) + "\n")


def run_describe(argv: list[str], cluster: SimCluster) -> CommandResult:
    try:
        parsed = parse(argv, FLAGS)
    except FlagError as exc:
        return usage_error("describe", str(exc)).result()
    for name in ("selector", "filename", "all-namespaces", "chunk-size"):
        if name in parsed.given:
            return unsupported("kubectl", f"kubectl describe --{name} is not available on the simulated cluster")
    if not parsed.args:
        return CommandResult(stderr="You must specify the type of resource to describe. Use \"kubectl "
                                    "api-resources\" for a complete list of supported resources.\n\n",
                             exit_code=1)
    try:
        if "/" in parsed.args[0]:
            targets = [(lookup(a.split("/", 1)[0]), a.split("/", 1)[1]) for a in parsed.args]
        else:
            rt = lookup(parsed.args[0])
            targets = [(rt, n) for n in parsed.args[1:]]
    except UnknownResource as exc:
        return CommandResult(stderr=f"error: {exc}\n", exit_code=1)
    namespace = namespace_flag(parsed)
    if not targets:
        rt = lookup(parsed.args[0])
        targets = [(rt, v.name) for v in list_views(cluster, rt) if rt.modelled and rt.kind in _DESCRIBED
                   and (not rt.namespaced or v.namespace == namespace)]
    chunks, errors, notes = [], "", ""
    for rt, name in targets:
        if rt.kind not in _DESCRIBED:
            return unsupported("kubectl", f"kubectl describe {rt.plural} is not available on the simulated "
                                          "cluster; use kubectl get -o yaml")
        ns = namespace if rt.namespaced else None
        view = next((v for v in list_views(cluster, rt) if v.name == name and v.namespace == ns), None)
        if view is None:
            errors += not_found(rt.group_resource, name)
            continue
        if rt.kind == "Pod":
            from labs.commands.kubectl.describe_pod import describe_pod

            chunks.append(describe_pod(view, cluster))
            notes = (f"{SIM_NOTE} (describe pod: container IDs and the volume's suffix are the simulation's own, "
                     "Image ID is empty as no image is pulled, and no events are recorded).\n")
        else:
            chunks.append(_service(view, cluster) if rt.kind == "Service" else _generic(view))
    return CommandResult(stdout="\n\n".join(chunks), stderr=errors + notes, exit_code=1 if errors else 0)



