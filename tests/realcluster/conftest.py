"""One real control plane (scripts/local-cluster) shared by every test here, started once per test run.

Under pytest-xdist each worker runs this session fixture; a file lock and a count of users in the run's shared
temporary directory make the first worker start the cluster and the last one stop it. Tests work in names of
their own (namespaces `rt-*`, trainees suffixed by worker), so workers do not collide. Starting it needs the
binaries (built into the user's cache on first use). When it cannot be built or started the tests are skipped
with the reason, or fail under LABS_REQUIRE_TOOLS=1 (CI). LABS_LOCAL_CLUSTER=0 skips them on purpose.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UP_TIMEOUT = float(os.environ.get("LABS_LOCAL_CLUSTER_TIMEOUT", "240"))


@dataclass(frozen=True)
class LocalCluster:
    state_dir: Path
    kubeconfig: Path

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return _cli(self.state_dir, *args, timeout=timeout)

    def admin(self):
        """The local cluster tool's own admin client (raw bytes in and out)."""
        from labs.env.local.rest import AdminClient

        ports = json.loads((self.state_dir / "cluster.json").read_text())["ports"]
        return AdminClient(ports["apiserver"], self.state_dir / "pki", timeout=20.0)


def _cli(state_dir: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labs.env.local", "--dir", str(state_dir), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def _unavailable(reason: str) -> None:
    if os.environ.get("LABS_REQUIRE_TOOLS") == "1":
        pytest.fail(f"the local cluster is required (LABS_REQUIRE_TOOLS=1) but {reason}", pytrace=False)
    pytest.skip(f"local cluster not available: {reason}")


@contextmanager
def _locked(path: Path):
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _users(path: Path, change: int) -> int:
    count = int(path.read_text() or 0) if path.exists() else 0
    count = max(0, count + change)
    path.write_text(str(count))
    return count


@contextmanager
def _shared_cluster(tmp_path_factory, name: str, *up_args: str):
    """Start (first user) and stop (last user) one cluster shared by this run's xdist workers."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    state = shared / name
    lock, users = shared / f"{name}.lock", shared / f"{name}.users"
    with _locked(lock):
        up = _cli(state, "up", "--timeout", str(UP_TIMEOUT), *up_args)
        if up.returncode != 0:
            _unavailable(f"`scripts/local-cluster up {' '.join(up_args)}` failed (exit {up.returncode}):\n"
                         f"{up.stderr[-3000:]}")
        _users(users, +1)
    kubeconfig = Path(up.stdout.strip().splitlines()[-1])
    try:
        yield LocalCluster(state, kubeconfig)
    finally:
        with _locked(lock):
            if _users(users, -1) == 0:
                _cli(state, "down", "--purge", timeout=180)


@pytest.fixture(scope="session")
def local_cluster(tmp_path_factory) -> LocalCluster:
    """The control plane alone: pods are never scheduled (tests rely on it)."""
    if os.environ.get("LABS_LOCAL_CLUSTER") == "0":
        pytest.skip("LABS_LOCAL_CLUSTER=0: the real-cluster tests are turned off")
    if not sys.platform.startswith("linux"):
        _unavailable("it runs on Linux only")
    with _shared_cluster(tmp_path_factory, "local-cluster") as cluster:
        yield cluster


def cilium_binaries():
    """The built Cilium stage (`scripts/local-cluster build --cilium`), or None."""
    from labs.env.local.ciliumbuild import cached_cilium_binaries
    from labs.env.local.layout import pinned_versions

    return cached_cilium_binaries(pinned_versions())


def cilium_requested() -> bool:
    """Whether the node cluster runs the Cilium agent: LABS_LOCAL_CLUSTER_CILIUM=1 or 0 says so; unset, it does when
    the Cilium stage is built (`scripts/local-cluster build --node --cilium`, as `.ci/run` does) or when tools are
    required (LABS_REQUIRE_TOOLS=1: a missing stage then fails the Cilium tests instead of skipping them)."""
    chosen = os.environ.get("LABS_LOCAL_CLUSTER_CILIUM", "")
    if chosen in ("0", "1"):
        return chosen == "1"
    return os.environ.get("LABS_REQUIRE_TOOLS") == "1" or cilium_binaries() is not None


def _node_args() -> tuple[str, ...]:
    """`--node --cilium` when the Cilium stage is wanted (`cilium_requested`), else `--node` (the bridge CNI)."""
    if cilium_requested():
        return ("--node", "--cilium")
    return ("--node",)


@pytest.fixture(scope="session")
def node_cluster(tmp_path_factory) -> LocalCluster:
    """A second cluster with a node (`up --node`: containerd, kubelet, CoreDNS): pods run. Its CNI is the
    Cilium agent (no kube-proxy) when the Cilium stage is built (`cilium_requested`), else the bridge plugin with
    kube-proxy. Every test that uses it is in the xdist group "node-cluster", so one worker drives it.

    Only one node cluster can run on a machine at a time (the node's address, link and bridge are fixed)."""
    if os.environ.get("LABS_LOCAL_CLUSTER") == "0":
        pytest.skip("LABS_LOCAL_CLUSTER=0: the real-cluster tests are turned off")
    if not sys.platform.startswith("linux"):
        _unavailable("it runs on Linux only")
    reuse = os.environ.get("LABS_LOCAL_NODE_CLUSTER_DIR")
    if reuse:  # a node cluster already running (`up --node --dir DIR`): used as it is, never stopped here
        kubeconfig = Path(reuse) / "kubeconfig"
        if not kubeconfig.exists():
            _unavailable(f"LABS_LOCAL_NODE_CLUSTER_DIR={reuse} holds no kubeconfig")
        yield LocalCluster(Path(reuse), kubeconfig)
        return
    if os.geteuid() != 0:
        _unavailable("the node (kubelet, containerd, CNI) needs root")
    with _shared_cluster(tmp_path_factory, "node-cluster", *_node_args()) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def cilium_cluster(node_cluster):
    """(the node cluster, the Cilium binaries) when the node's CNI is the Cilium agent."""
    from labs.env.local.components import Paths
    from labs.env.local.node import node_runs_cilium

    if os.environ.get("LABS_LOCAL_CLUSTER_CILIUM") == "0":
        pytest.skip("LABS_LOCAL_CLUSTER_CILIUM=0: the node cluster runs the bridge CNI, not Cilium")
    binaries = cilium_binaries()
    if binaries is None:
        _unavailable("Cilium is not built (`scripts/local-cluster build --node --cilium`)")
    if not node_runs_cilium(Paths(node_cluster.state_dir)):
        _unavailable(f"the node cluster in {node_cluster.state_dir} does not run Cilium "
                     "(it was started without --cilium)")
    return node_cluster, binaries


@pytest.fixture
def admin_env(local_cluster, tmp_path, monkeypatch) -> LocalCluster:
    """The course's kubeconfig discovery finds the local cluster's admin kubeconfig and nothing else."""
    repo = tmp_path / "repo"
    home = tmp_path / "home"
    repo.mkdir()
    home.mkdir()
    monkeypatch.setenv("LABS_REPO", str(repo))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KUBECONFIG", str(local_cluster.kubeconfig))
    for name in ("LABS_KUBE_CONTEXT", "LABS_BACKEND", "LABS_TRAINEE"):
        monkeypatch.delenv(name, raising=False)
    return local_cluster


@pytest.fixture
def live(admin_env):
    """A LiveCluster on the local control plane (no progress bars, no Hubble: there is no agent)."""
    from labs.cluster.live.cluster import LiveCluster

    return LiveCluster(hubble=False, progress=False, timeout=10.0)


def agent_environment(cluster: LocalCluster) -> dict[str, str]:
    """What sourcing the cluster's `cilium.env` sets (PATH, CILIUM_SOCK, HUBBLE_SERVER, KUBECONFIG) when its node
    runs the Cilium agent; {} for a bridge node. The live backend then reaches the host agent by itself."""
    from labs.env.local.agentenv import agent_vars, applied, env_file
    from labs.env.local.components import Paths
    from labs.env.local.node import node_runs_cilium

    paths = Paths(cluster.state_dir)
    if not node_runs_cilium(paths):
        return {}
    binaries = cilium_binaries()
    if binaries is None:
        _unavailable("the node runs Cilium but the Cilium binaries are not in the cache")
    if not env_file(paths).exists():
        _unavailable(f"the Cilium node in {cluster.state_dir} has no {env_file(paths).name} (written by `up --cilium`)")
    return applied(agent_vars(paths, binaries.directory), {"PATH": os.environ.get("PATH", "")})


@pytest.fixture(scope="module")
def node_live(node_cluster, tmp_path_factory):
    """A LiveCluster on the node cluster, found by the course's own kubeconfig discovery; on a Cilium node with
    the cluster's `cilium.env` applied, so policy waits, facts and Hubble go to the host agent."""
    from labs.cluster.live.cluster import LiveCluster

    home = tmp_path_factory.mktemp("labs-home")
    agent = agent_environment(node_cluster)  # before HOME moves: the Cilium binaries are in ~/.cache
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUBECONFIG", str(node_cluster.kubeconfig))
        patch.setenv("HOME", str(home))
        patch.setenv("LABS_HOME", str(home / "labs"))
        for name in ("LABS_KUBE_CONTEXT", "LABS_BACKEND", "LABS_TRAINEE", "LABS_REPO", "CILIUM_SOCK", "HUBBLE_SERVER"):
            patch.delenv(name, raising=False)
        for name, value in agent.items():
            patch.setenv(name, value)
        yield LiveCluster(hubble=False, progress=False, timeout=10.0)
