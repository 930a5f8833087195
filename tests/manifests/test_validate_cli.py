"""`python -m labs validate`: exit codes, summary lines and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labs.__main__ import main

HERE = Path(__file__).parent


def test_valid_files_exit_0_with_a_summary_per_file(capsys):
    files = [str(HERE / "valid" / "kubernetes.yaml"), str(HERE / "valid" / "cilium-clusterwide.yaml")]
    assert main(["validate", *files]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{files[0]}: valid, 12 documents: 1 Namespace, 1 ServiceAccount, 1 Deployment (3 pods), 1 StatefulSet "
        "(2 pods), 1 DaemonSet (0 pods), 1 ReplicaSet (2 pods), 1 Pod, 2 Service, 2 NetworkPolicy, 1 ConfigMap",
        f"{files[1]}: valid, 4 documents: 4 CiliumClusterwideNetworkPolicy",
    ]


def test_invalid_file_exits_2_and_prints_every_problem(capsys):
    path = HERE / "invalid" / "service-node-port-range.yaml"
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{path}: 1 problem; nothing would be applied:"
    assert out[1] == (f"  {path}:18: (document 1, Service hubble) spec.ports[0].nodePort: nodePort 4245 is outside the "
                      "node port range 30000-32767; pick a port in that range or leave nodePort out to get one "
                      "assigned.")


def test_unreadable_file_exits_2(capsys):
    assert main(["validate", "no-such-file.yaml"]) == 2
    assert "does not exist" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["cnp-port-unquoted-number.yaml", "cnp-api-version-v1.yaml"])
def test_json_output(capsys, name):
    path = HERE / "invalid" / name
    assert main(["validate", "--json", str(path), str(HERE / "valid" / "cilium-l7-dns.yaml")]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False and data["problems"] == 1
    bad, good = data["files"]
    assert (bad["valid"], good["valid"], good["summary"]) == (False, True, "4 documents: 4 CiliumNetworkPolicy")
    assert set(bad["problems"][0]) == {"message", "file", "document", "line", "path", "kind", "name", "severity"}
