"""Host checks: can this machine run the course VM? Python, disk, RAM, CPU virtualization, Vagrant and its
provider (Vagrant >= 2.4.9 for VirtualBox 7.1/7.2), and VirtualBox's host-only range 192.168.56.0/21.

Facts are gathered once (`gather_host`) and judged separately (`host_checks`), so the rules are tested
with made-up machines.
"""

from __future__ import annotations

import ipaddress
import os
import platform
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from labs.doctor.report import Check
from labs.doctor.versions import MIN_VAGRANT, VIRTUALBOX_NEEDS_NEW_VAGRANT, parse_version, version_text
from labs.paths import repo_root

__all__ = ["HostFacts", "gather_host", "host_checks", "TOOLS", "HOST_ONLY_RANGE", "GiB", "settings_ips"]

GiB = 1024 ** 3
HOST_ONLY_RANGE = ipaddress.ip_network("192.168.56.0/21")
TOOLS = {"vagrant": ("vagrant", "--version"), "virtualbox": ("VBoxManage", "--version"),
         "libvirt": ("virsh", "--version"), "parallels": ("prlctl", "--version"), "vmware": ("vmrun", "-v")}
VAGRANT_URL = "https://developer.hashicorp.com/vagrant/install"


@dataclass
class HostFacts:
    python: tuple[int, int, int]
    system: str
    machine: str
    disk_path: str
    disk_free: int | None
    mem_total: int | None
    cpuinfo: str | None
    kvm: bool
    tools: dict[str, str | None] = field(default_factory=dict)
    """Tool name -> first line of its version output, None when not installed."""
    settings_path: str = "settings.yaml"
    settings: Any = None
    vbox_networks: str | None = None


def _tool_version(binary: str, flag: str, timeout: float) -> str | None:
    if shutil.which(binary) is None:
        return None
    import sh

    try:
        out = sh.Command(binary)(flag, _timeout=timeout, _err_to_out=True, _ok_code=list(range(256)))
    except (sh.TimeoutException, sh.CommandNotFound, OSError):
        return f"{binary} did not answer within {timeout:g} s"
    lines = [ln for ln in str(out).splitlines() if ln.strip()]
    return lines[0].strip() if lines else ""


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def gather_host(*, timeout: float = 10.0) -> HostFacts:
    root = repo_root()
    try:
        free = shutil.disk_usage(root).free
    except OSError:
        free = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        mem = None
    settings_file = root / "settings.yaml"
    settings_text = _read(settings_file)
    try:
        settings = yaml.safe_load(settings_text) if settings_text else None
    except yaml.YAMLError:
        settings = {"__invalid__": True}
    return HostFacts(
        python=tuple(sys.version_info[:3]),  # type: ignore[arg-type]
        system=platform.system(), machine=platform.machine(), disk_path=str(root), disk_free=free, mem_total=mem,
        cpuinfo=_read(Path("/proc/cpuinfo")), kvm=Path("/dev/kvm").exists(),
        tools={name: _tool_version(b, f, timeout) for name, (b, f) in TOOLS.items()},
        settings_path=str(settings_file), settings=settings, vbox_networks=_read(Path("/etc/vbox/networks.conf")))


def _gib(value: int) -> str:
    return f"{value / GiB:.1f} GiB"


def _python(f: HostFacts) -> Check:
    shown = version_text(f.python)
    if f.python >= (3, 10):
        return Check("python", "pass", f"Python {shown}.")
    return Check("python", "fail", f"Python {shown} is older than 3.10.",
                 "Install Python 3.10 or newer (python.org or your package manager) and run "
                 "scripts/start-course again.")


def _disk(f: HostFacts) -> Check:
    if f.disk_free is None:
        return Check("disk", "skip", f"Free space at {f.disk_path} could not be read.")
    found = f"{_gib(f.disk_free)} free at {f.disk_path}."
    if f.disk_free >= 20 * GiB:
        return Check("disk", "pass", found)
    fix = "Free at least 20 GiB: the box, two VM disks and the container images need about 15 GiB."
    return Check("disk", "fail" if f.disk_free < 10 * GiB else "warn", found, fix)


def _ram(f: HostFacts) -> Check:
    if f.mem_total is None:
        return Check("ram", "skip", "Total memory could not be read on this system.")
    found = f"{_gib(f.mem_total)} of RAM."
    if f.mem_total >= 12 * GiB:
        return Check("ram", "pass", found)
    fix = ("Close other programs, or run a single node (workers: 0 in settings.yaml), or use the simulated "
           "backend (LABS_BACKEND=sim).")
    return Check("ram", "fail" if f.mem_total < 6 * GiB else "warn",
                 found + " The VMs take 6 GiB (control plane 4 GiB, worker 2 GiB).", fix)


def _cpu(f: HostFacts) -> Check:
    if f.cpuinfo is None:
        return Check("cpu-virtualization", "skip", f"Not detectable on {f.system or 'this system'}; the VM "
                     "provider reports it when it starts a VM.")
    flags: set[str] = set()
    for line in f.cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    if {"vmx", "svm"} & flags:
        kind = "VT-x (vmx)" if "vmx" in flags else "AMD-V (svm)"
        return Check("cpu-virtualization", "pass", f"The CPU offers {kind}.")
    if f.kvm:
        return Check("cpu-virtualization", "pass", "/dev/kvm is present.")
    if "hypervisor" in flags:
        return Check("cpu-virtualization", "warn", "This machine is itself a VM and passes no virtualization "
                     "extensions to its guests.", "Enable nested virtualization for this VM, or use the "
                     "simulated backend (LABS_BACKEND=sim).")
    return Check("cpu-virtualization", "fail", "The CPU shows neither vmx (Intel VT-x) nor svm (AMD-V).",
                 "Enable Intel VT-x or AMD-V in the firmware (BIOS/UEFI) settings, then reboot.")


