"""`kubectl exec [-n NS] POD|TYPE/NAME [-c CONTAINER] -- COMMAND ...` on the simulated cluster.

kubectl's side (k8s.io/kubectl `pkg/cmd/exec/exec.go`): the command must follow `--` (`exec POD COMMAND`
is refused since 1.x with "exec [POD] [COMMAND] is not supported anymore"); `TYPE/NAME` picks the
workload's first pod; without `-c` the container named by the `kubectl.kubernetes.io/default-container`
annotation is used, else the first one, with `Defaulted container "a" out of: a, b` on stderr when the
pod has several; a non-zero exit of the command prints `command terminated with exit code N` on stderr
and kubectl exits with N (`pkg/cmd/exec/exec.go` via `CodeExitError`, `pkg/cmd/util/helpers.go`).

The command runs against the simulated network (see `curl`, `busybox`): every attempt goes through
`SimCluster.probe`, so it also records the Hubble flows `hubble observe` shows. Which tools a container
has depends on its image: the course's images are known (curlimages/curl: curl plus BusyBox wget,
nslookup, ping; busybox: BusyBox only; hashicorp/http-echo: no shell tools at all); a tool missing from
the image fails the way containerd reports it (`kubectl exec POD -- dig ...`: executable file not found in
$PATH), or, started through `sh -c`, the way BusyBox's shell does (`sh: dig: not found`, exit code 127);
other images get the simulation note.
"""

from __future__ import annotations

import hashlib
import shlex
from typing import TYPE_CHECKING

from labs.commands.kubectl.common import namespace_flag
from labs.commands.kubectl.errors import not_found, usage_error
from labs.commands.kubectl.flags import GLOBAL_FLAGS, Flag, FlagError, parse
from labs.commands.kubectl.views import pod_containers
from labs.commands.result import CommandResult, unsupported

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["run_exec", "IMAGE_TOOLS"]

FLAGS = GLOBAL_FLAGS + (
    Flag("container", "c"), Flag("stdin", "i", "bool"), Flag("tty", "t", "bool"), Flag("quiet", "q", "bool"),
    Flag("pod-running-timeout"), Flag("filename", "f", "list"),
)

IMAGE_TOOLS: dict[str, frozenset[str]] = {
    "curlimages/curl": frozenset({"curl", "wget", "nslookup", "ping", "sh", "sleep"}),
    "busybox": frozenset({"wget", "nslookup", "ping", "sh", "sleep"}),
    "hashicorp/http-echo": frozenset(),
}
"""The tools each course image ships (curlimages/curl is Alpine with BusyBox; http-echo is one binary)."""

_NETWORK_TOOLS = ("curl", "wget", "nslookup", "dig", "ping")
"""Tools a trainee reaches for; one missing from the image fails as it would there, not with the note.
No course image ships `dig` (BusyBox has no dig applet; curlimages/curl adds only curl), so `dig` always
fails that way: `nslookup` is the lookup tool the course's images have."""

_WORKLOAD_TYPES = {"deploy": "Deployment", "deployment": "Deployment", "deployments": "Deployment",
                   "deployment.apps": "Deployment", "deployments.apps": "Deployment",
                   "pod": "Pod", "pods": "Pod", "po": "Pod"}


def _tool_missing(pod: str, container: str, tool: str) -> CommandResult:
    exec_id = hashlib.sha256(f"{pod}/{container}/{tool}".encode()).hexdigest()
    return CommandResult(stderr=(
        "error: Internal error occurred: Internal error occurred: error executing command in container: failed to "
        f"exec in container: failed to start exec \"{exec_id}\": OCI runtime exec failed: exec failed: unable to "
        f"start container process: exec: \"{tool}\": executable file not found in $PATH: unknown\n"), exit_code=1)


def _pick_pod(cluster: SimCluster, target: str, namespace: str) -> str | CommandResult:
    kind, sep, name = target.partition("/")
    if not sep:
        kind, name = "Pod", target
    else:
        mapped = _WORKLOAD_TYPES.get(kind.lower())
        if mapped is None:
            return unsupported("kubectl", f"kubectl exec {kind}/NAME is not modelled by the simulated cluster; "
                                          "use a pod name or deploy/NAME")
        kind = mapped
    if kind == "Pod":
        if f"{namespace}/{name}" not in cluster.store.pods:
            return CommandResult(stderr=not_found("pods", name), exit_code=1)
        return name
    if cluster.records.get("Deployment", namespace, name) is None:
        return CommandResult(stderr=not_found("deployments.apps", name), exit_code=1)
    pods = sorted(p.name for p in cluster.pods(namespace) if p.owner == f"Deployment/{name}")
    if not pods:
        return CommandResult(stderr="error: cannot exec into a container in a completed pod; current phase is "
                                    "Pending\n", exit_code=1)
    return pods[0]


