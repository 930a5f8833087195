"""`<state>/cilium.env`: sourced by a shell it points cilium-dbg, hubble and kubectl at the cluster's agent."""

from __future__ import annotations

import subprocess
from pathlib import Path

from labs.env.local.agentenv import agent_vars, applied, env_file, write_env_file
from labs.env.local.components import Paths


def sourced(path: Path, environ: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(["/bin/sh", "-c", '. "$1" && env -0', "sh", str(path)], capture_output=True, env=environ,
                          timeout=10, check=True)
    return dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)


def test_sourcing_the_file_sets_what_the_clis_and_the_live_backend_read(tmp_path):
    paths = Paths(tmp_path / "cluster dir's")  # a space and a quote survive the shell quoting
    paths.root.mkdir()
    bin_dir = tmp_path / "cilium-1.19.5" / "bin"
    path = write_env_file(paths, bin_dir)
    assert path == env_file(paths) == paths.root / "cilium.env"
    assert path.stat().st_mode & 0o777 == 0o600
    env = sourced(path, {"PATH": "/usr/bin:/bin"})
    assert env["PATH"] == f"{bin_dir}:/usr/bin:/bin"
    assert env["CILIUM_SOCK"] == str(paths.root / "cilium" / "run" / "cilium.sock")
    assert env["HUBBLE_SERVER"] == f"unix://{paths.root / 'cilium' / 'run' / 'hubble.sock'}"
    assert env["KUBECONFIG"] == str(paths.kubeconfig)
    expected = applied(agent_vars(paths, bin_dir), {"PATH": "/usr/bin:/bin"})
    assert {k: env[k] for k in expected} == expected


def test_the_live_backend_finds_the_agent_the_file_names(tmp_path):
    from labs.cluster.live.agents import HostAgent, find_agents

    paths = Paths(tmp_path)
    env = sourced(write_env_file(paths, tmp_path / "bin"), {"PATH": "/usr/bin:/bin"})
    found = find_agents(None, None, environ=env)
    assert isinstance(found, HostAgent)
    assert (found.socket, found.hubble_server) == (env["CILIUM_SOCK"], env["HUBBLE_SERVER"])
