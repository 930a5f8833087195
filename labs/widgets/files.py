"""An editor for a few text files at once (lab 09's install script and Service): one tab per file.

Every change of a tab's text is handed to `save(name, text)` at once, so the trainee's files always
hold what the tabs show; Check grades them and shows the result, Lint shows what is left to fix. The
files may live where JupyterLab's file browser cannot open them (LABS_HOME is `.labs/`, a hidden
folder, by default), so this editor is the way to change them from the notebook.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import ipywidgets as widgets

from labs.widgets._common import RED, WidgetWrapper, esc, note

__all__ = ["FilesEditor"]


class FilesEditor(WidgetWrapper):
    """`FilesEditor([(name, text), ...], save, check, lint)`: check() -> something with `_repr_html_`; lint() -> str."""

    def __init__(self, files: Sequence[tuple[str, str]], save: Callable[[str, str], Any],
                 check: Callable[[], Any], lint: Callable[[], str], *, rows: int = 20):
        self._save, self._check, self._lint = save, check, lint
        self.status = "editing"
        """editing, checked, linted or failed (what the last action did)."""
        self.areas: dict[str, widgets.Textarea] = {}
        for name, text in files:
            area = widgets.Textarea(value=text, layout=widgets.Layout(width="100%", height=f"{rows * 1.45 + 1:.0f}em"))
            area.add_class("labs-file-text")
            area.observe(lambda change, name=name: self._changed(name, change["new"]), names="value")
            self.areas[name] = area
        self.tabs = widgets.Tab(children=list(self.areas.values()))
        self.tabs.titles = tuple(self.areas)
        self.check_button = widgets.Button(description="Check", icon="flag-checkered", button_style="success",
                                           tooltip="grade your files")
        self.lint_button = widgets.Button(description="Lint", icon="search", tooltip="what lint finds in your files")
        self.check_button.on_click(lambda _b: self.check())
        self.lint_button.on_click(lambda _b: self.lint())
        self.output = widgets.HTML(value="")
        self.output.add_class("labs-files-result")
        self.widget = widgets.VBox([self.tabs, widgets.HBox([self.check_button, self.lint_button]), self.output],
                                   layout=widgets.Layout(width="100%"))
        self.widget.add_class("labs-files-editor")

    def text(self, name: str) -> str:
        return self.areas[name].value

    def _failed(self, action: str, exc: BaseException) -> None:
        self.status = "failed"
        self.output.value = note(f"{action} failed: {exc}", RED, bold=True)

    def _changed(self, name: str, text: str) -> None:
        try:
            self._save(name, text)
        except Exception as exc:  # a refused path or a full disk: said, and the text stays in the tab
            self._failed(f"Saving {name}", exc)

    def check(self) -> Any:
        try:
            result = self._check()
        except Exception as exc:
            self._failed("Check", exc)
            return None
        self.status = "checked"
        shown = result._repr_html_() if hasattr(result, "_repr_html_") else ""
        self.output.value = shown or f"<pre>{esc(result)}</pre>"
        return result

    def lint(self) -> str:
        try:
            text = self._lint()
        except Exception as exc:
            self._failed("Lint", exc)
            return ""
        self.status = "linted"
        self.output.value = f'<pre style="white-space:pre-wrap;margin:4px 0">{esc(text)}</pre>'
        return text