def run_exec(argv: list[str], cluster: SimCluster) -> CommandResult:
    from labs.commands.agent_exec import route  # the agent's own tools: cilium-dbg and hubble inside ds/cilium

    agent = route(["exec", *argv], cluster)
    if agent is not None:
        return agent
    try:
        parsed = parse(argv, FLAGS)
    except FlagError as exc:
        return usage_error("exec", str(exc)).result()
    if "filename" in parsed.given:
        return unsupported("kubectl", "kubectl exec -f is not modelled by the simulated cluster")
    if not parsed.args:
        return usage_error("exec", "pod, type/name or --filename must be specified").result()
    if parsed.after_dash is None or not parsed.after_dash:
        if len(parsed.args) > 1:
            return CommandResult(stderr="error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- "
                                        "[COMMAND] instead\nSee 'kubectl exec -h' for help and examples\n",
                                 exit_code=1)
        return usage_error("exec", "you must specify at least one command for the container").result()
    namespace = namespace_flag(parsed)
    picked = _pick_pod(cluster, parsed.args[0], namespace)
    if isinstance(picked, CommandResult):
        return picked
    pod_name = picked
    containers = pod_containers(cluster, namespace, pod_name)
    names = [str(c.get("name", "")) for c in containers]
    stderr = ""
    wanted = parsed.get("container")
    if wanted:
        if wanted not in names:
            return CommandResult(stderr=f"Error from server (BadRequest): container {wanted} is not valid for pod "
                                        f"{pod_name}\n", exit_code=1)
        container = containers[names.index(str(wanted))]
    else:
        record = cluster.records.get("Pod", namespace, pod_name)
        annotations = ((record.manifest.get("metadata") or {}).get("annotations") or {}) if record else {}
        default = annotations.get("kubectl.kubernetes.io/default-container")
        if default in names:
            container = containers[names.index(default)]
        else:
            container = containers[0]
            if len(containers) > 1 and not parsed.get("quiet"):
                stderr = f'Defaulted container "{names[0]}" out of: {", ".join(names)}\n'
    command = _unwrap_shell(parsed.after_dash)
    if command is None:
        return unsupported("kubectl", "shell scripts (pipes, `;`, `&&`, variables, redirections) inside a pod "
                                      "are not modelled by the simulated cluster; run one command")
    tool = command[0].rsplit("/", 1)[-1]
    image = str(container.get("image", "")).split("@")[0].rsplit(":", 1)[0] if container.get("image") else ""
    tools = IMAGE_TOOLS.get(image)
    if tools is None:
        return unsupported("kubectl", f"the simulated cluster does not know which tools image "
                                      f"{container.get('image') or '(none)'} ships")
    shell = parsed.after_dash[0] if command is not parsed.after_dash else None
    if shell is not None and shell.rsplit("/", 1)[-1] not in tools:
        result = _tool_missing(f"{namespace}/{pod_name}", str(container.get("name")), shell)
        return CommandResult(stderr=stderr + result.stderr, exit_code=result.exit_code)
    if shell is not None and tool not in tools and tool in _NETWORK_TOOLS:
        # BusyBox ash (the course's curl and busybox images) on a command it cannot find: exit 127
        return CommandResult(stderr=f"{stderr}sh: {command[0]}: not found\ncommand terminated with exit code 127\n",
                             exit_code=127)
    if tool not in tools:
        if tool in _NETWORK_TOOLS:
            result = _tool_missing(f"{namespace}/{pod_name}", str(container.get("name")), command[0])
            return CommandResult(stderr=stderr + result.stderr, exit_code=result.exit_code)
        return unsupported("kubectl", f"`{command[0]}` inside a pod is not modelled by the simulated cluster "
                                      "(curl, wget, nslookup and ping are)")
    source = f"{namespace}/{pod_name}"
    if tool == "curl":
        from labs.commands.kubectl.curl import run_curl

        result = run_curl(command[1:], cluster, source)
    elif tool in ("wget", "nslookup", "ping"):
        from labs.commands.kubectl import busybox

        result = {"wget": busybox.run_wget, "nslookup": busybox.run_nslookup,
                  "ping": busybox.run_ping}[tool](command[1:], cluster, source)
    else:
        return unsupported("kubectl", f"`{command[0]}` inside a pod is not modelled by the simulated cluster "
                                      "(curl, wget, nslookup and ping are)")
    if result.exit_code and not _is_note(result):
        return CommandResult(stdout=result.stdout, stderr=stderr + result.stderr +
                             f"command terminated with exit code {result.exit_code}\n", exit_code=result.exit_code)
    return CommandResult(stdout=result.stdout, stderr=stderr + result.stderr, exit_code=result.exit_code)


_SHELL_SYNTAX = set("|;&<>$`(){}*?~\\\n")


def _unwrap_shell(command: list[str]) -> list[str] | None:
    """`sh -c 'curl -s x'` is the single command it runs; None for a real script (not modelled)."""
    if len(command) == 3 and command[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash") and command[1] == "-c":
        script = command[2]
        if any(ch in _SHELL_SYNTAX for ch in script.replace("%{", "").replace("}", "")):
            return None
        words = shlex.split(script)
        return words or None
    return command


def _is_note(result: CommandResult) -> bool:
    from labs.commands.result import SIM_NOTE

    return SIM_NOTE in result.stderr
