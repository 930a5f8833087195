"""The Cilium node's files and command line, checked without starting anything (runs everywhere)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from labs.env.local.ciliumagent import CiliumPaths, agent_args, cni_conflist, cni_wrapper, install_cni
from labs.env.local.ciliumbuild import CILIUM_PROGRAMS, STAMP, CiliumBinaries, cached_cilium_binaries
from labs.env.local.components import Paths, Ports, controller_manager_args
from labs.env.local.layout import Versions
from labs.env.local.nodeconfig import NODE_LINK, POD_SUBNET, NodePaths, containerd_config


def _binaries(tmp_path: Path) -> CiliumBinaries:
    return CiliumBinaries(tmp_path / "bin", "1.19.5", tmp_path / "src" / "cilium")


def _args(tmp_path: Path) -> tuple[list[str], CiliumPaths]:
    paths = CiliumPaths(Paths(tmp_path / "state"))
    argv = agent_args(_binaries(tmp_path), paths, tmp_path / "state" / "kubeconfig", device=NODE_LINK,
                      cgroup_root=Path("/sys/fs/cgroup/unified"), health_port=12345)
    return argv, paths


def test_agent_attaches_to_the_node_link_only_and_never_starts_envoy(tmp_path):
    argv, _paths = _args(tmp_path)
    assert f"--devices={NODE_LINK}" in argv and f"--direct-routing-device={NODE_LINK}" in argv
    assert not any("eth" in arg for arg in argv), argv
    # The DNS proxy needs the L7 proxy on; Envoy is "external" so the agent never execs one (none is built).
    for flag in ("--enable-l7-proxy=true", "--external-envoy-proxy=true", "--kube-proxy-replacement=true",
                 "--ipam=kubernetes", "--identity-allocation-mode=crd", "--enable-hubble=true"):
        assert flag in argv, flag


def test_agent_state_and_sockets_live_under_the_cluster_directory(tmp_path):
    argv, paths = _args(tmp_path)
    state = str(tmp_path / "state")
    values = dict(arg.split("=", 1) for arg in argv[1:])
    for flag in ("--state-dir", "--lib-dir", "--socket-path", "--hubble-socket-path", "--cni-log-file",
                 "--k8s-kubeconfig-path"):
        assert values[flag].startswith(state + "/"), (flag, values[flag])
    assert values["--socket-path"] == str(paths.socket)


def test_cni_plugin_reaches_this_clusters_agent(tmp_path):
    binaries, paths = _binaries(tmp_path), CiliumPaths(Paths(tmp_path / "state"))
    system = tmp_path / "system-cni"
    system.mkdir()
    (system / "loopback").write_text("#!/bin/sh\n")
    install_cni(binaries, paths, str(system))
    wrapper = paths.cni_bin_dir / "cilium-cni"
    assert wrapper.read_text() == cni_wrapper(binaries, paths)
    assert f"CILIUM_SOCK='{paths.socket}' exec '{binaries.path('cilium-cni')}'" in wrapper.read_text()
    assert wrapper.stat().st_mode & 0o111
    assert (paths.cni_bin_dir / "loopback").resolve() == system / "loopback"
    conf = json.loads(cni_conflist(paths))
    assert [p["type"] for p in conf["plugins"]] == ["cilium-cni"]
    assert conf["plugins"][0]["log-file"] == str(paths.cni_log)


def test_containerd_uses_the_cilium_cni_directory_when_given(tmp_path):
    npaths = NodePaths(Paths(tmp_path), tmp_path / "images")
    text = containerd_config(npaths, "registry.k8s.io/pause:3.10.1", "/x/cni-bin")
    assert 'bin_dir = "/x/cni-bin"' in text
    assert 'bin_dir = "/x/cni-bin"' not in containerd_config(npaths, "registry.k8s.io/pause:3.10.1")


def test_controller_manager_allocates_the_node_subnet_kubernetes_ipam_reads(tmp_path):
    argv = controller_manager_args(Path("/bin/kcm"), Paths(tmp_path), Ports(1, 2, 3, 4, 5))
    values = dict(arg.split("=", 1) for arg in argv[1:] if "=" in arg)
    assert values["--allocate-node-cidrs"] == "true"
    assert values["--node-cidr-mask-size"] == "24"
    assert ipaddress.ip_network(POD_SUBNET).subnet_of(ipaddress.ip_network(values["--cluster-cidr"]))


def test_cached_binaries_need_every_program_and_the_same_version(tmp_path):
    versions = Versions(kubernetes="1.35.8", cilium="1.19.5")
    base = tmp_path / "cilium-1.19.5"
    (base / "src" / "cilium" / "bpf").mkdir(parents=True)
    (base / "bin").mkdir()
    for name in CILIUM_PROGRAMS:
        (base / "bin" / name).write_text("")
    assert cached_cilium_binaries(versions, tmp_path) is None  # no stamp yet
    (base / "bin" / STAMP).write_text(json.dumps({"cilium": "1.19.4"}))
    assert cached_cilium_binaries(versions, tmp_path) is None  # built for another version
    (base / "bin" / STAMP).write_text(json.dumps({"cilium": "1.19.5"}))
    found = cached_cilium_binaries(versions, tmp_path)
    assert found is not None and found.bpf_dir == base / "src" / "cilium" / "bpf"
    (base / "bin" / "hubble").unlink()
    assert cached_cilium_binaries(versions, tmp_path) is None
