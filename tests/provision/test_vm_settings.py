"""settings.yaml checks in vagrant/settings.rb: what `vagrant validate` does not catch (addresses,
CIDR overlaps, memory, unknown keys), each with the message a trainee sees."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from vm_test_support import REPO, require_tool

DRIVER = Path(__file__).parent / "fixtures" / "load_settings.rb"
DEFAULTS: dict[str, Any] = yaml.safe_load((REPO / "settings.yaml").read_text())


def load(tmp_path: Path, settings: dict[str, Any] | str, host_cpu: str = "x86_64") -> subprocess.CompletedProcess[str]:
    ruby = require_tool("ruby")
    path = tmp_path / "settings.yaml"
    path.write_text(settings if isinstance(settings, str) else yaml.safe_dump(settings))
    return subprocess.run([ruby, str(DRIVER), str(path), host_cpu], capture_output=True, text=True, timeout=30)


def changed(dotted: str, value: Any) -> dict[str, Any]:
    settings = copy.deepcopy(DEFAULTS)
    *parents, last = dotted.split(".")
    target = settings
    for key in parents:
        target = target[key]
    target[last] = value
    return settings


def without(dotted: str) -> dict[str, Any]:
    settings = copy.deepcopy(DEFAULTS)
    *parents, last = dotted.split(".")
    target = settings
    for key in parents:
        target = target[key]
    del target[last]
    return settings


BAD = [
    ("unknown-top-level-key", {**DEFAULTS, "nodez": 1},
     "nodez: unknown key; the keys allowed at top level are nodes, network, proxy, providers."),
    ("typo-nested-key", changed("nodes.wrokers", 2),
     "nodes.wrokers: unknown key; the keys allowed under 'nodes' are workers, control_plane, worker."),
    ("missing-key", without("network.service_cidr"),
     "network.service_cidr: missing; every key of settings.yaml is required."),
    ("workers-as-string", changed("nodes.workers", "1"), 'nodes.workers: must be a whole number, not "1".'),
    ("too-many-workers", changed("nodes.workers", 10), "nodes.workers: 10 is outside 0..9 (0 means a single node)."),
    ("control-plane-memory", changed("nodes.control_plane.memory_mib", 2048),
     "nodes.control_plane.memory_mib: 2048 MiB is too little memory; at least 3072 MiB is needed for Kubernetes "
     "and Cilium."),
    ("worker-memory", changed("nodes.worker.memory_mib", 1024),
     "nodes.worker.memory_mib: 1024 MiB is too little memory; at least 1536 MiB is needed for Kubernetes and Cilium."),
    ("control-plane-cpus", changed("nodes.control_plane.cpus", 1),
     "nodes.control_plane.cpus: 1 is too few; at least 2 are needed."),
    ("address-outside-virtualbox-range", changed("network.control_plane_ip", "10.0.0.10"),
     "network.control_plane_ip: control-plane would get 10.0.0.10, outside 192.168.56.0/21, the only host-only "
     "range VirtualBox allows on Linux and macOS hosts; use 192.168.56.10 or remove virtualbox from providers."),
    ("worker-address-outside-virtualbox-range", changed("network.control_plane_ip", "192.168.63.254"),
     "network.control_plane_ip: 192.168.63.254 leaves no room for 1 worker address(es) after it in the same /24; "
     "use e.g. 192.168.56.10."),
    ("not-an-address", changed("network.control_plane_ip", "192.168.56.311"),
     'network.control_plane_ip: "192.168.56.311" is not an IPv4 address such as 192.168.56.10.'),
    ("pod-and-service-overlap", changed("network.pod_cidr", "10.96.0.0/16"),
     "network.service_cidr: 10.96.0.0/12 overlaps network.pod_cidr 10.96.0.0/16; pick ranges that do not overlap."),
    ("pod-cidr-overlaps-virtualbox-nat", changed("network.pod_cidr", "10.0.0.0/16"),
     "network.pod_cidr: 10.0.0.0/16 overlaps 10.0.2.0/24, the NAT network of every VirtualBox VM; use e.g. "
     "10.244.0.0/16."),
    ("pod-cidr-overlaps-nodes", changed("network.pod_cidr", "192.168.56.0/22"),
     "network.pod_cidr: 192.168.56.0/22 overlaps the node network 192.168.56.0/24; pick a range that does not."),
    ("cidr-with-host-bits", changed("network.pod_cidr", "10.244.0.1/16"),
     'network.pod_cidr: "10.244.0.1/16" has host bits set; the network address is 10.244.0.0/16.'),
    ("cidr-without-prefix", changed("network.service_cidr", "10.96.0.0"),
     'network.service_cidr: "10.96.0.0" is not an IPv4 CIDR such as 10.244.0.0/16.'),
    ("proxy-not-a-url", changed("proxy.http", "proxy:3128"),
     'proxy.http: "proxy:3128" is not a proxy URL such as http://proxy.example.com:3128.'),
    ("no-proxy-with-spaces", changed("proxy.no_proxy", "a, b"),
     'proxy.no_proxy: "a, b" must be comma-separated without spaces.'),
    ("unknown-provider", changed("providers", ["hyperv"]),
     'providers: "hyperv" is not supported; use virtualbox, vmware_desktop, parallels, libvirt.'),
    ("no-provider", changed("providers", []),
     "providers: must name at least one of virtualbox, vmware_desktop, parallels, libvirt."),
    ("forwarded-port-not-a-port", changed("network.forwarded_ports", [{"guest": 80, "host": 70000}]),
     "network.forwarded_ports[0].host: 70000 is not a port number (1-65535)."),
    ("forwarded-port-extra-key", changed("network.forwarded_ports", [{"guest": 80, "host": 8080, "ip": "0.0.0.0"}]),
     'network.forwarded_ports[0]: must be a mapping with exactly the keys guest and host, not '
     '{"guest"=>80, "host"=>8080, "ip"=>"0.0.0.0"}.'),
]


@pytest.mark.parametrize(("settings", "message"), [(s, m) for _, s, m in BAD], ids=[i for i, _, _ in BAD])
def test_bad_settings_stop_with_key_and_reason(tmp_path: Path, settings: dict[str, Any], message: str) -> None:
    result = load(tmp_path, settings)
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path / 'settings.yaml'}: {message}"


def test_libvirt_alone_is_refused_on_arm64_hosts(tmp_path: Path) -> None:
    result = load(tmp_path, changed("providers", ["libvirt"]), host_cpu="arm64")
    assert result.stderr.strip().endswith(
        "providers: libvirt has no bento/ubuntu-24.04 box for arm64 hosts; add virtualbox, vmware_desktop or parallels."
    )


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    result = load(tmp_path, "nodes:\n  workers: [1\n")
    assert result.returncode == 1
    assert "settings.yaml: not valid YAML (line 2, column 12): did not find expected ',' or ']'." in result.stderr


def test_default_settings_give_one_control_plane_and_one_worker(tmp_path: Path) -> None:
    result = load(tmp_path, DEFAULTS)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(n["name"], n["hostname"], n["ip"], n["cpus"], n["memory_mib"]) for n in data["nodes"]] == [
        ("control-plane", "ciliumlab-cp", "192.168.56.10", 2, 4096),
        ("worker-1", "ciliumlab-worker-1", "192.168.56.11", 2, 2048),
    ]
    assert data["single_node"] is False
    assert data["providers"] == ["virtualbox", "vmware_desktop", "parallels", "libvirt"]


@pytest.mark.parametrize(
    ("host_cpu", "providers"),
    [("x86_64", ["virtualbox", "vmware_desktop", "parallels", "libvirt"]),
     ("arm64", ["virtualbox", "vmware_desktop", "parallels"])],
    ids=["amd64-host", "apple-silicon-host"],
)
def test_libvirt_is_offered_on_amd64_hosts_only(tmp_path: Path, host_cpu: str, providers: list[str]) -> None:
    assert json.loads(load(tmp_path, DEFAULTS, host_cpu).stdout)["providers"] == providers


def test_zero_workers_is_the_single_node_mode(tmp_path: Path) -> None:
    data = json.loads(load(tmp_path, changed("nodes.workers", 0)).stdout)
    assert data["single_node"] is True
    assert [n["name"] for n in data["nodes"]] == ["control-plane"]


def test_other_addresses_are_allowed_without_virtualbox(tmp_path: Path) -> None:
    settings = changed("network.control_plane_ip", "10.10.0.10")
    settings["providers"] = ["libvirt"]
    data = json.loads(load(tmp_path, settings).stdout)
    assert [n["ip"] for n in data["nodes"]] == ["10.10.0.10", "10.10.0.11"]


def test_no_proxy_gets_the_cluster_ranges_and_nodes(tmp_path: Path) -> None:
    settings = changed("proxy.http", "http://proxy.example.com:3128")
    settings["proxy"]["no_proxy"] = "intranet.example.com"
    proxy = json.loads(load(tmp_path, settings).stdout)["proxy"]
    assert proxy == {
        "http": "http://proxy.example.com:3128",
        "https": "",
        "no_proxy": "intranet.example.com,localhost,127.0.0.1,.svc,.cluster.local,10.244.0.0/16,10.96.0.0/12,"
        "192.168.56.10,192.168.56.11,ciliumlab-cp,ciliumlab-worker-1",
    }