def _vagrant(f: HostFacts) -> Check:
    raw = f.tools.get("vagrant")
    if raw is None:
        return Check("vagrant", "warn", "Vagrant is not installed (needed only for the course VM).",
                     f"Install Vagrant {version_text(MIN_VAGRANT)} or newer from {VAGRANT_URL}.")
    have = parse_version(raw)
    if have is None:
        return Check("vagrant", "warn", f"`vagrant --version` said {raw!r}.", "Reinstall Vagrant from "
                     f"{VAGRANT_URL}.")
    vbox = parse_version(f.tools.get("virtualbox"))
    if have >= MIN_VAGRANT:
        return Check("vagrant", "pass", f"Vagrant {version_text(have)}.")
    fix = f"Install Vagrant {version_text(MIN_VAGRANT)} or newer from {VAGRANT_URL}."
    if vbox and vbox[:2] in VIRTUALBOX_NEEDS_NEW_VAGRANT:
        return Check("vagrant", "fail", f"Vagrant {version_text(have)} cannot drive VirtualBox "
                     f"{version_text(vbox)}.", fix)
    return Check("vagrant", "warn", f"Vagrant {version_text(have)} is older than the course's "
                 f"{version_text(MIN_VAGRANT)}.", fix)


def _provider(f: HostFacts) -> Check:
    names = {"virtualbox": "VirtualBox", "libvirt": "libvirt", "parallels": "Parallels", "vmware": "VMware"}
    found = [f"{label} {version_text(v) if (v := parse_version(f.tools.get(key))) else '(version unknown)'}"
             for key, label in names.items() if f.tools.get(key) is not None]
    if found:
        return Check("vm-provider", "pass", "Found " + ", ".join(found) + ".")
    return Check("vm-provider", "warn", "No VM provider found (VirtualBox, libvirt, Parallels or VMware).",
                 "Install VirtualBox 7.1 or newer from https://www.virtualbox.org/wiki/Downloads (or use the "
                 "simulated backend, LABS_BACKEND=sim).")


def settings_ips(data: Any, path: str = "") -> list[tuple[str, str]]:
    """(field path, address) for every IPv4 address under a key containing "ip" in settings.yaml."""
    found: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            sub = f"{path}.{key}" if path else str(key)
            if "ip" in str(key).lower() and not isinstance(value, (dict, list)):
                try:
                    ipaddress.IPv4Address(str(value))
                    found.append((sub, str(value)))
                except ValueError:
                    pass
            else:
                found += settings_ips(value, sub)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, str) and "ip" in path.lower().rsplit(".", 1)[-1]:
                try:
                    ipaddress.IPv4Address(item)
                    found.append((f"{path}[{i}]", item))
                except ValueError:
                    pass
            else:
                found += settings_ips(item, f"{path}[{i}]")
    return found


def _allowed_ranges(networks_conf: str | None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if networks_conf is None:
        return [HOST_ONLY_RANGE]
    ranges = []
    for line in networks_conf.splitlines():
        parts = line.split()
        if parts and parts[0] == "*":
            for part in parts[1:]:
                try:
                    ranges.append(ipaddress.ip_network(part, strict=False))
                except ValueError:
                    continue
    return ranges


def _host_only(f: HostFacts) -> Check:
    if f.tools.get("virtualbox") is None:
        return Check("host-only-range", "skip", "VirtualBox is not installed; its host-only range does not apply.")
    if f.system == "Windows":
        return Check("host-only-range", "skip", "VirtualBox on Windows does not restrict host-only addresses.")
    if f.settings is None:
        return Check("host-only-range", "skip", f"No {f.settings_path} to check.")
    if isinstance(f.settings, dict) and f.settings.get("__invalid__"):
        return Check("host-only-range", "fail", f"{f.settings_path} is not valid YAML.",
                     "Fix the YAML (see `git diff settings.yaml`).")
    ranges = _allowed_ranges(f.vbox_networks)
    where = "/etc/vbox/networks.conf" if f.vbox_networks is not None else "VirtualBox's default 192.168.56.0/21"
    outside = [(p, ip) for p, ip in settings_ips(f.settings)
               if not any(ipaddress.ip_address(ip) in net for net in ranges)]
    if not outside:
        return Check("host-only-range", "pass", f"The node addresses in {f.settings_path} are inside {where}.")
    listed = ", ".join(f"{p}={ip}" for p, ip in outside)
    return Check("host-only-range", "fail", f"VirtualBox will refuse {listed}: outside {where}.",
                 "Use addresses in 192.168.56.0/21 (e.g. 192.168.56.10) in settings.yaml.")


def host_checks(facts: HostFacts) -> list[Check]:
    return [_python(facts), _disk(facts), _ram(facts), _cpu(facts), _vagrant(facts), _provider(facts),
            _host_only(facts)]
