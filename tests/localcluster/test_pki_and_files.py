"""Certificates, kubeconfig files and pid files of the local cluster, checked without starting it."""

from __future__ import annotations

import stat
import subprocess
import sys
import time

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from labs.env.local import procs
from labs.env.local.kubeconfig import kubeconfig_text, write_kubeconfig
from labs.env.local.pki import IDENTITIES, write_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    write_pki(directory)
    return directory


def _cert(pki, name) -> x509.Certificate:
    return x509.load_pem_x509_certificate((pki / f"{name}.crt").read_bytes())


def test_private_keys_are_private(pki):
    for key in pki.glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_every_certificate_is_signed_by_the_ca(pki):
    ca = _cert(pki, "ca")
    for ident in IDENTITIES:
        cert = _cert(pki, ident.name)
        cert.verify_directly_issued_by(ca)


def test_admin_is_in_system_masters_and_components_use_their_rbac_names(pki):
    def subject(name):
        cert = _cert(pki, name)
        return (cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
                [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)])

    assert subject("admin")[1] == ["system:masters"]
    assert subject("controller-manager") == ("system:kube-controller-manager", [])
    assert subject("scheduler") == ("system:kube-scheduler", [])


def test_serving_certificate_names_loopback_and_the_kubernetes_service(pki):
    cert = _cert(pki, "apiserver")
    alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kubernetes.default.svc" in alt.get_values_for_type(x509.DNSName)
    assert {str(ip) for ip in alt.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "10.96.0.1"}
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_kubeconfig_is_0600_and_embeds_the_credentials(pki, tmp_path):
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, kubeconfig_text(6443, pki, "admin", "ciliumlab-admin"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = yaml.safe_load(path.read_text())
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert config["users"][0]["user"]["client-key-data"]
    assert not list(tmp_path.glob("*.tmp"))


def test_stop_ends_the_whole_process_group(tmp_path):
    """A component that forked a child: down must leave neither running."""
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); " \
             "print('ready', flush=True); time.sleep(60)"
    started = procs.start("forker", [sys.executable, "-c", script], tmp_path, tmp_path / "logs")
    deadline = time.monotonic() + 10
    while "ready" not in (tmp_path / "logs" / "forker.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    group = subprocess.run(["pgrep", "-g", str(started.pid)], capture_output=True, text=True).stdout.split()
    assert len(group) == 2
    assert procs.alive(started)
    assert procs.stop(tmp_path, "forker", timeout=5) == "stopped"
    assert not procs.alive(started)
    left = [p for p in subprocess.run(["pgrep", "-g", str(started.pid)], capture_output=True,
                                      text=True).stdout.split()
            if procs._start_time(int(p)) is not None]
    assert left == []
    assert not (tmp_path / "forker.pid").exists()
    assert procs.stop(tmp_path, "forker") == "not started"


def test_a_reused_pid_is_left_alone(tmp_path):
    """A pid file whose start time does not match the running process names someone else's process."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / "etcd.pid").write_text(f"{sleeper.pid} 1\n")
        assert procs.stop(tmp_path, "etcd") == "was not running"
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()
