"""Does provisioning create everything on the simulated backend, with private kubeconfigs, and teardown remove it?"""

from __future__ import annotations

import stat

import yaml

from labs.cluster.sim import SimCluster
from labs.paths import manifests_dir
from labs.workshop.kubeconfig import ClusterEndpoint, endpoint_from_kubeconfig, write_kubeconfig
from labs.workshop.provision import SIM_ENDPOINT, SimulatedTokens
from labs.workshop.room import Room


def test_provision_and_teardown_on_the_simulated_cluster(tmp_path):
    room = Room(["alice", "bob"], manifests=manifests_dir(), labs=["04-namespace-isolation"], folder=tmp_path)
    cluster = SimCluster()
    before = {n.name for n in cluster.namespaces()}
    report = room.provision(cluster, tokens=SimulatedTokens(), endpoint=SIM_ENDPOINT)
    names = {n.name for n in cluster.namespaces()} - before
    assert names == {"ciliumlab-workshop", "alice-backend", "alice-frontend", "alice-test", "bob-backend",
                     "bob-frontend", "bob-test"}
    labels = {n.name: dict(n.labels) for n in cluster.namespaces()}
    assert labels["alice-test"]["ciliumlab.io/trainee"] == "alice"
    assert labels["alice-test"]["ciliumlab.io/lab"] == "04-namespace-isolation"
    assert labels["alice-test"]["pod-security.kubernetes.io/enforce"] == "baseline"
    for trainee in ("alice", "bob"):
        path = report.kubeconfigs[trainee]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        config = yaml.safe_load(path.read_text())
        assert config["current-context"] == f"{trainee}@ciliumlab-workshop"
        assert config["contexts"][0]["context"]["namespace"] == f"{trainee}-backend"
        assert config["users"][0]["user"]["token"].startswith("simulated-")
    assert stat.S_IMODE((tmp_path / "kubeconfigs").stat().st_mode) == 0o700

    down = room.teardown(cluster, shared=True)
    assert {n.name for n in cluster.namespaces()} == before
    assert len(down.removed_files) == 2 and not any(p.exists() for p in report.kubeconfigs.values())


def test_kubeconfig_replaces_wider_permissions(tmp_path):
    path = tmp_path / "alice.kubeconfig"
    path.write_text("old")
    path.chmod(0o644)
    write_kubeconfig(tmp_path, "alice", "tok", ClusterEndpoint("https://192.168.56.10:6443", "Q0E="), "alice-x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = yaml.safe_load(path.read_text())
    assert data["clusters"][0]["cluster"] == {"server": "https://192.168.56.10:6443",
                                              "certificate-authority-data": "Q0E="}


def test_endpoint_comes_from_the_instructors_context():
    data = {"current-context": "admin", "contexts": [{"name": "admin", "context": {"cluster": "c", "user": "u"}}],
            "clusters": [{"name": "c", "cluster": {"server": "https://k:6443", "certificate-authority-data": "X"}}]}
    assert endpoint_from_kubeconfig(data) == ClusterEndpoint("https://k:6443", "X")
    try:
        endpoint_from_kubeconfig(data, "other", where="admin.conf")
    except ValueError as exc:
        assert str(exc) == "The context 'other' is not in admin.conf; contexts there: admin."
    else:
        raise AssertionError("an unknown context must be refused")
