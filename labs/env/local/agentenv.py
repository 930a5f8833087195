"""The shell environment that points the real CLIs at the local node's Cilium agent: `<state>/cilium.env`.

`up --cilium` writes it once the agent is ready; `. <state>/cilium.env` puts the cached Cilium binaries
(`cilium-dbg`, `hubble`) first on PATH and sets the variables those CLIs read themselves, `CILIUM_SOCK`
(pkg/client/client.go) and `HUBBLE_SERVER` (hubble's viper env prefix, hubble/cmd/common/config/viper.go),
plus `KUBECONFIG`. The live backend finds the agent through the same variables
(`labs.cluster.live.agents.find_agents`), so a shell, a notebook and the tests reach it alike.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from labs.env.local.ciliumagent import CiliumPaths
from labs.env.local.components import Paths

__all__ = ["env_file", "agent_vars", "env_text", "write_env_file", "applied"]


def env_file(paths: Paths) -> Path:
    return paths.root / "cilium.env"


def agent_vars(paths: Paths, bin_dir: Path) -> dict[str, str]:
    """The variables, PATH given as the directory to put first (`applied` joins it to a PATH)."""
    cpaths = CiliumPaths(paths)
    return {"PATH": str(bin_dir), "CILIUM_SOCK": str(cpaths.socket),
            "HUBBLE_SERVER": f"unix://{cpaths.hubble_socket}", "KUBECONFIG": str(paths.kubeconfig)}


def env_text(values: dict[str, str]) -> str:
    lines = ["# Written by `scripts/local-cluster up --cilium`: cilium-dbg, hubble and kubectl against this",
             "# cluster's Cilium agent. Use it with:  . <this file>"]
    for key, value in values.items():
        if key == "PATH":
            lines.append(f'export PATH={shlex.quote(value)}:"$PATH"')
        else:
            lines.append(f"export {key}={shlex.quote(value)}")
    return "\n".join(lines) + "\n"


def write_env_file(paths: Paths, bin_dir: Path) -> Path:
    path = env_file(paths)
    path.write_text(env_text(agent_vars(paths, bin_dir)))
    path.chmod(0o600)
    return path


def applied(values: dict[str, str], environ: dict[str, str]) -> dict[str, str]:
    """`environ` as it is after sourcing the file: PATH prefixed, the other variables set."""
    result = dict(environ)
    for key, value in values.items():
        result[key] = f"{value}:{environ['PATH']}" if key == "PATH" and environ.get("PATH") else value
    return result
