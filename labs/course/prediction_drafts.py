"""The trainee's predictions as they choose them, kept in their lab folder until they press Check.

A predict grid lives in the kernel: a reload of the page onto a new kernel, or a restart, used to lose
every cell already chosen. Each choice is written here (`LABS_HOME/<lab>/predictions/<step>.json`), and
a grid made again for the same step starts from it, so running the cell again gives the trainee their
grid back as they left it. A file that cannot be read is ignored (the grid starts empty); a file that
cannot be written is reported by the grid and changes nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labs.paths import check_lab_id, inside_labs_home, lab_home

__all__ = ["draft_path", "load_draft", "save_draft"]


def draft_path(lab_id: str, step_id: str) -> Path:
    return inside_labs_home(lab_home(lab_id) / "predictions" / f"{check_lab_id(step_id)}.json")


def load_draft(lab_id: str, step_id: str) -> dict[tuple[str, str], str]:
    """{(source, destination): outcome word} chosen so far; {} when nothing was chosen or the file is unreadable."""
    path = draft_path(lab_id, step_id)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(rows, list):
        return {}
    return {(r["from"], r["to"]): r["predicted"] for r in rows if isinstance(r, dict)
            and all(isinstance(r.get(k), str) for k in ("from", "to", "predicted"))}


def save_draft(lab_id: str, step_id: str, predictions: Mapping[tuple[str, str], Any]) -> Path:
    """Write the cells chosen so far (unset cells are left out), replacing the previous draft at once."""
    path = draft_path(lab_id, step_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"from": s, "to": d, "predicted": str(getattr(v, "value", v))}
            for (s, d), v in predictions.items() if v is not None]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path
