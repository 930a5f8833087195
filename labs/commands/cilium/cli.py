"""The `cilium` CLI (cilium-cli) on the simulated cluster: `status` and `config view`.

`cilium status` is cilium-cli's summary (cilium `cilium-cli/status/status.go` `Status.Format`: tabwriter
0,0,4; the logo block with one line per component, then DaemonSets and Deployments, containers, cluster
pods, Helm chart version and image versions), with what the simulated cluster knows: the components
the course installs (docs/vm.md: operator with one replica, Hubble Relay and UI on), one agent and one
Envoy per node, every non-host-network pod managed by Cilium. `--wait` returns at once (nothing to wait
for). `cilium config view` is `cilium-cli/config/config.go` `K8sConfig.View` (sorted keys, tabwriter
0,0,4) over the keys the simulation models; `cilium config set policy-audit-mode true|false` is
`K8sConfig.Set` (patch, then restart the agents, which then audit every endpoint).
"""

from __future__ import annotations

from typing import Any

from labs.commands.pflag import Flag, FlagError, Parsed, parse
from labs.commands.result import SIM_NOTE, CommandResult, unsupported
from labs.commands.tabwriter import tabwrite
from labs.paths import repo_root

__all__ = ["run", "status", "config_view", "config_map", "config_set"]

_ROOT_FLAGS = (Flag("context"), Flag("namespace", "n"), Flag("as"), Flag("as-group", kind="list"),
               Flag("helm-release-name"), Flag("kubeconfig"))
"""cilium-cli's persistent flags (`cilium-cli/cli/cmd.go`): accepted everywhere, meaningless here."""

_STATUS_FLAGS = (*_ROOT_FLAGS, Flag("wait", kind="bool"), Flag("wait-duration", kind="duration"),
                 Flag("ignore-warnings", kind="bool"), Flag("worker-count", kind="int"), Flag("output", "o"),
                 Flag("interactive", kind="bool"), Flag("verbose", kind="bool"))
"""`cilium status` flags of cilium-cli v0.19.7 (`cilium-cli/cli/status.go`)."""

_CONFIG_SET_FLAGS = (*_ROOT_FLAGS, Flag("restart", "r", kind="bool", default=True))
"""`cilium config set` flags (`cilium-cli/cli/config.go`: `--restart/-r`, on by default)."""


def _read(argv: list[str], flags: tuple[Flag, ...]) -> Parsed | CommandResult:
    """The parsed line, or cobra's `Error: <pflag's message>` (cilium-cli silences the usage text)."""
    try:
        return parse(argv, flags)
    except FlagError as exc:
        return CommandResult(stderr=f"Error: {exc}\n", exit_code=1)


def _versions() -> dict[str, str]:
    """versions.lock KEY=VALUE pairs (empty when the file is not there)."""
    path = repo_root() / "versions.lock"
    found: dict[str, str] = {}
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.startswith("#"):
                found[key.strip()] = value.strip()
    except OSError:
        pass
    return found


def _cilium_version(cluster: Any) -> str:
    text = cluster.info().cilium_version or "1.19.5"
    return text.split()[0]


def status(cluster: Any, argv: list[str]) -> CommandResult:
    read = _read(argv, _STATUS_FLAGS)
    if isinstance(read, CommandResult):
        return read
    if read.get("output") == "json":  # any other -o value prints the summary, as cilium-cli does
        return unsupported("cilium", "cilium status -o json")
    nodes = len(cluster.info().nodes) or 1
    version = _cilium_version(cluster)
    lock = _versions()
    pods = [p for p in cluster.pods() if not p.host_network]
    components = [("DaemonSet", "cilium", nodes), ("DaemonSet", "cilium-envoy", nodes),
                  ("Deployment", "cilium-operator", 1), ("Deployment", "hubble-relay", 1),
                  ("Deployment", "hubble-ui", 1)]
    images = [("cilium", lock.get("CILIUM_IMAGE_AGENT", f"quay.io/cilium/cilium:v{version}"), nodes),
              ("cilium-envoy", lock.get("CILIUM_IMAGE_ENVOY", "quay.io/cilium/cilium-envoy"), nodes),
              ("cilium-operator", lock.get("CILIUM_IMAGE_OPERATOR", f"quay.io/cilium/operator-generic:v{version}"), 1),
              ("hubble-relay", lock.get("CILIUM_IMAGE_HUBBLE_RELAY", f"quay.io/cilium/hubble-relay:v{version}"), 1),
              ("hubble-ui", lock.get("CILIUM_IMAGE_HUBBLE_UI_BACKEND", "quay.io/cilium/hubble-ui-backend"), 1),
              ("hubble-ui", lock.get("CILIUM_IMAGE_HUBBLE_UI", "quay.io/cilium/hubble-ui"), 1)]
    text = ("    /¯¯\\\n"
            " /¯¯\\__/¯¯\\\tCilium:\tOK\n"
            " \\__/¯¯\\__/\tOperator:\tOK\n"
            " /¯¯\\__/¯¯\\\tEnvoy DaemonSet:\tOK\n"
            " \\__/¯¯\\__/\tHubble Relay:\tOK\n"
            "    \\__/\tClusterMesh:\tdisabled\n"
            "\n")
    for kind, name, count in components:
        text += f"{kind}\t{name}\tDesired: {count}, Ready: {count}/{count}, Available: {count}/{count}\n"
    header = "Containers:"
    running = dict((name, count) for _, name, count in components)
    for name in sorted([*running, "clustermesh-apiserver"]):
        text += f"{header}\t{name}\t" + (f"Running: {running[name]}" if name in running else "") + "\n"
        header = ""
    text += f"Cluster Pods:\t{len(pods)}/{len(pods)} managed by Cilium\n"
    text += f"Helm chart version:\t{version}\n"
    header = "Image versions"
    for name, image, count in images:
        text += f"{header}\t{name}\t{image}: {count}\n"
        header = ""
    return CommandResult(stdout=tabwrite(text, minwidth=0, padding=4))


