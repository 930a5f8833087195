"""The lab's "outside" network (scripts/provision/outside.sh): destinations labs 06 and 08 reach as if they were
on the internet, served by the control plane and named by CoreDNS, and the same names and addresses in the
simulator's and the live backend's view of the labs."""

from __future__ import annotations

import ipaddress
import re
import subprocess

import pytest
import yaml
from stub_sandbox import FIXTURES, Sandbox
from vm_test_support import REPO

SCRIPT = REPO / "scripts" / "provision" / "outside.sh"
HOSTS = REPO / "scripts" / "provision" / "outside-hosts"
OUTSIDE = ipaddress.ip_network("198.51.100.0/24")
LABS = ("06-dns-fqdn", "08-capstone")


def _hosts() -> dict[str, str]:
    names = {}
    for line in HOSTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            address, *rest = line.split()
            names.update({name: address for name in rest})
    return names


def _source(sandbox: Sandbox, code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return sandbox.bash(f'. "{SCRIPT}"\n{code}', CILIUMLAB_NODE_ROLE="control-plane", **extra)


def test_corefile_gets_a_hosts_block_before_forward_and_rendering_is_idempotent(sandbox: Sandbox) -> None:
    corefile = (FIXTURES / "coredns-Corefile").read_text()
    once = _source(sandbox, f"render_corefile <<'X'\n{corefile}X")
    assert once.returncode == 0, once.stderr
    lines = once.stdout.splitlines()
    hosts_at, forward_at = lines.index("    hosts {"), next(i for i, ln in enumerate(lines) if "forward ." in ln)
    assert hosts_at < forward_at
    block = lines[hosts_at + 1:lines.index("    }", hosts_at)]
    assert block[-2:] == ["        ttl 60", "        fallthrough"]
    assert {ln.split()[1]: ln.split()[0] for ln in block[:-2]} == _hosts()
    twice = _source(sandbox, f"render_corefile <<'X'\n{once.stdout}X")
    assert twice.stdout == once.stdout
    begin = next(i for i, ln in enumerate(lines) if "ciliumlab outside names: begin" in ln)
    end = next(i for i, ln in enumerate(lines) if "ciliumlab outside names: end" in ln)
    assert lines[:begin] + lines[end + 1:] == corefile.splitlines()  # nothing else touched


def test_a_corefile_without_forward_is_refused(sandbox: Sandbox) -> None:
    result = _source(sandbox, "render_corefile <<'X'\n.:53 {\n    errors\n}\nX")
    assert result.returncode == 3


def test_an_address_outside_the_outside_range_stops_provisioning(sandbox: Sandbox, tmp_path) -> None:
    bad = tmp_path / "hosts"
    bad.write_text("10.244.0.5 api.stripe.com\n")
    result = sandbox.run("outside.sh", CILIUMLAB_OUTSIDE_HOSTS=str(bad))
    assert result.returncode == 1
    assert "10.244.0.5 is not in 198.51.100.0/24" in result.stderr


def test_control_plane_sets_up_namespace_servers_and_coredns_then_a_second_run_changes_nothing(
        sandbox: Sandbox) -> None:
    first = sandbox.run("outside.sh")
    assert first.returncode == 0, first.stderr
    root = sandbox.root
    setup = (root / "usr/local/sbin/ciliumlab-outside-net").read_text()
    for address in sorted(set(_hosts().values())):
        assert f"ip -n outside addr replace {address}/24 dev eth0" in setup
    assert "ip addr replace 198.51.100.1/24 dev ciliumlab-out" in setup
    assert "ip -n outside route replace default via 198.51.100.1" in setup
    http = (root / "etc/systemd/system/ciliumlab-outside-http@.service").read_text()
    assert "ip netns exec outside /usr/bin/python3 -m http.server %i --bind 0.0.0.0" in http
    calls = sandbox.calls()
    assert "systemctl restart ciliumlab-outside-http@80.service" in calls
    assert "systemctl restart ciliumlab-outside-http@443.service" in calls
    assert "kubectl -n kube-system rollout restart deployment/coredns" in calls
    applied = (sandbox.state / "Corefile").read_text()
    assert "198.51.100.66 exfil.example.net" in applied and "fallthrough" in applied
    sandbox.reset_calls()
    again = sandbox.run("outside.sh")
    assert again.returncode == 0, again.stderr
    assert [c for c in sandbox.calls() if c.startswith(("systemctl restart", "systemctl enable", "kubectl apply",
                                                        "kubectl -n kube-system rollout restart"))] == []


def test_worker_routes_the_outside_range_through_the_control_plane(sandbox: Sandbox) -> None:
    result = sandbox.run("outside.sh", CILIUMLAB_NODE_ROLE="worker", CILIUMLAB_NODE_IP="192.168.56.11")
    assert result.returncode == 0, result.stderr
    unit = (sandbox.root / "etc/systemd/system/ciliumlab-outside-route.service").read_text()
    assert "ExecStart=/usr/sbin/ip route replace 198.51.100.0/24 via 192.168.56.10" in unit
    assert not any(c.startswith("kubectl") for c in sandbox.calls())


def test_the_doctor_reads_the_same_list() -> None:
    from labs.doctor.outside import outside_hosts

    assert outside_hosts() == _hosts() and len(_hosts()) >= 4


def test_outside_addresses_are_outside_every_cluster_range() -> None:
    settings = yaml.safe_load((REPO / "settings.yaml").read_text())["network"]
    taken = [ipaddress.ip_network(settings["pod_cidr"]), ipaddress.ip_network(settings["service_cidr"]),
             ipaddress.ip_network("192.168.56.0/21")]  # the node network (settings: within 192.168.56.0/21)
    for name, address in _hosts().items():
        ip = ipaddress.ip_address(address)
        assert ip in OUTSIDE, name
        assert not any(ip in net for net in taken), f"{name} {address} overlaps a cluster range"


@pytest.mark.parametrize("lab_id", LABS)
def test_lab_external_names_are_the_outside_hosts(lab_id: str) -> None:
    """The simulator's names and addresses (lab.yaml `external:`) are exactly those CoreDNS answers in the VM."""
    from labs.course.spec import load_lab

    spec = load_lab(lab_id)
    hosts = _hosts()
    assert {e.fqdn: e.ip for e in spec.external} == {name: hosts[name] for name in (e.fqdn for e in spec.external)}


@pytest.mark.parametrize("lab_id", LABS)
def test_every_outside_probe_targets_a_served_name_address_and_port(lab_id: str) -> None:
    from labs.course.spec import load_lab

    hosts = _hosts()
    for step in load_lab(lab_id).steps:
        for spec in step.probes:
            target = spec.probe.target
            if target is None or target.kind not in ("fqdn", "ip"):
                continue
            served = target.value in hosts if target.kind == "fqdn" else target.value in hosts.values()
            assert served, f"{lab_id}/{step.id}: {target} is not served by the outside network"
            if spec.probe.protocol == "TCP":
                assert spec.probe.port in (80, 443), f"{lab_id}/{step.id}: port {spec.probe.port} is not served"


@pytest.mark.parametrize("lab_id", LABS)
def test_the_simulator_sees_the_outside_names_as_world_at_their_addresses(lab_id: str) -> None:
    from labs.course import open_lab
    from labs.probes import Probe, parse_target

    lab = open_lab(lab_id, backend="sim")
    assert lab.deploy().ok
    source = "payments/processor" if lab_id == "06-dns-fqdn" else "shop/payment"
    for name, address in _hosts().items():
        if name not in {e.fqdn for e in lab.spec.external}:
            continue
        result = lab.cluster.probe(Probe(source, parse_target(f"fqdn:{name}"), 443))
        assert result.outcome.value == "allowed", result.reason
        egress = [f["flow"] for f in result.flows if f["flow"].get("IP", {}).get("destination") == address]
        assert egress, f"no flow to {address} for {name}"
        assert egress[0]["destination"].get("labels") == ["reserved:world"]


def test_docs_describe_the_outside_network() -> None:
    vm = (REPO / "docs" / "vm.md").read_text()
    live = (REPO / "docs" / "live.md").read_text()
    assert "outside.sh" in vm and re.search(r"198\.51\.100\.0/24", vm)
    assert "outside" in live and "198.51.100" in live
