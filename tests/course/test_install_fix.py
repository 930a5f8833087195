"""Lab 09's install exercise: is it graded by lint on the trainee's copies, and does it read the cluster's install?"""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from labs.course import open_lab
from labs.course.install_fix import InstallFix, required_parts_missing
from labs.course.vm_install import InstallReadError, helm_release_values, live_texts, provisioned_texts
from labs.lint import lint_report

LAB = "09-fix-the-blog"


@pytest.fixture
def install(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABS_SOLVE", raising=False)
    return InstallFix(open_lab(LAB, backend="sim"))


def test_the_blogs_install_is_not_yet_and_names_every_mistake(install):
    """The untouched copies fail with the findings of each install mistake, by code."""
    result = install.check()
    assert result.status == "not-yet" and result.kind == "exercise"
    text = result.text()
    for code in ("CL601", "CL602", "CL605", "CL606", "CL607", "CL701", "CL702", "CL703", "CL704"):
        assert f" {code} " in text, code


def test_the_copies_are_the_trainees_and_are_never_overwritten(install):
    files = install.files()
    assert {p.name for p in files} == {"blog-install.sh", "hubble-relay-service.yaml"}
    files[0].write_text("edited\n")
    assert install.files()[0].read_text() == "edited\n"


def test_the_solutions_pass_in_solve_mode(install, monkeypatch):
    monkeypatch.setenv("LABS_SOLVE", "1")
    result = install.check()
    assert result.status == "pass", result.text()


def test_deleting_the_lines_is_not_a_fix(install):
    """A script emptied of its commands has no finding left, but it no longer installs anything."""
    for path in install.files():
        path.write_text("#!/usr/bin/env bash\n" if path.suffix == ".sh" else "# nothing\n")
    result = install.check()
    assert result.status == "not-yet"
    assert "Missing now: `kubeadm init` with a pod range" in result.text()
    assert "Missing now: the hubble-relay Service of type NodePort" in result.text()


def test_copying_the_solutions_passes(install):
    for path in install.files():
        path.write_text(install.lab.spec.path(f"install/solutions/{path.name}").read_text())
    assert install.check().status == "pass"
    assert required_parts_missing(install.files()) == []


def test_the_vm_provisioning_is_what_the_simulated_backend_lints(install):
    folder = install.cluster_install()
    assert {p.name for p in folder.iterdir()} == {"kubeadm-config.yaml", "cilium-values.yaml"}
    report = lint_report(sorted(folder.iterdir()))
    assert report.findings == [] and report.problems == []
    assert "podSubnet: 10.244.0.0/16" in provisioned_texts()["kubeadm-config.yaml"]


def _helm_secret(values: dict, version: int) -> dict:
    release = base64.b64encode(gzip.compress(json.dumps({"name": "cilium", "config": values}).encode()))
    return {"metadata": {"name": f"sh.helm.release.v1.cilium.v{version}"},
            "data": {"release": base64.b64encode(release).decode()}}


class FakeApi:
    def __init__(self, configmap, secrets):
        self.configmap, self.secrets, self.selectors = configmap, secrets, []

    def get_or_none(self, path):
        assert path.endswith("/kube-system/configmaps/kubeadm-config")
        return self.configmap

    def items(self, path, *, label_selector=None):
        self.selectors.append(label_selector)
        return self.secrets


def test_a_live_cluster_is_read_from_kubeadm_config_and_the_newest_helm_release():
    cluster_config = ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n"
                      "  podSubnet: 10.97.0.0/16\n")
    api = FakeApi({"data": {"ClusterConfiguration": cluster_config}},
                  [_helm_secret({"kubeProxyReplacement": "strict"}, 2),
                   _helm_secret({"kubeProxyReplacement": True}, 1)])
    texts = live_texts(api)
    assert texts["kubeadm-config.yaml"] == cluster_config
    assert texts["cilium-values.yaml"] == "kubeProxyReplacement: strict\n"
    assert api.selectors == ["owner=helm,name=cilium,status=deployed"]


def test_a_cluster_without_kubeadm_or_helm_records_says_so():
    with pytest.raises(InstallReadError, match="not installed with kubeadm and Helm"):
        live_texts(FakeApi(None, []))


def test_a_secret_that_is_not_a_helm_release_is_named():
    with pytest.raises(InstallReadError, match="'x' cannot be decoded"):
        helm_release_values({"metadata": {"name": "x"}, "data": {"release": "bm90IGd6aXA="}})


def test_the_check_counts_what_lint_prints_and_says_each_mistake_once(install):
    """Found in the browser: the check said '11 lint finding(s)' where `labs lint` printed 10, because the
    Relay Service's nodePort 4245 was listed twice (as a validation problem and as CL601)."""
    result = install.check()
    assert result.summary.startswith("Not yet: 10 lint findings left in ")
    assert "(s)" not in result.summary
    nodeport = [n for n in result.notes if "hubble-relay-service.yaml:16:" in n]
    assert len(nodeport) == 1 and " CL601 " in nodeport[0]
    assert install.lint_text().rstrip().endswith("10 findings: 7 errors, 3 warnings. The input is not valid "
                                                 "(see the problems above); fix them first.")


def test_the_install_files_are_edited_in_the_notebook(install):
    """LABS_HOME is the hidden `.labs/` by default, which JupyterLab's file browser does not open: the
    notebook edits the copies in `install.editor()`, saved as typed, with Check and Lint buttons."""
    pytest.importorskip("ipywidgets")
    editor = install.editor()
    assert set(editor.areas) == {"blog-install.sh", "hubble-relay-service.yaml"}
    for path in install.files():
        answer = install.lab.spec.path(f"install/solutions/{path.name}").read_text()
        editor.areas[path.name].value = answer  # typed in the browser, no button pressed
        assert path.read_text() == answer
    assert editor.check().status == "pass"
    assert "lint finds nothing left to fix" in editor.output.value
    assert editor.lint() == "No findings.\n" and "No findings." in editor.output.value
