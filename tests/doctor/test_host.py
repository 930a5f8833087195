"""Host rules on made-up machines: each check's status, message and fix as the trainee reads them."""

from __future__ import annotations

import dataclasses

import pytest

from labs.doctor.host import GiB, HostFacts, host_checks, settings_ips

INTEL = "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr vmx sse2\n"
AMD = "processor\t: 0\nflags\t\t: fpu svm sse2\n"
NESTED_OFF = "processor\t: 0\nflags\t\t: fpu sse2 hypervisor\n"
NO_VT = "processor\t: 0\nflags\t\t: fpu sse2\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd evtstrm\n"

GOOD = HostFacts(python=(3, 12, 1), system="Linux", machine="x86_64", disk_path="/home/t/ciliumlab",
                 disk_free=80 * GiB, mem_total=16 * GiB, cpuinfo=INTEL, kvm=False,
                 tools={"vagrant": "Vagrant 2.4.9", "virtualbox": "7.1.4r165100", "libvirt": None,
                        "parallels": None, "vmware": None},
                 settings_path="settings.yaml",
                 settings={"network": {"control_ip": "192.168.56.10", "dns_servers": ["8.8.8.8"]},
                           "nodes": {"workers": {"count": 1}}})


def check(facts: HostFacts, name: str):
    (found,) = [c for c in host_checks(facts) if c.name == name]
    return found.status, found.line()


def vary(**changes) -> HostFacts:
    return dataclasses.replace(GOOD, **changes)


def tools(**changes):
    return {**GOOD.tools, **changes}


