"""Single functions of scripts/provision/lib.sh and images.sh, run in bash with stubbed commands."""

from __future__ import annotations

import pytest
from stub_sandbox import Sandbox, sha256


@pytest.mark.parametrize(
    ("machine", "expected"),
    [("x86_64", "amd64"), ("amd64", "amd64"), ("aarch64", "arm64"), ("arm64", "arm64")],
    ids=["x86_64", "amd64", "aarch64", "arm64"],
)
def test_architecture_maps_to_release_asset_name(sandbox: Sandbox, machine: str, expected: str) -> None:
    """Does `uname -m` map to the architecture word used in release asset names?"""
    result = sandbox.bash("asset_arch", STUB_ARCH=machine)
    assert (result.returncode, result.stdout.strip()) == (0, expected)


def test_unknown_architecture_stops_with_the_supported_ones(sandbox: Sandbox) -> None:
    result = sandbox.bash("asset_arch", STUB_ARCH="riscv64")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "[ciliumlab] ERROR: unsupported CPU architecture 'riscv64'; the course VM runs on x86_64 (amd64) "
        "or aarch64 (arm64)."
    )


@pytest.mark.parametrize(
    ("arch", "containerd_asset", "cli_asset"),
    [
        ("x86_64", "containerd-{v}-linux-amd64.tar.gz", "cilium-linux-amd64.tar.gz"),
        ("aarch64", "containerd-{v}-linux-arm64.tar.gz", "cilium-linux-arm64.tar.gz"),
    ],
    ids=["amd64", "arm64"],
)
def test_downloads_use_the_vm_architecture_and_locked_versions(
    sandbox: Sandbox, arch: str, containerd_asset: str, cli_asset: str
) -> None:
    """The containerd, runc and cilium CLI URLs carry the VM's architecture and versions.lock's versions."""
    sandbox.publish_release_assets("arm64")
    result = sandbox.bash(
        'ARCH="$(asset_arch)"; '
        'v="$(lock_require CONTAINERD_VERSION)"; r="$(lock_require RUNC_VERSION)"; '
        'c="$(lock_require CILIUM_CLI_VERSION)"; '
        'u="https://github.com/containerd/containerd/releases/download/v$v/containerd-$v-linux-$ARCH.tar.gz"; '
        'fetch_verified "$u" "$u.sha256sum" ""; '
        'fetch_verified "https://github.com/opencontainers/runc/releases/download/v$r/runc.$ARCH" '
        '"https://github.com/opencontainers/runc/releases/download/v$r/runc.sha256sum" ""; '
        'u="https://github.com/cilium/cilium-cli/releases/download/v$c/cilium-linux-$ARCH.tar.gz"; '
        'fetch_verified "$u" "$u.sha256sum" ""',
        STUB_ARCH=arch,
    )
    assert result.returncode == 0, result.stderr
    version = sandbox.lock_value("CONTAINERD_VERSION")
    runc = sandbox.lock_value("RUNC_VERSION")
    cli = sandbox.lock_value("CILIUM_CLI_VERSION")
    word = "amd64" if arch == "x86_64" else "arm64"
    urls = [c.split()[-1] for c in sandbox.calls() if c.startswith("curl ")]
    assert urls == [
        f"https://github.com/containerd/containerd/releases/download/v{version}/{containerd_asset.format(v=version)}.sha256sum",
        f"https://github.com/containerd/containerd/releases/download/v{version}/{containerd_asset.format(v=version)}",
        f"https://github.com/opencontainers/runc/releases/download/v{runc}/runc.sha256sum",
        f"https://github.com/opencontainers/runc/releases/download/v{runc}/runc.{word}",
        f"https://github.com/cilium/cilium-cli/releases/download/v{cli}/{cli_asset}.sha256sum",
        f"https://github.com/cilium/cilium-cli/releases/download/v{cli}/{cli_asset}",
    ]


