"""Small pieces shared by the widgets: showing a widget-owning object, coloured messages, escaping."""

from __future__ import annotations

import html
from typing import Any

from labs.outcomes import FAIL_COLOR, PASS_COLOR, WARN_COLOR

__all__ = ["WidgetWrapper", "note", "esc", "GREEN", "RED", "AMBER", "GREY"]

GREEN, RED, AMBER = PASS_COLOR, FAIL_COLOR, WARN_COLOR
GREY = "#616161"


def esc(value: Any) -> str:
    return html.escape(str(value))


def note(text: str, color: str = GREY, *, bold: bool = False) -> str:
    """One coloured line of HTML (text is escaped)."""
    weight = "font-weight:600;" if bold else ""
    return f'<div style="color:{color};{weight}margin:2px 0">{esc(text)}</div>'


class WidgetWrapper:
    """Objects with a `widget` attribute display as that widget in a notebook."""

    widget: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
