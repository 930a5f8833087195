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
    """Objects with a `widget` attribute display as that widget in a notebook.

    Beside the widget goes a note that JupyterLab shows only if it cannot find the widget any more
    (the page reloaded onto a new kernel): `lost_note` says to run the cell again (`labs.widgets.lost`).
    """

    widget: Any
    lost_note = ("This widget belonged to an earlier run of the notebook (the page was reloaded or the kernel "
                 "restarted). Run this cell again (Shift+Enter) to get it back.")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        from IPython.display import display, publish_display_data

        from labs.widgets.lost import lost_widget_note

        display(self.widget)
        publish_display_data(lost_widget_note(self.lost_note), metadata={})