def test_versions_are_read_from_the_lock_file(sandbox: Sandbox) -> None:
    sandbox.set_lock("CILIUM_VERSION", "1.19.9")
    result = sandbox.bash("lock_require CILIUM_VERSION; lock_get CONTAINERD_SHA256_AMD64")
    assert result.stdout.splitlines() == ["1.19.9", ""]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("lock_get NO_SUCH_KEY", " has no key NO_SUCH_KEY; add a line 'NO_SUCH_KEY=...'."),
        ("lock_require CONTAINERD_SHA256_AMD64", ": CONTAINERD_SHA256_AMD64 is empty; it needs a value."),
    ],
    ids=["missing-key", "empty-required"],
)
def test_lock_file_problems_name_the_key(sandbox: Sandbox, code: str, message: str) -> None:
    result = sandbox.bash(code)
    assert result.returncode == 1
    assert result.stderr.strip() == f"[ciliumlab] ERROR: {sandbox.lock}{message}"


def test_lock_file_with_windows_line_endings_is_read(sandbox: Sandbox) -> None:
    sandbox.lock.write_bytes(sandbox.lock.read_bytes().replace(b"\n", b"\r\n"))
    result = sandbox.bash("lock_require CILIUM_VERSION")
    assert (result.returncode, result.stdout) == (0, f"{sandbox.lock_value('CILIUM_VERSION').strip()}\n")


def test_lock_values_with_shell_characters_are_refused(sandbox: Sandbox) -> None:
    """versions.lock is parsed, never sourced: a value like $(reboot) is an error, not a command."""
    sandbox.set_lock("HUBBLE_VERSION", "$(touch${IFS}pwned)")
    result = sandbox.bash("lock_get HUBBLE_VERSION")
    assert result.returncode == 1
    assert "contains spaces, quotes or shell characters" in result.stderr
    assert not (sandbox.state / "pwned").exists()


@pytest.mark.parametrize(
    ("ip_output", "expected", "interface"),
    [
        (None, "192.168.56.10", "eth1"),
        (
            "1: lo    inet 127.0.0.1/8 scope host lo\n"
            "2: enp0s3    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic enp0s3\n"
            "3: enp0s8    inet 192.168.56.10/24 brd 192.168.56.255 scope global enp0s8\n",
            "192.168.56.10",
            "enp0s8",
        ),
        (
            "1: lo    inet 127.0.0.1/8 scope host lo\n"
            "2: ens5    inet 192.168.121.40/24 brd 192.168.121.255 scope global dynamic ens5\n"
            "3: ens6    inet 192.168.56.10/24 brd 192.168.56.255 scope global ens6\n"
            "3: ens6    inet 192.168.56.200/24 scope global secondary ens6\n",
            "192.168.56.10",
            "ens6",
        ),
    ],
    ids=["virtualbox-eth1-with-cilium", "virtualbox-predictable-names", "libvirt-secondary-address"],
)
def test_node_ip_is_found_by_address_not_interface_name(
    sandbox: Sandbox, ip_output: str | None, expected: str, interface: str
) -> None:
    if ip_output is not None:
        (sandbox.state / "ip-addr.txt").write_text(ip_output)
    result = sandbox.bash("find_node_ip 192.168.56.10")
    assert (result.returncode, result.stdout.strip()) == (0, expected)
    assert f"node address {expected} found on interface {interface}" in result.stderr


def test_missing_node_ip_lists_the_addresses_found(sandbox: Sandbox) -> None:
    result = sandbox.bash("find_node_ip 192.168.56.11")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "[ciliumlab] ERROR: the private-network address 192.168.56.11 is not configured on this VM "
        "(found: 127.0.0.1 on lo 10.0.2.15 on eth0 192.168.56.10 on eth1 10.244.0.151 on cilium_host). "
        "Check network.control_plane_ip in settings.yaml and that the provider created the private network."
    )


