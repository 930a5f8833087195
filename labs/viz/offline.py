"""Make a pyvis page self-contained and show it in a notebook without files or network.

pyvis inlines vis-network with `cdn_resources="in_line"` but still links Bootstrap from a CDN
and prints an empty heading twice; both are removed. The page is shown through an iframe's
`srcdoc`, which works in JupyterLab and VS Code notebooks and needs no file under the server root.
"""

from __future__ import annotations

import html
import re

__all__ = ["strip_external", "iframe", "message_box", "EXTERNAL_REFERENCE"]

_BOOTSTRAP = re.compile(r"<link[^>]*bootstrap[^>]*/?>|<script[^>]*bootstrap[^>]*>\s*</script>", re.S)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>", re.S)
EXTERNAL_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
"""An attribute that would make the browser fetch something from elsewhere."""


def strip_external(page: str) -> str:
    """Remove the Bootstrap CDN tags and pyvis's empty headings; refuse a page that still fetches anything."""
    page = _EMPTY_HEADING.sub("", _BOOTSTRAP.sub("", page))
    found = EXTERNAL_REFERENCE.search(page)
    if found:
        start = max(found.start() - 40, 0)
        raise ValueError(f"the graph page still references an external resource near {page[start:found.end() + 60]!r}; "
                         "it would not render offline")
    return page


def iframe(page: str, *, height: int, title: str = "") -> str:
    """HTML for a notebook output: the page in a sandbox-free srcdoc iframe (scripts must run)."""
    label = f' title="{html.escape(title)}"' if title else ""
    return (f'<div class="labs-flow-graph"><iframe srcdoc="{html.escape(page, quote=True)}"{label} '
            f'style="width:100%;height:{int(height)}px;border:1px solid #ddd;border-radius:4px" '
            'loading="eager"></iframe></div>')


def message_box(title: str, message: str, *, hint: str = "") -> str:
    """A visible note in place of a picture, e.g. why there is nothing to draw."""
    parts = [
        '<div class="labs-empty" style="border:1px dashed #9e9e9e;border-radius:4px;padding:12px 16px;'
        'background:#fafafa;color:#424242;font-family:sans-serif">',
    ]
    if title:
        parts.append(f'<div style="font-weight:600;margin-bottom:4px">{html.escape(title)}</div>')
    parts.append(f"<div>{html.escape(message)}</div>")
    if hint:
        parts.append(f'<div style="margin-top:6px;color:#616161;font-size:90%">{html.escape(hint)}</div>')
    parts.append("</div>")
    return "".join(parts)
