"""The trainee's own files: exercise answers under `LABS_HOME/<lab>/`, never touched by a reset.

An exercise file starts as a copy of the lab's template (`manifests/<lab>/policies/...`) the first
time it is asked for and is never overwritten afterwards, except by `lab.solution(step, apply=True)`,
which keeps the previous text beside it. Solve mode (`LABS_SOLVE=1`) answers with the solution file
instead, without touching the trainee's copy.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Callable

import yaml

from labs.paths import inside_labs_home, lab_home, labs_home

__all__ = ["exercise_file", "solve_mode", "has_documents", "keep_and_replace", "labs_home",
           "save_keeping_previous", "follow_editor"]


def solve_mode() -> bool:
    """True when exercises should load their solutions (instructors, CI): LABS_SOLVE=1."""
    return os.environ.get("LABS_SOLVE", "").strip().lower() in ("1", "true", "yes", "on")


def exercise_file(lab_id: str, template: Path) -> Path:
    """The trainee's copy of an exercise template, created from it on first use (never through a link out)."""
    target = inside_labs_home(lab_home(lab_id) / template.name)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
    return target


def has_documents(text: str) -> bool:
    """Whether the text holds at least one YAML document (a template of comments holds none).

    Text that is not YAML counts as having documents, so that validation reports the error.
    """
    try:
        return any(doc is not None for doc in yaml.safe_load_all(text))
    except yaml.YAMLError:
        return True


def keep_and_replace(target: Path, new_text: str) -> Path | None:
    """Write new_text to target, keeping the old text as `<name>.<time>.bak`; return the backup path.

    A target whose real path (symbolic links followed) is outside LABS_HOME is refused.
    """
    inside_labs_home(target)
    backup = None
    if target.exists() and target.read_text(encoding="utf-8") != new_text:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = target.with_name(f"{target.name}.{stamp}.bak")
        shutil.copyfile(target, backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(new_text, encoding="utf-8")
    return backup


def save_keeping_previous(target: Path, new_text: str) -> Path | None:
    """Write what the editor holds to target; the text it replaces stays in `<name>.bak` (one level of undo).

    Returns the backup path when the file changed, None when it already held new_text.
    """
    if target.exists() and target.read_text(encoding="utf-8") == new_text:
        return None
    backup = target.with_name(f"{target.name}.bak")
    if target.exists():
        shutil.copyfile(target, backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(new_text, encoding="utf-8")
    return backup if backup.exists() else None


def follow_editor(target: Path) -> Callable[[str], None]:
    """A `save(text)` for an editor showing target: the file follows every change of the editor's text.

    The first change keeps the file's text as it was when the editor opened in `<name>.bak` (one level
    of undo, as the editor's buttons keep it); later changes only rewrite the file, so the backup is not
    replaced by the text of one keystroke earlier. The target must lie inside LABS_HOME.
    """
    inside_labs_home(target)
    first = True

    def save(text: str) -> None:
        nonlocal first
        if first:
            save_keeping_previous(target, text)
            first = False
        elif not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")

    return save
