"""`labs doctor` against a real API server that has Cilium's CRDs but no node and no agent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_doctor_reports_the_missing_parts_of_a_control_plane_only_cluster(admin_env):
    import os

    # The subprocess timeout is the bound that proves doctor does not hang; a wall-clock assertion here
    # failed on a machine running forty test processes without anything being wrong.
    done = subprocess.run([sys.executable, "-m", "labs", "doctor", "--json", "--no-workload", "--timeout", "5"],
                          cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["kubeconfig"]["status"] == "pass"  # mode 0600, written by scripts/local-cluster
    assert checks["api-server"]["status"] == "pass"
    assert "v1.35.8" in checks["api-server"]["message"] or "v1.35.8" in json.dumps(checks["api-server"])
    assert checks["nodes"]["status"] == "fail"
    assert checks["cilium"]["status"] == "fail"
    assert "not installed" in json.dumps(checks["cilium"])
