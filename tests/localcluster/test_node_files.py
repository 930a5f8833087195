"""The local cluster's node, checked without starting it: images, certificates and configuration files."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from labs.env.local.build import NodeBinaries, pause_version_of
from labs.env.local.components import Paths, apiserver_args
from labs.env.local.dns import coredns_objects
from labs.env.local.images import local_images, manifest_images, normalised, shared_libraries
from labs.env.local.node import node_paths
from labs.env.local.nodeconfig import (
    CLUSTER_DNS,
    NODE_IP,
    NODE_NAME,
    POD_SUBNET,
    NodePorts,
    cni_conflist,
    containerd_config,
    kube_proxy_config,
    kubelet_args,
    kubelet_config,
)
from labs.env.local.oci import ImageSpec, write_oci_archive
from labs.env.local.pki import write_node_pki, write_pki

REPO = Path(__file__).resolve().parents[2]
BINARIES = NodeBinaries(Path("/nonexistent"), "1.35.8", "1.13.1", "3.10.1")
PORTS = NodePorts(10250, 10248, 10256, 10249)


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_oci_archive_is_a_valid_layout_with_the_name_and_config(tmp_path):
    root = tmp_path / "rootfs"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "tool").write_bytes(b"#!/bin/sh\necho hi\n")
    (root / "bin" / "tool").chmod(0o755)
    (root / "bin" / "alias").symlink_to("/bin/tool")
    spec = ImageSpec("docker.io/example/tool:1.0", entrypoint=["/bin/tool"], user="100:101")
    digest = write_oci_archive(root, spec, tmp_path / "image.tar")
    files = _members(tmp_path / "image.tar")
    for name, data in files.items():  # every blob is stored under its own digest
        if name.startswith("blobs/sha256/"):
            assert hashlib.sha256(data).hexdigest() == name.rsplit("/", 1)[1]
    index = json.loads(files["index.json"])
    entry = index["manifests"][0]
    assert entry["digest"] == digest
    assert entry["annotations"]["io.containerd.image.name"] == "docker.io/example/tool:1.0"
    manifest = json.loads(files["blobs/sha256/" + digest.split(":")[1]])
    config = json.loads(files["blobs/sha256/" + manifest["config"]["digest"].split(":")[1]])
    assert config["config"]["Entrypoint"] == ["/bin/tool"]
    assert config["config"]["User"] == "100:101"
    layer = files["blobs/sha256/" + manifest["layers"][0]["digest"].split(":")[1]]
    assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(layer).hexdigest()]
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["bin/tool"].mode & 0o111 and members["bin/tool"].uid == 0
    assert members["bin/alias"].issym() and members["bin/alias"].linkname == "/bin/tool"
    # The same inputs give the same image.
    assert write_oci_archive(root, spec, tmp_path / "again.tar") == digest


def test_every_image_of_the_course_manifests_has_a_local_image():
    provided = {image.spec.name for image in local_images(BINARIES)}
    wanted = {normalised(image) for image in manifest_images(REPO / "manifests")}
    assert wanted, "the course's manifests name no image?"
    assert wanted <= provided, f"no local image for {sorted(wanted - provided)}"


def test_image_names_are_normalised_like_containerd():
    assert normalised("busybox:1.36.1") == "docker.io/library/busybox:1.36.1"
    assert normalised("curlimages/curl:8.11.1") == "docker.io/curlimages/curl:8.11.1"
    assert normalised("registry.k8s.io/pause:3.10.1") == "registry.k8s.io/pause:3.10.1"


def test_shared_libraries_lists_the_loader():
    libs = shared_libraries(Path("/bin/sh").resolve())
    assert any("ld-linux" in lib.name or lib.name.startswith("ld-") for lib in libs)


def test_node_certificates(tmp_path):
    write_pki(tmp_path)
    write_node_pki(tmp_path, NODE_NAME, NODE_IP)
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    kubelet = x509.load_pem_x509_certificate((tmp_path / "kubelet.crt").read_bytes())
    assert kubelet.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == f"system:node:{NODE_NAME}"
    assert kubelet.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:nodes"
    serving = x509.load_pem_x509_certificate((tmp_path / "kubelet-serving.crt").read_bytes())
    alt = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in alt.get_values_for_type(x509.IPAddress)] == [NODE_IP]
    usage = serving.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    for cert in (kubelet, serving):
        assert cert.issuer == ca.subject
        cert.verify_directly_issued_by(ca)
    before = (tmp_path / "kubelet.crt").read_bytes()
    write_node_pki(tmp_path, NODE_NAME, NODE_IP)  # issued once
    assert (tmp_path / "kubelet.crt").read_bytes() == before


def test_containerd_config_keeps_everything_under_the_node(tmp_path):
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11+")
    npaths = node_paths(Paths(tmp_path))
    config = tomllib.loads(containerd_config(npaths, "registry.k8s.io/pause:3.10.1"))
    assert config["version"] == 2
    for value in (config["root"], config["state"], config["grpc"]["address"]):
        assert value.startswith(str(tmp_path))
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["sandbox_image"] == "registry.k8s.io/pause:3.10.1"
    assert cri["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is False
    assert cri["cni"]["conf_dir"].startswith(str(tmp_path))
    assert cri["enable_unprivileged_ports"] and cri["enable_unprivileged_icmp"]


def test_cni_kubelet_and_kube_proxy_configs(tmp_path):
    npaths = node_paths(Paths(tmp_path))
    cni = json.loads(cni_conflist(npaths))
    bridge = cni["plugins"][0]
    assert bridge["type"] == "bridge" and bridge["ipam"]["type"] == "host-local"
    assert bridge["ipam"]["ranges"] == [[{"subnet": POD_SUBNET}]]
    assert bridge["ipam"]["dataDir"].startswith(str(tmp_path))
    kubelet = yaml.safe_load(kubelet_config(npaths, PORTS))
    assert kubelet["failCgroupV1"] is False and kubelet["cgroupDriver"] == "cgroupfs"
    assert kubelet["authentication"]["anonymous"]["enabled"] is False
    assert kubelet["authorization"]["mode"] == "Webhook"
    assert kubelet["clusterDNS"] == [CLUSTER_DNS] and kubelet["address"] == NODE_IP
    assert kubelet["containerRuntimeEndpoint"] == f"unix://{npaths.containerd_socket}"
    args = kubelet_args(Path("/bin/kubelet"), npaths)
    assert f"--node-ip={NODE_IP}" in args and f"--hostname-override={NODE_NAME}" in args
    proxy = yaml.safe_load(kube_proxy_config(npaths, PORTS))
    assert proxy["mode"] == "iptables"
    assert proxy["healthzBindAddress"].startswith("127.0.0.1:") and proxy["metricsBindAddress"].startswith("127.0.0.1:")
    # The API server reaches the kubelet by its address, which the serving certificate names.
    assert "--kubelet-preferred-address-types=InternalIP,Hostname" in apiserver_args(Path("x"), Paths(tmp_path),
                                                                                       _ports())


def _ports():
    from labs.env.local.components import Ports
    return Ports(1, 2, 3, 4, 5)


def test_coredns_objects_bind_the_node_and_serve_kube_dns():
    objects = {o["kind"]: o for o in coredns_objects("registry.k8s.io/coredns/coredns:v1.13.1", "kubeconfig: x")}
    assert objects["Service"]["spec"]["clusterIP"] == CLUSTER_DNS
    assert objects["Service"]["metadata"]["name"] == "kube-dns"
    assert f"bind {NODE_IP}" in objects["ConfigMap"]["data"]["Corefile"]
    pod = objects["Deployment"]["spec"]["template"]
    assert pod["metadata"]["labels"] == {"k8s-app": "kube-dns"}
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def test_pause_version_is_read_from_kubeadm_constants(tmp_path):
    constants = tmp_path / "cmd" / "kubeadm" / "app" / "constants"
    constants.mkdir(parents=True)
    (constants / "constants.go").write_text('const (\n\tPauseVersion = "3.10.1"\n)\n')
    assert pause_version_of(tmp_path) == "3.10.1"


def test_pause_version_missing_is_a_clear_error(tmp_path):
    from labs.env.local.layout import LocalClusterError

    with pytest.raises(LocalClusterError, match="constants.go"):
        pause_version_of(tmp_path)


def test_coredns_is_built_with_every_plugin_its_corefile_uses():
    from labs.env.local.build import COREDNS_PLUGINS, coredns_main
    from labs.env.local.dns import COREFILE

    used = set()
    depth = 0
    for line in COREFILE.format(node_ip=NODE_IP, ready=8181).splitlines():
        words = line.split()
        if depth == 1 and words and words[0] != "}":
            used.add(words[0])
        depth += line.count("{") - line.count("}")
    assert used and used <= set(COREDNS_PLUGINS), used - set(COREDNS_PLUGINS)
    main = coredns_main()
    for plugin in COREDNS_PLUGINS:
        assert f'"github.com/coredns/coredns/plugin/{plugin}"' in main
    assert "coremain.Run()" in main


def test_the_busybox_image_runs_gnu_wget_from_its_shell(tmp_path):
    """Debian's busybox-static prefers its applets to PATH (a standalone shell), so with BusyBox as `sh` the
    probes' `sh -c 'wget ...'` ran the applet that segfaults; `sh` is dash, wget the host's GNU wget."""
    import shutil
    import subprocess

    from labs.env.local.images import Inputs, _busybox_with_wget

    if not (shutil.which("wget") and shutil.which("dash")):
        pytest.skip("the host has no wget or dash (apt-get install wget dash)")
    fake = tmp_path / "busybox"
    fake.write_text("#!/bin/sh\nprintf 'bin/sh\\nbin/wget\\nbin/nslookup\\nbin/sleep\\n'\n")
    fake.chmod(0o755)
    root = tmp_path / "root"
    _busybox_with_wget(root, Inputs(binaries=None, busybox=fake))  # type: ignore[arg-type]
    assert (root / "bin" / "sh").readlink() == Path("/usr/bin/dash")
    assert (root / "usr" / "bin" / "dash").is_file() and not (root / "bin" / "wget").exists()
    version = subprocess.run([str(root / "usr" / "bin" / "wget"), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("GNU Wget"), version.stdout[:200]
    assert (root / "bin" / "nslookup").readlink() == Path("/bin/busybox")


def test_a_new_kubeconfig_rolls_the_coredns_pod():
    """An `up` after a `down` that kept the state gives the API server a new port: the Deployment's pod template
    changes with the kubeconfig, so the pod that dialled the old port is replaced (it never became Ready)."""
    from labs.env.local.dns import CONFIG_DIGEST

    def template(kubeconfig: str) -> dict:
        objects = {o["kind"]: o for o in coredns_objects("registry.k8s.io/coredns/coredns:v1.13.1", kubeconfig)}
        return objects["Deployment"]["spec"]["template"]["metadata"]

    first, again, moved = template("server: https://127.0.0.1:6443"), template("server: https://127.0.0.1:6443"), \
        template("server: https://127.0.0.1:40111")
    assert first == again
    assert first["annotations"][CONFIG_DIGEST] != moved["annotations"][CONFIG_DIGEST]
    assert first["labels"] == moved["labels"] == {"k8s-app": "kube-dns"}
