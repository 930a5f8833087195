"""Nothing is written outside LABS_HOME, and a LABS_HOME that cannot be written is said plainly (issue 17)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labs.course import trainee_files
from labs.course.spec import LabSpecError, load_lab
from labs.paths import LabsHomeError, check_lab_id, lab_home

REPO = Path(__file__).resolve().parents[2]
LAB = "03-identity-default-deny"


def test_solution_apply_does_not_follow_a_link_out_of_labs_home(private_home, tmp_path, open_sim):
    lab = open_sim(LAB)
    mine = lab.exercise_path("allow-busybox")
    outside = tmp_path / "outside.yaml"
    outside.write_text("precious\n")
    mine.unlink()
    mine.symlink_to(outside)
    with pytest.raises(LabsHomeError, match="outside LABS_HOME"):
        lab.solution("allow-busybox", apply=True)
    assert outside.read_text() == "precious\n"


def test_a_dangling_link_is_not_created_through(private_home, tmp_path):
    template = REPO / "manifests" / LAB / "policies" / "allow-busybox.yaml"
    folder = lab_home(LAB)
    folder.mkdir(parents=True, exist_ok=True)
    target = tmp_path / "elsewhere" / "allow-busybox.yaml"
    target.parent.mkdir()
    (folder / template.name).symlink_to(target)
    with pytest.raises(LabsHomeError):
        trainee_files.exercise_file(LAB, template)
    assert not target.exists()


def test_a_linked_lab_folder_is_refused(private_home, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / LAB).symlink_to(outside, target_is_directory=True)
    with pytest.raises(LabsHomeError):
        lab_home(LAB)


@pytest.mark.parametrize("lab_id", ["/tmp/evil", "../evil", "..", "a/b", "", ".hidden", "x" * 200])
def test_lab_ids_are_folder_names(private_home, lab_id):
    with pytest.raises(LabsHomeError):
        check_lab_id(lab_id)
    with pytest.raises(LabSpecError):
        load_lab(lab_id)


def test_an_absolute_lab_id_creates_nothing(private_home, tmp_path):
    template = REPO / "manifests" / LAB / "policies" / "allow-busybox.yaml"
    target = tmp_path / "abs"
    with pytest.raises(LabsHomeError):
        trainee_files.exercise_file(str(target), template)
    assert not target.exists()


def run_check(env_home: str, *prefix: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LABS_HOME": env_home, "LABS_BACKEND": "sim"}
    return subprocess.run([*prefix, sys.executable, "-m", "labs", "check", LAB, "--backend", "sim"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)


def test_a_labs_home_that_cannot_be_created_exits_2_with_the_fix(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_check(str(blocker / "home"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot be created" in result.stderr and "set LABS_HOME to a folder you can write" in result.stderr


def _can_mount_read_only() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    probe = subprocess.run([unshare, "-m", "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_read_only(), reason="needs unshare and mount (root) for a read-only folder")
def test_a_read_only_labs_home_exits_2_with_the_fix(tmp_path):
    home = tmp_path / "ro-home"
    home.mkdir()
    script = (f"mount --bind {home} {home} && mount -o remount,bind,ro {home} && "
              f"LABS_HOME={home} LABS_BACKEND=sim exec {sys.executable} -m labs check {LAB} --backend sim")
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is not writable" in result.stderr
