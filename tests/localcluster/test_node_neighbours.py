"""A Cilium node runs alone: no other slot's node beside it, and no node beside another directory's agent.

Measured (docs/live.md): with a Cilium node in slot 1, the bridge node of slot 0 lost its Services (ClusterIP
curls and lookups through 10.96.0.10 timed out): the agent's socket-LB on the cgroup2 root translates every
process's connect(), and the slots share the Service range. The checks read /proc; here a fake one.
"""

from __future__ import annotations

from pathlib import Path

from labs.env.local.components import Paths
from labs.env.local.node import other_cilium_agents, other_node_kubelets


def fake_proc(root: Path, commands: dict[int, list[str]]) -> Path:
    for pid, argv in commands.items():
        (root / str(pid)).mkdir(parents=True)
        (root / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (root / "self").mkdir()
    return root


def test_a_node_in_another_slot_counts_only_for_a_cilium_node(tmp_path):
    from labs.env.local.nodeconfig import NODE_IP

    other_slot_ip = NODE_IP.rsplit(".", 1)[0] + ".9"
    proc = fake_proc(tmp_path / "proc", {
        10: ["/cache/node-bin/kubelet", "--config=/tmp/a/node/kubelet.yaml", f"--node-ip={other_slot_ip}"],
        11: ["/usr/bin/sleep", "100"]})
    mine = Paths(tmp_path / "mine")
    assert other_node_kubelets(mine, proc=proc) == []
    assert other_node_kubelets(mine, any_slot=True, proc=proc) == ["/tmp/a/node/kubelet.yaml"]


def test_another_directory_s_agent_is_found_and_ours_is_not(tmp_path):
    mine = Paths(tmp_path / "mine")
    proc = fake_proc(tmp_path / "proc", {
        20: ["/cache/bin/cilium-agent", "--k8s-kubeconfig-path=/tmp/other/kubeconfig", "--ipam=kubernetes"],
        21: ["/cache/bin/cilium-agent", f"--k8s-kubeconfig-path={mine.kubeconfig}"]})
    assert other_cilium_agents(mine, proc=proc) == ["/tmp/other/kubeconfig"]
