"""Small HTML helpers for what lab calls show: `code` in backticks, and tables that read left to right.

Titles, hints and check notes are written in lab.yaml with Markdown backticks; shown raw they read as
noise. JupyterLab right-aligns table cells by default, which suits numbers but not probe names and
reasons, so the course's tables say `text-align:left` on every cell.
"""

from __future__ import annotations

import html
import re

__all__ = ["rich", "left_aligned"]

_CODE = re.compile(r"`([^`\n]+)`")
_CELL = re.compile(r"<(td|th)\b(\s+style=\")?", re.IGNORECASE)


def rich(text: str) -> str:
    """Escape text for HTML and show `backticked` parts as <code>."""
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(str(text)))


def left_aligned(table_html: str) -> str:
    """Every <td> and <th> of the HTML aligned left (an existing inline style is kept after it)."""
    def cell(match: re.Match[str]) -> str:
        tag = match.group(1)
        return f'<{tag} style="text-align:left;' if match.group(2) else f'<{tag} style="text-align:left"'

    return _CELL.sub(cell, table_html)
