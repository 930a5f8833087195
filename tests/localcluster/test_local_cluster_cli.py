"""The local-cluster command line without a cluster: bad input, status and down of a directory never used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _cli(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "labs.env.local", "--dir", str(tmp_path / "state"), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def test_a_timeout_must_be_positive(tmp_path):
    done = _cli(tmp_path, "up", "--timeout", "0")
    assert done.returncode == 2
    assert "--timeout must be a positive number" in done.stderr
    assert not (tmp_path / "state").exists()


def test_status_of_a_cluster_never_started(tmp_path):
    done = _cli(tmp_path, "status")
    assert done.returncode == 1
    assert "etcd                     stopped" in done.stdout
    assert "kube-apiserver           stopped" in done.stdout


def test_down_of_a_cluster_never_started_is_harmless(tmp_path):
    done = _cli(tmp_path, "down")
    assert done.returncode == 0
    assert "kube-apiserver: not started" in done.stderr

