"""What the Cilium agent needs on the host (bpffs, a cgroup2 mount) and how `down` removes what it left there.

The agent keeps state outside its directories by design (it survives restarts): BPF maps pinned in bpffs,
socket-LB programs attached to the cgroup2 root, the cilium_host/cilium_net/cilium_vxlan links and the
routes through them, iptables chains named CILIUM_*, policy-routing rules to its proxy tables, and a
runtime directory (/var/run/cilium) whose monitor socket and pid file have fixed paths
(pkg/defaults/defaults.go MonitorSockPath1_2, PidFilePath). Everything removed here is named by Cilium's
own names or was recorded at `up` as created by us; nothing else on the host is touched. Cilium's
`cilium-dbg post-uninstall-cleanup` is not used: it works on the default paths (/etc/cni/net.d,
/run/cilium/cgroupv2, /var/lib/cilium) rather than this cluster's.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from pathlib import Path

from labs.env.local.hostnet import link_exists, run

__all__ = ["BPFFS", "RUNTIME_DIR", "CILIUM_LINKS", "PROXY_ROUTE_TABLES", "GLOBAL_SYSCTLS", "mounted_fs",
           "mount_bpffs", "cgroup2_root", "detach_cgroup_programs", "delete_iptables_chains",
           "delete_proxy_rules", "delete_links", "remove_bpf_pins", "unmount"]

BPFFS = Path("/sys/fs/bpf")
RUNTIME_DIR = Path("/var/run/cilium")
CILIUM_LINKS = ("cilium_host", "cilium_net", "cilium_vxlan", "cilium_geneve", "lxc_health")
"""Links the agent creates by these fixed names (pkg/defaults, pkg/datapath/linux); pods' lxc* veths go
with their network namespaces."""
PROXY_ROUTE_TABLES = ("2004", "2005")
"""Cilium's routing tables to and from its proxies (pkg/datapath/linux/linux_defaults: RouteTableToProxy,
RouteTableFromProxy), used by the DNS proxy's transparent redirection."""
GLOBAL_SYSCTLS = ("net/core/bpf_jit_enable", "net/ipv4/conf/all/rp_filter", "net/ipv4/conf/default/rp_filter",
                  "net/ipv4/fib_multipath_use_neigh", "kernel/unprivileged_bpf_disabled", "kernel/timer_migration",
                  "net/ipv4/ip_local_reserved_ports", "net/ipv4/conf/all/forwarding", "net/ipv4/ip_forward",
                  "net/core/default_qdisc", "net/ipv4/ip_early_demux", "net/ipv4/tcp_early_demux",
                  "net/ipv4/udp_early_demux")
"""Host-wide sysctls the agent may set at start (pkg/datapath/linux/sysctl callers): saved at `up`,
put back at `down`. Per-link ones vanish with the links."""


def mounted_fs(path: Path) -> str | None:
    """The file system type mounted exactly at `path`, or None."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            if left.split()[4] == str(path):
                return right.split()[0]
    return None


def mount_bpffs() -> bool:
    """Mount bpffs at /sys/fs/bpf if nothing is mounted there; True when this call mounted it."""
    if mounted_fs(BPFFS) == "bpf":
        return False
    run(["mount", "-t", "bpf", "bpf", str(BPFFS)])
    return True


def cgroup2_root(fallback: Path) -> tuple[Path, bool]:
    """A cgroup2 mount for the agent's socket-LB programs: the host's (unified hierarchy, or a cgroup2
    /sys/fs/cgroup), else one mounted at `fallback`. Returns (path, mounted by this call)."""
    for candidate in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
        if mounted_fs(candidate) == "cgroup2":
            return candidate, False
    if mounted_fs(fallback) != "cgroup2":
        fallback.mkdir(parents=True, exist_ok=True)
        run(["mount", "-t", "cgroup2", "none", str(fallback)])
        return fallback, True
    return fallback, False


def detach_cgroup_programs(root: Path) -> int:
    """Detach the agent's socket-LB programs (named cil_sock*) from the cgroup2 root, with bpftool."""
    if not shutil.which("bpftool") or not root.exists():
        return 0
    listed = run(["bpftool", "-j", "cgroup", "show", str(root)], check=False)
    try:
        programs = json.loads(listed.stdout or "[]")
    except ValueError:
        return 0
    detached = 0
    for prog in programs:
        if str(prog.get("name", "")).startswith("cil_"):
            done = run(["bpftool", "cgroup", "detach", str(root), str(prog["attach_type"]), "id", str(prog["id"])],
                       check=False)
            detached += done.returncode == 0
    return detached


def delete_iptables_chains() -> int:
    """Remove the rules jumping to CILIUM_* chains from the built-in chains, then those chains (IPv4, IPv6)."""
    removed = 0
    for tool in ("iptables", "ip6tables"):
        if not shutil.which(tool):
            continue
        for table in ("filter", "nat", "mangle", "raw"):
            listed = run([tool, "-w", "-t", table, "-S"], check=False).stdout.splitlines()
            chains = [line.split()[1] for line in listed if line.startswith("-N CILIUM_")]
            for rule in listed:
                parts = rule.split()
                if parts[:1] == ["-A"] and not parts[1].startswith("CILIUM_") and "-j" in parts \
                        and parts[parts.index("-j") + 1].startswith("CILIUM_"):
                    subprocess.run(["sh", "-c", f"{tool} -w -t {table} " + rule.replace("-A ", "-D ", 1)],
                                   capture_output=True, text=True)
            for chain in chains:
                run([tool, "-w", "-t", table, "-F", chain], check=False)
            for chain in chains:
                removed += run([tool, "-w", "-t", table, "-X", chain], check=False).returncode == 0
    return removed


def delete_proxy_rules() -> int:
    """Policy-routing rules to Cilium's proxy tables, and those tables' routes."""
    removed = 0
    for table in PROXY_ROUTE_TABLES:
        for _ in range(10):  # one rule per call
            if run(["ip", "-4", "rule", "del", "lookup", table], check=False).returncode != 0:
                break
            removed += 1
        run(["ip", "-4", "route", "flush", "table", table], check=False)
    return removed


def delete_links() -> list[str]:
    deleted = []
    for name in CILIUM_LINKS:
        if link_exists(name):
            run(["ip", "link", "delete", name], check=False)
            deleted.append(name)
    return deleted


def remove_bpf_pins() -> int:
    """Cilium's pins in a bpffs this cluster did not mount: tc/globals/cilium_* and the cilium/ tree."""
    removed = 0
    globals_dir = BPFFS / "tc" / "globals"
    if globals_dir.is_dir():
        for pin in globals_dir.glob("cilium_*"):
            with contextlib.suppress(OSError):
                pin.unlink()
                removed += 1
    tree = BPFFS / "cilium"
    if tree.exists():
        for path in sorted(tree.rglob("*"), key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                path.rmdir() if path.is_dir() else path.unlink()
                removed += 1
        with contextlib.suppress(OSError):
            tree.rmdir()
    return removed


def unmount(path: Path) -> bool:
    return run(["umount", str(path)], check=False).returncode == 0
