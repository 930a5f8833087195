"""The Vagrantfile, checked offline with `vagrant validate --ignore-provider` (no box, no hypervisor,
no download) and by reading it for the rules validate cannot check."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from vm_test_support import REPO, require_tool

VAGRANTFILE = (REPO / "Vagrantfile").read_text()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what the Vagrantfile reads, so validation never writes into the checkout."""
    for name in ("Vagrantfile", "versions.lock", "settings.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "vagrant", tmp_path / "vagrant")
    shutil.copytree(REPO / "scripts" / "provision", tmp_path / "scripts" / "provision")
    return tmp_path


def validate(project: Path, settings: dict | None = None) -> subprocess.CompletedProcess[str]:
    vagrant = require_tool("vagrant")
    env = {
        **os.environ,
        "VAGRANT_HOME": str(project / ".vagrant-home"),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
        "VAGRANT_BOX_UPDATE_CHECK_DISABLE": "1",
        "VAGRANT_NO_COLOR": "1",
    }
    if settings is not None:
        (project / "custom.yaml").write_text(yaml.safe_dump(settings))
        env["CILIUMLAB_SETTINGS"] = str(project / "custom.yaml")
    return subprocess.run([vagrant, "validate", "--ignore-provider"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def test_vagrantfile_validates_with_default_settings(project: Path) -> None:
    result = validate(project)
    assert result.returncode == 0, result.stderr
    assert "==> control-plane: Ignoring provider config for validation..." in result.stdout
    assert "==> worker-1: Ignoring provider config for validation..." in result.stdout
    assert "Vagrantfile validated successfully." in result.stdout
    token = project / ".vagrant" / "ciliumlab" / "bootstrap-token"
    assert re.fullmatch(r"[a-z0-9]{6}\.[a-z0-9]{16}\n", token.read_text())
    assert token.stat().st_mode & 0o777 == 0o600


def test_single_node_and_forwarded_ports_validate(project: Path) -> None:
    settings = yaml.safe_load((REPO / "settings.yaml").read_text())
    settings["nodes"]["workers"] = 0
    settings["network"]["forwarded_ports"] = [{"guest": 31235, "host": 12000}]
    result = validate(project, settings)
    assert result.returncode == 0, result.stderr
    assert "worker-1" not in result.stdout


def test_bad_settings_stop_vagrant_at_once(project: Path) -> None:
    settings = yaml.safe_load((REPO / "settings.yaml").read_text())
    settings["network"]["control_plane_ip"] = "10.0.0.10"
    result = validate(project, settings)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"ciliumlab: {project / 'custom.yaml'}: network.control_plane_ip: control-plane would get 10.0.0.10, "
        "outside 192.168.56.0/21"
    )


def test_forwarded_ports_bind_to_localhost_only() -> None:
    forwards = [line for line in VAGRANTFILE.splitlines() if '"forwarded_port"' in line]
    assert forwards, "the Vagrantfile forwards settings' ports"
    assert all('host_ip: "127.0.0.1"' in line for line in forwards)


@pytest.mark.parametrize("provider", ["virtualbox", "vmware_desktop", "parallels", "libvirt"])
def test_every_provider_gets_cpus_and_memory(provider: str) -> None:
    block = re.search(rf'provider "{provider}" do \|(\w+)\|(.*?)\n      end', VAGRANTFILE, re.S)
    assert block, f"no per-node block for {provider}"
    name, body = block.groups()
    assert f"{name}.cpus = node.cpus" in body and f"{name}.memory = node.memory_mib" in body


def test_box_and_versions_come_from_the_lock_file() -> None:
    assert 'config.vm.box = VERSIONS.fetch("BOX_NAME")' in VAGRANTFILE
    assert 'config.vm.box_version = VERSIONS.fetch("BOX_VERSION")' in VAGRANTFILE
    assert "config.vm.box_check_update = false" in VAGRANTFILE
    assert "machine.vm.hostname = node.hostname" in VAGRANTFILE


def test_ruby_syntax() -> None:
    ruby = require_tool("ruby")
    for path in (REPO / "Vagrantfile", *sorted((REPO / "vagrant").glob("*.rb"))):
        result = subprocess.run([ruby, "-c", str(path)], capture_output=True, text=True)
        assert result.stdout.strip() == "Syntax OK", f"{path.name}: {result.stderr}"
