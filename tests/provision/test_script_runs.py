"""Whole provisioning scripts run twice against stubbed commands: what the first run does, that the
second changes nothing, that a bad checksum installs nothing and that a warm cache downloads nothing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from stub_sandbox import Sandbox

MUTATING = ("curl", "apt-get", "swapoff", "modprobe", "sysctl", "systemctl restart", "systemctl enable",
            "gpg --dearmor", "crictl pull", "ctr", "kubeadm init", "kubeadm join", "kubeadm token create",
            "kubectl taint", "cilium install", "cilium upgrade")


def mutations(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith(MUTATING)]


def state_without_logs(sandbox: Sandbox) -> dict[str, tuple[str, int, int]]:
    return {k: v for k, v in sandbox.snapshot().items() if not k.endswith("timings.tsv")}


@pytest.mark.parametrize(
    ("scripts", "extra"),
    [
        (["common.sh"], {}),
        (["common.sh"], {"CILIUMLAB_NODE_ROLE": "worker", "CILIUMLAB_NODE_IP": "192.168.56.10",
                         "CILIUMLAB_HTTP_PROXY": "http://proxy.example.com:3128"}),
        (["common.sh", "control-plane.sh", "cilium.sh"], {}),
        (["common.sh", "worker.sh"], {"CILIUMLAB_NODE_ROLE": "worker", "CILIUMLAB_NODE_IP": "192.168.56.10"}),
    ],
    ids=["common-control-plane", "common-worker-with-proxy", "control-plane-node", "worker-node"],
)
def test_second_run_changes_nothing(sandbox: Sandbox, scripts: list[str], extra: dict[str, str]) -> None:
    for script in scripts:
        first = sandbox.run(script, **extra)
        assert first.returncode == 0, f"{script}: {first.stderr}"
    assert mutations(sandbox.calls()), "the first run should have done the work"
    before = state_without_logs(sandbox)
    sandbox.reset_calls()
    for script in scripts:
        again = sandbox.run(script, **extra)
        assert again.returncode == 0, f"{script}: {again.stderr}"
    assert mutations(sandbox.calls()) == []
    assert state_without_logs(sandbox) == before


def test_first_run_configures_the_node(sandbox: Sandbox) -> None:
    result = sandbox.run("common.sh")
    assert result.returncode == 0, result.stderr
    root = sandbox.root
    assert (root / "etc/fstab").read_text() == (
        "UUID=abc / ext4 defaults 0 1\n# /dev/mapper/vg-swap none swap sw 0 0  # disabled by ciliumlab\n"
    )
    config = (root / "etc/containerd/config.toml").read_text()
    assert "SystemdCgroup = true" in config
    assert "sandbox = 'registry.k8s.io/pause:3.10.1'" in config  # kubeadm's, not containerd's default 3.10.2
    assert "sandboxer = 'podsandbox'" in config
    assert (root / "etc/sysctl.d/99-ciliumlab.conf").read_text().startswith("net.ipv4.ip_forward = 1\n")
    assert (root / "etc/apt/sources.list.d/kubernetes.list").read_text() == (
        "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /\n"
    )
    package = f"{sandbox.lock_value('KUBERNETES_VERSION')}-{sandbox.lock_value('KUBERNETES_PACKAGE_REVISION')}"
    calls = sandbox.calls()
    wanted = f"kubelet={package} kubeadm={package} kubectl={package} cri-tools conntrack socat"
    assert any(c.endswith(wanted) for c in calls)
    assert "apt-mark hold kubelet kubeadm kubectl" in calls
    assert (root / "usr/local/bin/containerd").exists() and (root / "usr/local/sbin/runc").exists()
    assert not any("kube-proxy" in c for c in calls if c.startswith("crictl pull"))


@pytest.mark.parametrize("broken", ["CONTAINERD", "RUNC"], ids=["containerd", "runc"])
def test_checksum_mismatch_aborts_and_installs_nothing(sandbox: Sandbox, broken: str) -> None:
    sandbox.set_lock(f"{broken}_SHA256_AMD64", "f" * 64)
    result = sandbox.run("common.sh")
    assert result.returncode == 1
    assert "[ciliumlab] ERROR: checksum mismatch for " in result.stderr
    assert f"versions.lock pins {'f' * 64} but" in result.stderr
    assert "Nothing was installed; check versions.lock." in result.stderr
    assert not (sandbox.root / "usr/local/bin/containerd").exists()
    assert not (sandbox.root / "usr/local/sbin/runc").exists()
    assert not any(c.startswith(("apt-get install", "systemctl")) for c in sandbox.calls())


def test_wrong_apt_signing_key_installs_no_packages(sandbox: Sandbox) -> None:
    (sandbox.state / "fpr").write_text("0" * 40)
    result = sandbox.run("common.sh")
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "[ciliumlab] ERROR: the pkgs.k8s.io signing key does not have the fingerprint "
        f"{sandbox.lock_value('KUBERNETES_APT_KEY_FINGERPRINT')} pinned in versions.lock; nothing was installed."
    )
    assert not any(c.startswith("apt-get") for c in sandbox.calls())


def test_warm_cache_downloads_and_pulls_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    """destroy + up with the cache kept: archives and images come from the cache, verified."""
    for script in ("common.sh", "control-plane.sh", "cilium.sh"):
        assert sandbox.run(script).returncode == 0
    fresh = Sandbox(tmp_path / "second-vm", sandbox.repo)
    for script in ("common.sh", "control-plane.sh", "cilium.sh"):
        result = fresh.run(script, CILIUMLAB_CACHE_DIR=str(sandbox.cache))
        assert result.returncode == 0, result.stderr
    calls = fresh.calls()
    assert [c for c in calls if c.startswith(("curl", "crictl pull"))] == []
    assert len([c for c in calls if c.startswith("ctr -n k8s.io images import")]) == 12
    assert (fresh.root / "usr/local/bin/cilium").exists() and (fresh.root / "usr/local/bin/hubble").exists()


def test_control_plane_uses_a_v1beta4_config_without_kube_proxy(sandbox: Sandbox) -> None:
    assert sandbox.run("common.sh").returncode == 0
    result = sandbox.run("control-plane.sh")
    assert result.returncode == 0, result.stderr
    config = (sandbox.root / "etc/ciliumlab/kubeadm.yaml").read_text()
    for expected in (
        "apiVersion: kubeadm.k8s.io/v1beta4",
        "  advertiseAddress: 192.168.56.10\n",
        "  kubeletExtraArgs:\n    - name: node-ip\n      value: 192.168.56.10\n",
        "skipPhases:\n  - addon/kube-proxy\n",
        f"kubernetesVersion: v{sandbox.lock_value('KUBERNETES_VERSION')}\n",
        "  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.96.0.0/12\n",
        "proxy:\n  disabled: true\n",
        "cgroupDriver: systemd\n",
    ):
        assert expected in config
    assert stat.S_IMODE((sandbox.root / "etc/ciliumlab/kubeadm.yaml").stat().st_mode) == 0o600
    exported = sandbox.root / "vagrant/.kube/config"
    assert exported.read_text() == "apiVersion: v1 # admin\n"
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert "kubectl taint node ciliumlab-cp node-role.kubernetes.io/control-plane:NoSchedule-" in sandbox.calls()


def test_control_plane_keeps_its_taint_when_workers_exist(sandbox: Sandbox) -> None:
    assert sandbox.run("control-plane.sh", CILIUMLAB_NODE_COUNT="2").returncode == 0
    assert not any(c.startswith("kubectl taint") for c in sandbox.calls())


def test_cilium_is_installed_with_the_course_values_then_upgraded_on_a_version_change(sandbox: Sandbox) -> None:
    assert sandbox.run("control-plane.sh").returncode == 0
    result = sandbox.run("cilium.sh")
    assert result.returncode == 0, result.stderr
    values = (sandbox.root / "etc/ciliumlab/cilium-values.yaml").read_text()
    for expected in ("kubeProxyReplacement: true\n", "k8sServiceHost: 192.168.56.10\n", "k8sServicePort: 6443\n",
                     "ipam:\n  mode: kubernetes\n", "l7Proxy: true\n", "operator:\n  replicas: 1\n",
                     "  relay:\n    enabled: true\n", "  ui:\n    enabled: true\n"):
        assert expected in values
    version = sandbox.lock_value("CILIUM_VERSION")
    values_file = f"{sandbox.root}/etc/ciliumlab/cilium-values.yaml"
    assert f"cilium install --version {version} --values {values_file}" in sandbox.calls()
    assert "Hubble UI:   python -m labs env hubble-ui     then open http://127.0.0.1:12000" in result.stdout
    assert f"Cilium {version} (cilium CLI v{sandbox.lock_value('CILIUM_CLI_VERSION')}" in result.stdout
    sandbox.set_lock("CILIUM_VERSION", "1.19.6")
    sandbox.reset_calls()
    assert sandbox.run("cilium.sh").returncode == 0
    assert mutations(sandbox.calls()) == [
        f"cilium upgrade --version 1.19.6 --values {sandbox.root}/etc/ciliumlab/cilium-values.yaml"
    ]


def test_worker_joins_with_node_ip_and_token(sandbox: Sandbox) -> None:
    result = sandbox.run("worker.sh", CILIUMLAB_NODE_NAME="ciliumlab-worker-1")
    assert result.returncode == 0, result.stderr
    config = (sandbox.root / "etc/ciliumlab/kubeadm-join.yaml").read_text()
    assert "    apiServerEndpoint: 192.168.56.10:6443\n" in config
    assert '    token: "abcdef.0123456789abcdef"\n' in config
    assert "  kubeletExtraArgs:\n    - name: node-ip\n      value: 192.168.56.10\n" in config
    assert f"kubeadm join --config {sandbox.root}/etc/ciliumlab/kubeadm-join.yaml" in sandbox.calls()


def test_worker_join_config_has_only_v1beta4_fields(sandbox: Sandbox) -> None:
    """kubeadm v1beta4 has no discovery.timeout (strict decoding refuses it): the wait is timeouts.discovery."""
    import yaml

    assert sandbox.run("worker.sh", CILIUMLAB_NODE_NAME="ciliumlab-worker-1").returncode == 0
    config = yaml.safe_load((sandbox.root / "etc/ciliumlab/kubeadm-join.yaml").read_text())
    assert (config["apiVersion"], config["kind"]) == ("kubeadm.k8s.io/v1beta4", "JoinConfiguration")
    assert set(config["discovery"]) == {"bootstrapToken"}
    assert config["timeouts"] == {"discovery": "10m0s"}
    assert set(config) <= {"apiVersion", "kind", "dryRun", "nodeRegistration", "caCertPath", "discovery",
                           "controlPlane", "skipPhases", "patches", "timeouts"}


def test_proxy_settings_are_written_then_removed(sandbox: Sandbox) -> None:
    proxy = {"CILIUMLAB_HTTP_PROXY": "http://proxy.example.com:3128", "CILIUMLAB_NO_PROXY": "localhost,.svc"}
    assert sandbox.run("common.sh", **proxy).returncode == 0
    apt = sandbox.root / "etc/apt/apt.conf.d/95ciliumlab-proxy"
    unit = sandbox.root / "etc/systemd/system/containerd.service.d/ciliumlab-proxy.conf"
    assert apt.read_text() == 'Acquire::http::Proxy "http://proxy.example.com:3128";\n'
    environment = 'Environment="HTTP_PROXY=http://proxy.example.com:3128" "HTTPS_PROXY=" "NO_PROXY=localhost,.svc"'
    assert environment in unit.read_text()
    sandbox.reset_calls()
    assert sandbox.run("common.sh").returncode == 0
    assert not apt.exists() and not unit.exists()
    assert "systemctl restart containerd" in sandbox.calls()


CONTROL_PLANE_TOLERATION = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                            "effect": "NoSchedule"}


@pytest.mark.parametrize("nodes", ["1", "2", "4"])
def test_hubble_relay_and_ui_tolerate_the_control_plane_taint(sandbox: Sandbox, nodes: str) -> None:
    """Workers join after cilium.sh (one machine at a time): relay and UI must fit on the tainted control plane,
    or `cilium status --wait` waits for pods that cannot be scheduled and provisioning dies."""
    import yaml

    assert sandbox.run("control-plane.sh", CILIUMLAB_NODE_COUNT=nodes).returncode == 0
    result = sandbox.run("cilium.sh", CILIUMLAB_NODE_COUNT=nodes)
    assert result.returncode == 0, result.stderr
    values = yaml.safe_load((sandbox.root / "etc/ciliumlab/cilium-values.yaml").read_text())
    for part in ("relay", "ui"):
        assert CONTROL_PLANE_TOLERATION in values["hubble"][part].get("tolerations", []), part


def _release_key(sandbox: Sandbox) -> Path:
    return sandbox.cache / "downloads" / (
        f"kubernetes-v{'.'.join(sandbox.lock_value('KUBERNETES_VERSION').split('.')[:2])}-Release.key")


def test_an_expired_cached_apt_key_is_fetched_again(sandbox: Sandbox) -> None:
    """A pinned copy of the pkgs.k8s.io key expires (one did on 2026-12-29): the cache must not keep it forever."""
    cached = _release_key(sandbox)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text("-----BEGIN PGP PUBLIC KEY BLOCK----- KEY EXPIRES=1000\n")
    result = sandbox.run("common.sh")
    assert result.returncode == 0, result.stderr
    assert any(c.startswith("curl") and c.endswith("/deb/Release.key") for c in sandbox.calls())
    assert "EXPIRES" not in cached.read_text()


def test_an_expired_downloaded_apt_key_installs_no_packages(sandbox: Sandbox) -> None:
    (sandbox.www / "Release.key").write_text("-----BEGIN PGP PUBLIC KEY BLOCK----- KEY EXPIRES=1000\n")
    result = sandbox.run("common.sh")
    assert result.returncode == 1
    assert (f"[ciliumlab] ERROR: the pkgs.k8s.io signing key (fingerprint "
            f"{sandbox.lock_value('KUBERNETES_APT_KEY_FINGERPRINT')}) expired on 1970-01-01, even as downloaded just "
            "now; nothing was installed.") in result.stderr
    assert not any(c.startswith("apt-get install") for c in sandbox.calls())
