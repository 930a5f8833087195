"""Commands that need the live cluster say in one sentence why they cannot reach it, and exit 2."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from labs.__main__ import main


@pytest.fixture
def no_cluster(isolated):
    """A kubeconfig naming a port where nothing listens, and the course's manifests."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = isolated / "repo" / ".kube" / "config"
    config.parent.mkdir(parents=True)
    config.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "users": [{"name": "u", "user": {"token": "t"}}]}))
    config.chmod(0o600)
    (isolated / "repo" / "manifests").symlink_to(Path(__file__).resolve().parents[2] / "manifests")
    scenario = isolated / "s.yaml"
    scenario.write_text("name: one\nprobes: []\n")
    return port, scenario


@pytest.mark.parametrize("command", [["check", "02-segregation"], ["reset", "02-segregation"], ["verify", "SCENARIO"]])
def test_an_unreachable_api_is_one_sentence_and_exit_2(no_cluster, capsys, command):
    port, scenario = no_cluster
    argv = [str(scenario) if a == "SCENARIO" else a for a in command] + ["--backend", "live"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"labs {command[0]}: Cannot reach the Kubernetes API server at 'http://127.0.0.1:{port}' "
                          "(kubeconfig .kube/config, context 'c'): connection refused within 5 s.")
    assert err.count("\n") == 1