def config_map(cluster: Any) -> dict[str, str]:
    """The cilium-config keys the simulated cluster models, as the Helm values of docs/vm.md set them."""
    info = cluster.info()
    return {
        "cluster-id": "0",
        "cluster-name": "default",
        "enable-hubble": "true",
        "enable-ipv4": "true",
        "enable-ipv6": "false",
        "enable-l7-proxy": "true" if info.l7_proxy else "false",
        "enable-policy": info.policy_enforcement,
        "hubble-listen-address": ":4244",
        "ipam": "kubernetes",
        "k8s-require-ipv4-pod-cidr": "true",
        "kube-proxy-replacement": info.kube_proxy_replacement or "false",
        "policy-audit-mode": str(getattr(cluster, "config_overrides", {}).get("policy-audit-mode", "false")),
    }


_SETTABLE = {"policy-audit-mode": ("true", "false")}
"""cilium-config keys `cilium config set` changes on the simulated cluster, with the values the agent accepts."""


def config_set(cluster: Any, argv: list[str]) -> CommandResult:
    """`cilium config set KEY VALUE`: cilium-cli's K8sConfig.Set (`cilium-cli/config/config.go`): patch the
    ConfigMap, then delete the agent pods so they restart with it (`--restart`, on by default), or warn."""
    read = _read(argv, _CONFIG_SET_FLAGS)
    if isinstance(read, CommandResult):
        return read
    restart, words = read.get("restart") is True, read.args + (read.after_dash or [])
    if len(words) != 2:
        return CommandResult(stderr=f"Error: accepts 2 arg(s), received {len(words)}\n", exit_code=1)
    key, value = words
    if key not in _SETTABLE or not hasattr(cluster, "config_overrides"):
        return unsupported("cilium", f"cilium config set {key}: only {', '.join(_SETTABLE)} is modelled")
    if value not in _SETTABLE[key]:
        return unsupported("cilium", f"cilium config set {key} {value}: the simulated agent reads "
                                     f"{' or '.join(_SETTABLE[key])}")
    cluster.config_overrides[key] = value
    text = f"✨ Patching ConfigMap cilium-config with {key}={value}...\n"
    if restart:
        cluster.restart_agents()
        text += "♻️  Restarted Cilium pods\n"
    else:
        text += "⚠️  Restart Cilium pods for configmap changes to take effect\n"
    return CommandResult(stdout=text)


def config_view(cluster: Any, argv: list[str]) -> CommandResult:
    if argv:
        return unsupported("cilium", f"cilium config view {' '.join(argv)}")
    data = config_map(cluster)
    text = "".join(f"{key}\t{data[key]}\n" for key in sorted(data))
    note = f"{SIM_NOTE} (cilium config view: only the keys the simulation models are listed).\n"
    return CommandResult(stdout=tabwrite(text, minwidth=0, padding=4), stderr=note)


_USAGE = """CLI to install, manage, & troubleshooting Cilium clusters running Kubernetes.

Usage:
  cilium [command]

Available Commands (on the simulated cluster):
  config      Manage Configuration (view, set policy-audit-mode)
  status      Display status
"""


def run(argv: list[str], cluster: Any, stdin: str | None = None) -> CommandResult:
    """One `cilium ...` (cilium-cli) command line on the simulated cluster."""
    words = list(argv)
    if words and words[0] == "cilium":
        words = words[1:]
    if not words or words[0] in ("-h", "--help", "help"):
        return CommandResult(stdout=_USAGE)
    command, rest = words[0], words[1:]
    if command == "status":
        return status(cluster, rest)
    if command == "config" and rest[:1] == ["view"]:
        return config_view(cluster, rest[1:])
    if command == "config" and rest[:1] == ["set"]:
        return config_set(cluster, rest[1:])
    if command in ("config", "connectivity", "install", "uninstall", "upgrade", "hubble", "clustermesh", "sysdump",
                   "version", "encryption", "bgp", "features", "multicast", "completion", "policy"):
        return unsupported("cilium", f"cilium {' '.join(words)}: not available on the simulated cluster")
    hint = ""
    if command in ("endpoint", "identity", "monitor", "bpf", "service"):
        hint = (f"note: `{command}` is a command of the agent's debug CLI: run `cilium-dbg {' '.join(words)}` "
                "(in the agent: kubectl exec -n kube-system ds/cilium -- cilium-dbg ...).\n")
    return CommandResult(stderr=f'Error: unknown command "{command}" for "cilium"\n'
                                f"Run 'cilium --help' for usage.\n{hint}", exit_code=1)
