"""The build recipe's pure parts: go.mod rewriting, the etcd version, versions.lock."""

from __future__ import annotations

import pytest

from labs.env.local.build import _ldflags, etcd_version_of, unstage_go_mod
from labs.env.local.layout import LocalClusterError, Versions, pinned_versions, read_lock

GO_MOD = """module k8s.io/kubernetes

go 1.25.0

require (
\tgithub.com/blang/semver/v4 v4.0.0
\tk8s.io/api v0.0.0
\tk8s.io/apimachinery v0.0.0
\tk8s.io/kube-openapi v0.0.0-20250910181357-589584f1c912
\tk8s.io/utils v0.0.0-20251002143259-bc988d571ff4
)

require (
\tk8s.io/kms v0.0.0 // indirect
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
\tk8s.io/kms => ./staging/src/k8s.io/kms
)
"""


def test_staging_modules_pinned_and_replaces_dropped():
    text = unstage_go_mod(GO_MOD, "v0.35.8")
    assert "replace" not in text and "./staging" not in text
    assert "\tk8s.io/api v0.35.8\n" in text
    assert "\tk8s.io/apimachinery v0.35.8\n" in text
    # `// indirect` requirements keep their comment: only the version changes.
    assert "\tk8s.io/kms v0.35.8 // indirect" in text


def test_pseudo_versions_of_other_k8s_modules_stay():
    text = unstage_go_mod(GO_MOD, "v0.35.8")
    assert "k8s.io/kube-openapi v0.0.0-20250910181357-589584f1c912" in text
    assert "k8s.io/utils v0.0.0-20251002143259-bc988d571ff4" in text


def test_go_mod_without_replace_block_is_an_error():
    with pytest.raises(LocalClusterError, match="no replace block"):
        unstage_go_mod("module k8s.io/kubernetes\n", "v0.35.8")


def test_etcd_version_from_dependencies_yaml(tmp_path):
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "dependencies.yaml").write_text(
        "dependencies:\n  - name: golang\n    version: 1.25.3\n  - name: \"etcd\"\n    version: 3.6.6\n")
    assert etcd_version_of(tmp_path) == "3.6.6"


def test_staging_version_of_a_release():
    assert Versions("1.35.8", "1.19.5").staging == "v0.35.8"


def test_versions_come_from_versions_lock():
    versions = pinned_versions()
    assert versions.kubernetes.startswith("1.") and versions.kubernetes.count(".") == 2
    assert versions.cilium.count(".") == 2


def test_lock_errors_name_file_and_line(tmp_path):
    lock = tmp_path / "versions.lock"
    lock.write_text("# comment\nKUBERNETES_VERSION=1.35.8\nnot a pair\n")
    with pytest.raises(LocalClusterError, match=r"versions.lock:3: expected KEY=VALUE") as err:
        read_lock(lock)
    assert err.value.exit_code == 2
    lock.write_text("KUBERNETES_VERSION=1.35.8\n")
    with pytest.raises(LocalClusterError, match="CILIUM_VERSION is missing"):
        pinned_versions(lock)


def test_version_stamped_into_both_version_packages():
    flags = _ldflags("1.35.8", "abc")
    assert "-X k8s.io/component-base/version.gitVersion=v1.35.8" in flags
    assert "-X k8s.io/client-go/pkg/version.gitMinor=35" in flags


def test_a_build_is_published_whole_with_its_stamp_in_place_of_the_old_folder(tmp_path):
    import json

    from labs.env.local.build import STAMP, publish_build

    bin_dir, staging = tmp_path / "bin", tmp_path / "bin.partial"
    bin_dir.mkdir()
    (bin_dir / "kubelet").write_text("old")
    (bin_dir / "stale-tool").write_text("old")
    staging.mkdir()
    (staging / "kubelet").write_text("new")
    publish_build(staging, bin_dir, {"kubernetes": "1.35.8", "seconds": 3})
    assert not staging.exists()
    assert sorted(p.name for p in bin_dir.iterdir()) == [STAMP, "kubelet"]
    assert (bin_dir / "kubelet").read_text() == "new"
    assert json.loads((bin_dir / STAMP).read_text()) == {"kubernetes": "1.35.8", "seconds": 3}


def test_a_build_starts_with_the_work_tree_created(tmp_path, monkeypatch):
    import io

    from labs.env.local import build

    monkeypatch.setattr(build, "find_go", lambda: "/usr/lib/go/bin/go")
    out = io.StringIO()
    say, go, work, started = build.start_build(tmp_path / "1.35.8", out)
    say(">> hello")
    assert (go, work, work.is_dir(), out.getvalue()) == ("/usr/lib/go/bin/go", tmp_path / "1.35.8" / "src", True,
                                                         ">> hello\n")
    assert started > 0
