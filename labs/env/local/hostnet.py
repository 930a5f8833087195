"""The host state a node changes, and how `down` gives it back: links, sysctls, iptables rules, mounts, cgroups.

Everything removed here is something the node created and can be named: the dummy interface and the
bridge by their names, CNI masquerade rules by the network name in their comment, mounts by their place
under the node's directory, network namespaces by the paths containerd recorded. Nothing is matched by
a pattern that could catch another program's state.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
from pathlib import Path

__all__ = ["run", "link_exists", "add_node_link", "delete_link", "read_sysctl", "write_sysctl", "SYSCTLS", "RESTORED",
           "mounts_under", "unmount_under", "remove_netns", "delete_cni_rules", "delete_kubelet_chains",
           "add_cgroups", "remove_cgroups"]

SYSCTLS = {"net/ipv4/ip_forward": "1", "net/bridge/bridge-nf-call-iptables": "1"}
"""Pods reach Services through kube-proxy's iptables rules only if bridged traffic passes iptables and the
host forwards; `down` puts back the values found before."""

RESTORED = ("vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
            "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes", "net/ipv4/conf/all/route_localnet")
"""Sysctls the kubelet (`protectKernelDefaults: false` lets it set its defaults, see its
pkg/kubelet/cm/container_manager_linux.go setupKernelTunables) and kube-proxy may change: saved at `up`,
put back at `down`."""

_MNT_DETACH = 2


def run(argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True)
    if check and done.returncode != 0:
        from labs.env.local.layout import LocalClusterError
        raise LocalClusterError(f"`{' '.join(argv)}` failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return done


def link_exists(name: str) -> bool:
    return Path(f"/sys/class/net/{name}").exists()


def add_node_link(name: str, address: str) -> None:
    """An interface of its own holding the node's address (/32), up: a dummy one, or where the kernel has no
    dummy driver (`ip link add ... type dummy`: "Unknown device type"), an empty bridge, which the CNI
    bridge plugin needs anyway. A local address answers whatever the link's carrier."""
    if not link_exists(name) and run(["ip", "link", "add", name, "type", "dummy"], check=False).returncode != 0:
        run(["ip", "link", "add", name, "type", "bridge"])
    if address not in run(["ip", "-o", "addr", "show", "dev", name]).stdout:
        run(["ip", "addr", "add", f"{address}/32", "dev", name])
    run(["ip", "link", "set", name, "up"])


def delete_link(name: str) -> bool:
    if not link_exists(name):
        return False
    run(["ip", "link", "delete", name], check=False)
    return True


def read_sysctl(key: str) -> str | None:
    try:
        return Path("/proc/sys", key).read_text().strip()
    except OSError:
        return None


def write_sysctl(key: str, value: str) -> None:
    Path("/proc/sys", key).write_text(value + "\n")


def mounts_under(directory: Path) -> list[str]:
    """Mount points at or below `directory`, deepest first (from /proc/self/mountinfo)."""
    base = str(directory.resolve())
    found = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].encode().decode("unicode_escape")
            if point == base or point.startswith(base + "/"):
                found.append(point)
    return sorted(set(found), key=lambda p: (-p.count("/"), p))


def _umount(point: str) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.umount2(point.encode(), _MNT_DETACH) == 0


def unmount_under(directory: Path) -> int:
    """Lazily unmount everything mounted below `directory` (rootfs overlays, shm, volumes); returns how many."""
    count = 0
    for _ in range(3):  # a mount can hide another at the same point
        points = mounts_under(directory)
        if not points:
            break
        count += sum(_umount(p) for p in points)
    return count


def remove_netns(paths: list[str]) -> int:
    """Unmount and delete network namespace files (the bind mounts containerd keeps under /var/run/netns)."""
    removed = 0
    for path in paths:
        if not path or not os.path.lexists(path):
            continue
        _umount(path)
        with contextlib.suppress(OSError):
            os.unlink(path)
            removed += 1
    return removed


def delete_cni_rules(network: str) -> int:
    """The bridge plugin's masquerade rules carry `name: "<network>" id: "<container>"` as a comment: delete
    those in nat POSTROUTING and the CNI-* chains they jump to (left behind when a pod was not torn down)."""
    listed = run(["iptables", "-w", "-t", "nat", "-S", "POSTROUTING"], check=False).stdout.splitlines()
    removed = 0
    for rule in listed:
        if f'name: \\"{network}\\"' not in rule and f'name: "{network}"' not in rule:
            continue
        parts = rule.split()
        chain = parts[parts.index("-j") + 1] if "-j" in parts else ""
        delete = subprocess.run(["sh", "-c", "iptables -w -t nat " + rule.replace("-A ", "-D ", 1)],
                                capture_output=True, text=True)
        if delete.returncode == 0:
            removed += 1
        if chain.startswith("CNI-"):
            run(["iptables", "-w", "-t", "nat", "-F", chain], check=False)
            run(["iptables", "-w", "-t", "nat", "-X", chain], check=False)
    return removed


KUBELET_CHAINS = {"filter": ("KUBE-FIREWALL", "KUBE-KUBELET-CANARY"), "nat": ("KUBE-KUBELET-CANARY",),
                  "mangle": ("KUBE-KUBELET-CANARY", "KUBE-IPTABLES-HINT")}
"""Chains the kubelet creates itself (kube-proxy's own are removed by `kube-proxy --cleanup`)."""


def delete_kubelet_chains() -> int:
    """Remove the kubelet's chains and the rules jumping to them, for IPv4 and IPv6; returns how many chains."""
    removed = 0
    for tool in ("iptables", "ip6tables"):
        for table, chains in KUBELET_CHAINS.items():
            listed = run([tool, "-w", "-t", table, "-S"], check=False).stdout.splitlines()
            for chain in chains:
                for rule in listed:
                    parts = rule.split()
                    if parts[:1] == ["-A"] and parts[1] not in chains and parts[-2:] == ["-j", chain]:
                        run([tool, "-w", "-t", table, "-D", *parts[1:]], check=False)
                if f"-N {chain}" in listed:
                    run([tool, "-w", "-t", table, "-F", chain], check=False)
                    if run([tool, "-w", "-t", table, "-X", chain], check=False).returncode == 0:
                        removed += 1
    return removed


def add_cgroups(name: str) -> None:
    """mkdir the cgroup `name` in every mounted hierarchy (a kubelet cgroupRoot must exist in each)."""
    base = Path("/sys/fs/cgroup")
    for root in [d for d in base.iterdir() if d.is_dir() and (d / "cgroup.procs").exists()]:
        (root / name).mkdir(exist_ok=True)


def remove_cgroups(name: str = "kubepods") -> int:
    """rmdir the kubelet's (now empty) `kubepods` cgroups in every hierarchy, children first."""
    removed = 0
    base = Path("/sys/fs/cgroup")
    roots = [base / name] + [d / name for d in base.iterdir() if d.is_dir()] if base.exists() else []
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, _dirs, _files in sorted(os.walk(root), key=lambda t: -t[0].count("/")):
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)
                removed += 1
    return removed