CASES = [
    ("python-ok", GOOD, "python", "pass", "PASS  python             Python 3.12.1."),
    ("python-old", vary(python=(3, 9, 18)), "python", "fail",
     "FAIL  python             Python 3.9.18 is older than 3.10. Fix: Install Python 3.10 or newer (python.org or "
     "your package manager) and run scripts/start-course again."),
    ("disk-low", vary(disk_free=12 * GiB), "disk", "warn",
     "WARN  disk               12.0 GiB free at /home/t/ciliumlab. Fix: Free at least 20 GiB: the box, two VM disks "
     "and the container images need about 15 GiB."),
    ("disk-too-low", vary(disk_free=5 * GiB), "disk", "fail",
     "FAIL  disk               5.0 GiB free at /home/t/ciliumlab. Fix: Free at least 20 GiB: the box, two VM disks "
     "and the container images need about 15 GiB."),
    ("ram-tight", vary(mem_total=8 * GiB), "ram", "warn",
     "WARN  ram                8.0 GiB of RAM. The VMs take 6 GiB (control plane 4 GiB, worker 2 GiB). Fix: Close "
     "other programs, or run a single node (workers: 0 in settings.yaml), or use the simulated backend "
     "(LABS_BACKEND=sim)."),
    ("ram-unknown", vary(mem_total=None), "ram", "skip", "SKIP  ram                Total memory could not be read on "
     "this system."),
    ("intel-vtx", GOOD, "cpu-virtualization", "pass", "PASS  cpu-virtualization The CPU offers VT-x (vmx)."),
    ("amd-v", vary(cpuinfo=AMD), "cpu-virtualization", "pass", "PASS  cpu-virtualization The CPU offers AMD-V "
     "(svm)."),
    ("arm-with-kvm", vary(cpuinfo=ARM, kvm=True), "cpu-virtualization", "pass",
     "PASS  cpu-virtualization /dev/kvm is present."),
    ("nested-off", vary(cpuinfo=NESTED_OFF), "cpu-virtualization", "warn",
     "WARN  cpu-virtualization This machine is itself a VM and passes no virtualization extensions to its guests. "
     "Fix: Enable nested virtualization for this VM, or use the simulated backend (LABS_BACKEND=sim)."),
    ("vt-off", vary(cpuinfo=NO_VT), "cpu-virtualization", "fail",
     "FAIL  cpu-virtualization The CPU shows neither vmx (Intel VT-x) nor svm (AMD-V). Fix: Enable Intel VT-x or "
     "AMD-V in the firmware (BIOS/UEFI) settings, then reboot."),
    ("macos", vary(cpuinfo=None, system="Darwin"), "cpu-virtualization", "skip",
     "SKIP  cpu-virtualization Not detectable on Darwin; the VM provider reports it when it starts a VM."),
    ("vagrant-ok", GOOD, "vagrant", "pass", "PASS  vagrant            Vagrant 2.4.9."),
    ("vagrant-old-with-vbox-7.1", vary(tools=tools(vagrant="Vagrant 2.4.1")), "vagrant", "fail",
     "FAIL  vagrant            Vagrant 2.4.1 cannot drive VirtualBox 7.1.4. Fix: Install Vagrant 2.4.9 or newer from "
     "https://developer.hashicorp.com/vagrant/install."),
    ("vagrant-2.4.2-with-vbox-7.2", vary(tools=tools(vagrant="Vagrant 2.4.2", virtualbox="7.2.0r168388")), "vagrant",
     "fail", "FAIL  vagrant            Vagrant 2.4.2 cannot drive VirtualBox 7.2.0. Fix: Install Vagrant 2.4.9 or "
     "newer from https://developer.hashicorp.com/vagrant/install."),
    ("vagrant-old-with-vbox-7.0", vary(tools=tools(vagrant="Vagrant 2.3.4", virtualbox="7.0.20r163906")), "vagrant",
     "warn", "WARN  vagrant            Vagrant 2.3.4 is older than the course's 2.4.9. Fix: Install Vagrant 2.4.9 or "
     "newer from https://developer.hashicorp.com/vagrant/install."),
    ("vagrant-missing", vary(tools=tools(vagrant=None)), "vagrant", "warn",
     "WARN  vagrant            Vagrant is not installed (needed only for the course VM). Fix: Install Vagrant 2.4.9 "
     "or newer from https://developer.hashicorp.com/vagrant/install."),
    ("providers", vary(tools=tools(libvirt="9.0.0")), "vm-provider", "pass",
     "PASS  vm-provider        Found VirtualBox 7.1.4, libvirt 9.0.0."),
    ("no-provider", vary(tools=tools(virtualbox=None)), "vm-provider", "warn",
     "WARN  vm-provider        No VM provider found (VirtualBox, libvirt, Parallels or VMware). Fix: Install "
     "VirtualBox 7.1 or newer from https://www.virtualbox.org/wiki/Downloads (or use the simulated backend, "
     "LABS_BACKEND=sim)."),
    ("host-only-ok", GOOD, "host-only-range", "pass",
     "PASS  host-only-range    The node addresses in settings.yaml are inside VirtualBox's default "
     "192.168.56.0/21."),
    ("host-only-outside", vary(settings={"network": {"control_ip": "10.0.0.10", "worker_ips": ["10.0.0.11"]}}),
     "host-only-range", "fail",
     "FAIL  host-only-range    VirtualBox will refuse network.control_ip=10.0.0.10, network.worker_ips[0]=10.0.0.11: "
     "outside VirtualBox's default 192.168.56.0/21. Fix: Use addresses in 192.168.56.0/21 (e.g. 192.168.56.10) in "
     "settings.yaml."),
    ("host-only-widened", vary(settings={"network": {"control_ip": "10.0.0.10"}},
                               vbox_networks="* 10.0.0.0/8 192.168.0.0/16\n"), "host-only-range", "pass",
     "PASS  host-only-range    The node addresses in settings.yaml are inside /etc/vbox/networks.conf."),
    ("host-only-windows", vary(system="Windows", settings={"network": {"control_ip": "10.0.0.10"}}),
     "host-only-range", "skip", "SKIP  host-only-range    VirtualBox on Windows does not restrict host-only "
     "addresses."),
]


@pytest.mark.parametrize(("facts", "name", "status", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_host_rules(facts, name, status, line):
    assert check(facts, name) == (status, line)


def test_settings_ips_ignore_dns_servers_and_cidrs():
    data = {"network": {"control_ip": "192.168.56.10", "pod_cidr": "10.244.0.0/16", "dns_servers": ["8.8.8.8"]},
            "nodes": [{"name": "worker-1", "ip": "192.168.56.11"}]}
    assert settings_ips(data) == [("network.control_ip", "192.168.56.10"), ("nodes[0].ip", "192.168.56.11")]
