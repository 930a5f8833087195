"""A clear line in place of "Error displaying widget: model not found" after a reload.

JupyterLab saves a widget's output in the notebook as a reference to a model that lives in the kernel.
When the page is reloaded onto a new kernel (or the kernel was restarted), the reference points at
nothing and JupyterLab prints its own error where the grid or editor was. Every course widget is
shown with a hidden note beside it, in the same output area; a style rule in the note shows it, and
hides JupyterLab's error, only when a widget output of that cell is in that error state (its output
node then holds the error text and carries JupyterLab's `jupyter-widgets` class). Frontends
that do not run JupyterLab's styles never show the note (it is hidden inline).
"""

from __future__ import annotations

import html

from labs.outcomes import NOTE_BACKGROUND, NOTE_COLOR

__all__ = ["LOST_CLASS", "lost_widget_note"]

LOST_CLASS = "labs-widget-lost"
_LOST_WIDGET = ".jp-OutputArea-output.jupyter-widgets"
"""JupyterLab's widget renderer adds `jupyter-widgets` to its own node only when it shows an error
(@jupyter-widgets/jupyterlab-manager `WidgetRenderer.renderModel`); a working widget has it on its child."""
_STYLE = (f".jp-OutputArea-child:has(.{LOST_CLASS}){{display:none}}"
          f".jp-OutputArea:has({_LOST_WIDGET}) .jp-OutputArea-child:has(.{LOST_CLASS}){{display:flex}}"
          f".jp-OutputArea:has({_LOST_WIDGET}) .{LOST_CLASS}{{display:block !important}}"
          f".jp-OutputArea:has(.{LOST_CLASS}) .jp-OutputArea-child:has(> {_LOST_WIDGET}){{display:none}}")


def lost_widget_note(text: str) -> dict[str, str]:
    """The HTML output shown beside a widget: hidden, unless JupyterLab lost the widget's model."""
    return {"text/html": (
        f'<div class="{LOST_CLASS}" style="display:none;border-left:4px solid {NOTE_COLOR};'
        f'background:{NOTE_BACKGROUND};padding:6px 10px;margin:4px 0;color:#1f2328;font-size:13px">'
        f"<style>{_STYLE}</style>&#8635; {html.escape(text)}</div>")}