def test_pinned_checksum_disagreeing_with_published_one_stops_before_download(sandbox: Sandbox) -> None:
    """A wrong pin in versions.lock aborts with both values and leaves nothing in the cache."""
    pinned = "0" * 64
    result = sandbox.bash(
        'fetch_verified https://example.org/v1/cilium-linux-amd64.tar.gz '
        f'https://example.org/v1/cilium-linux-amd64.tar.gz.sha256sum {pinned}'
    )
    published = sha256((sandbox.www / "cilium-linux-amd64.tar.gz").read_bytes())
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        f"[ciliumlab] ERROR: checksum mismatch for cilium-linux-amd64.tar.gz: versions.lock pins {pinned} but "
        f"https://example.org/v1/cilium-linux-amd64.tar.gz.sha256sum publishes {published}. Nothing was installed; "
        "check versions.lock."
    )
    assert list((sandbox.cache / "downloads").iterdir()) == []


def test_download_not_matching_published_checksum_is_deleted(sandbox: Sandbox) -> None:
    (sandbox.www / "hubble-linux-amd64.tar.gz").write_bytes(b"tampered")
    result = sandbox.bash(
        "fetch_verified https://example.org/hubble-linux-amd64.tar.gz "
        "https://example.org/hubble-linux-amd64.tar.gz.sha256sum ''"
    )
    assert result.returncode == 1
    expected = f"downloaded file has {sha256(b'tampered')}. Nothing was installed; the download was deleted"
    assert expected in result.stderr
    assert list((sandbox.cache / "downloads").iterdir()) == []


def test_verified_download_is_reused_from_the_cache(sandbox: Sandbox) -> None:
    url = "https://example.org/v1/cilium-linux-amd64.tar.gz"
    pinned = sha256((sandbox.www / "cilium-linux-amd64.tar.gz").read_bytes())
    first = sandbox.bash(f"fetch_verified {url} {url}.sha256sum {pinned}")
    sandbox.reset_calls()
    second = sandbox.bash(f"fetch_verified {url} {url}.sha256sum {pinned}")
    assert first.stdout == second.stdout == f"{sandbox.cache}/downloads/cilium-linux-amd64.tar.gz\n"
    assert [c for c in sandbox.calls() if c.startswith("curl")] == []
    assert "using cached cilium-linux-amd64.tar.gz (matches versions.lock)" in second.stderr


def test_only_https_downloads_are_allowed(sandbox: Sandbox) -> None:
    result = sandbox.bash("download http://example.org/x /tmp/x")
    assert result.returncode == 1
    assert "refusing to download http://example.org/x: only https:// URLs are allowed." in result.stderr


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("quay.io/cilium/cilium:v1.19.5@sha256:abc", "quay.io/cilium/cilium@sha256:abc"),
        ("localhost:5000/img@sha256:abc", "localhost:5000/img@sha256:abc"),
        ("registry.k8s.io/pause:3.10.1", "registry.k8s.io/pause:3.10.1"),
    ],
    ids=["tag-and-digest", "registry-port", "tag-only"],
)
def test_images_are_pulled_by_digest(sandbox: Sandbox, ref: str, expected: str) -> None:
    assert sandbox.bash(f"pull_ref {ref}").stdout.strip() == expected


def test_cilium_images_must_match_the_locked_cilium_version(sandbox: Sandbox) -> None:
    sandbox.set_lock("CILIUM_VERSION", "1.19.6")
    result = sandbox.bash("cilium_images")
    assert result.returncode == 1
    assert "versions.lock: CILIUM_IMAGE_AGENT=quay.io/cilium/cilium:v1.19.5@sha256:" in result.stderr
    assert "does not match CILIUM_VERSION=1.19.6" in result.stderr


def test_damaged_cached_image_is_pulled_again(sandbox: Sandbox) -> None:
    ref = "registry.k8s.io/pause:3.10.1"
    tar = sandbox.cache / "images" / "registry.k8s.io_pause_3.10.1-amd64.tar"
    tar.parent.mkdir(parents=True)
    tar.write_text("truncated")
    (tar.parent / (tar.name + ".sha256")).write_text("0" * 64 + "\n")
    result = sandbox.bash(f"ensure_image {ref} amd64")
    assert result.returncode == 0, result.stderr
    assert "is damaged (checksum differs); pulling registry.k8s.io/pause:3.10.1 instead." in result.stderr
    assert f"crictl pull {ref}" in sandbox.calls()
