"""Running `vagrant` and `kubectl` for the host commands.

`Vagrant` runs in the repository with update checks off. `ClusterShell` runs kubectl either on the host
(when kubectl and the exported kubeconfig exist) or inside the control plane through `vagrant ssh`,
so the host needs nothing but Vagrant.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from labs.env.errors import EnvError

__all__ = ["CONTROL_PLANE", "Vagrant", "ClusterShell"]

CONTROL_PLANE = "control-plane"


@dataclass(frozen=True)
class Vagrant:
    """The `vagrant` command for the repository at `root`."""

    root: Path

    def command(self, *args: str) -> list[str]:
        executable = shutil.which("vagrant")
        if executable is None:
            raise EnvError(
                "Vagrant is not installed (no 'vagrant' on PATH). Install Vagrant 2.4.9 or newer from "
                "https://developer.hashicorp.com/vagrant/install and a provider such as VirtualBox; see docs/vm.md."
            )
        return [executable, *args]

    def env(self) -> dict[str, str]:
        return {**os.environ, "VAGRANT_CHECKPOINT_DISABLE": "1", "VAGRANT_BOX_UPDATE_CHECK_DISABLE": "1"}

    def run(self, *args: str) -> int:
        """Run with the terminal attached (progress shows as it happens); return the exit code."""
        return subprocess.run(self.command(*args), cwd=self.root, env=self.env(), check=False).returncode

    def capture(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(self.command(*args), cwd=self.root, env=self.env(), capture_output=True,
                                  text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise EnvError(f"'vagrant {' '.join(args)}' did not finish within {timeout:g} s; is the VM hung? "
                           "Try 'vagrant reload control-plane'.") from exc

    def ssh(self, remote_command: str, *ssh_args: str) -> list[str]:
        """The argv that runs `remote_command` on the control plane (extra ssh options after `--`)."""
        argv = self.command("ssh", CONTROL_PLANE, "-c", remote_command)
        return [*argv, "--", *ssh_args] if ssh_args else argv

    def machine_states(self) -> dict[str, str]:
        """Machine name -> state ("running", "poweroff", "not_created", ...) from machine-readable status."""
        result = self.capture("status", "--machine-readable")
        if result.returncode != 0:
            raise EnvError(f"'vagrant status' failed: {result.stderr.strip() or result.stdout.strip()}")
        states = {}
        for line in result.stdout.splitlines():
            parts = line.split(",")
            if len(parts) >= 4 and parts[2] == "state":
                states[parts[1]] = parts[3]
        return states

    def require_running(self) -> None:
        state = self.machine_states().get(CONTROL_PLANE, "unknown")
        if state != "running":
            raise EnvError(f"the control plane VM is {state.replace('_', ' ')!r}, not running; "
                           "start it with 'python -m labs env up'.")


@dataclass(frozen=True)
class ClusterShell:
    """kubectl against the course cluster, from the host when possible, else inside the VM."""

    vagrant: Vagrant
    kubeconfig: Path

    def host_kubectl(self) -> str | None:
        executable = shutil.which("kubectl")
        return executable if executable and self.kubeconfig.is_file() else None

    def kubectl_argv(self, args: Sequence[str], *ssh_args: str) -> list[str]:
        host = self.host_kubectl()
        if host:
            return [host, "--kubeconfig", str(self.kubeconfig), *args]
        return self.vagrant.ssh(shlex.join(["kubectl", *args]), *ssh_args)

    def kubectl(self, args: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        argv = self.kubectl_argv(args)
        try:
            return subprocess.run(argv, cwd=self.vagrant.root, env=self.vagrant.env(), capture_output=True,
                                  text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise EnvError(f"'kubectl {' '.join(args)}' did not finish within {timeout:g} s; "
                           "raise --timeout or check the cluster with 'python -m labs env status'.") from exc
