"""The policy editor: YAML in a text box, with Validate, Apply, Check and Lint buttons.

The Lab wires in the four actions; the editor only shows their results, inline and with line
numbers, next to the lines they are about. Apply validates first and refuses invalid text, so
a typo never reaches the cluster. An action that raises is shown as a message, not a traceback.
With a `save` callable, every change of the text is handed to it at once, so what the trainee typed
is on disk before any button is pressed: a `%kubectl apply -f` cell, a `lab.check` cell, a page
reload or a restarted kernel all meet the text the editor shows.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import ipywidgets as widgets

from labs.richtext import left_aligned
from labs.widgets._common import AMBER, GREEN, GREY, RED, WidgetWrapper, esc, note

__all__ = ["PolicyEditor"]

_TABLE = ('<table style="border-collapse:collapse;font-size:12.5px;margin-top:4px">'
          "<tbody>{}</tbody></table>")


class PolicyEditor(WidgetWrapper):
    """`PolicyEditor(validate, apply, check=None, lint=None, initial_text="", save=None)`.

    validate(text) -> problems (`.line`, `.path`, `.message`, optionally `.column`); apply(text) -> summary text;
    check(text) -> something with `_repr_html_` or a str (the editor's text is what gets graded);
    lint(text) -> findings (`.line`, `.code`, `.severity`, `.message`, `.fix`); save(text) is called
    with the new text on every change (a failure is shown, the text stays in the editor).
    """

    lost_note = ("This editor belonged to an earlier run of the notebook (the page was reloaded or the kernel "
                 "restarted). Run this cell again (Shift+Enter) to get it back: your text is kept in your file.")

    def __init__(self, validate: Callable[[str], Sequence[Any]], apply: Callable[[str], Any],
                 check: Callable[[str], Any] | None = None, lint: Callable[[str], Sequence[Any]] | None = None,
                 initial_text: str = "", *, rows: int = 18, save: Callable[[str], Any] | None = None):
        self._validate, self._apply, self._check, self._lint = validate, apply, check, lint
        self._save = save
        self.status = "editing"
        """editing, valid, invalid, applied, not-applied, checked, linted or failed (what the last button did)."""
        self.problems: list[Any] = []
        self.findings: list[Any] = []
        self.text_area = widgets.Textarea(
            value=initial_text, placeholder="apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n...",
            layout=widgets.Layout(width="100%", height=f"{rows * 1.45 + 1:.0f}em"))
        self.text_area.add_class("labs-policy-text")
        if save is not None:
            self.text_area.observe(self._text_changed, names="value")
        self.validate_button = widgets.Button(description="Validate", icon="check-square", button_style="info",
                                              tooltip="check the YAML against the policy schema")
        self.apply_button = widgets.Button(description="Apply", icon="upload", button_style="primary",
                                           tooltip="validate, then apply to the cluster")
        self.check_button = widgets.Button(description="Check", icon="flag-checkered", button_style="success",
                                           tooltip="run this step's checks", disabled=check is None)
        self.lint_button = widgets.Button(description="Lint", icon="search", tooltip="look for known mistakes",
                                          disabled=lint is None)
        self.output = widgets.HTML(value="")
        self.output.add_class("labs-policy-result")
        self.validate_button.on_click(lambda _b: self.validate())
        self.apply_button.on_click(lambda _b: self.apply())
        self.check_button.on_click(lambda _b: self.check())
        self.lint_button.on_click(lambda _b: self.lint())
        buttons = [self.validate_button, self.apply_button]
        buttons += [b for b, fn in ((self.check_button, check), (self.lint_button, lint)) if fn is not None]
        self.widget = widgets.VBox([self.text_area, widgets.HBox(buttons), self.output],
                                   layout=widgets.Layout(width="100%"))
        self.widget.add_class("labs-policy-editor")

    @property
    def text(self) -> str:
        return self.text_area.value

    @text.setter
    def text(self, value: str) -> None:
        self.text_area.value = value

    def _text_changed(self, change: dict[str, Any]) -> None:
        """Hand the new text to `save` at once (the trainee's file follows the editor)."""
        if self._save is None:
            return
        try:
            self._save(change["new"])
        except Exception as exc:  # a full disk or a refused path: say so, keep the text in the editor
            self._failed("Saving your text", exc)

    # actions ---------------------------------------------------------------------------------

    def _show(self, html: str) -> None:
        self.output.value = html

    def _failed(self, action: str, exc: BaseException) -> None:
        self.status = "failed"
        self._show(note(f"{action} failed: {exc}", RED, bold=True)
                   + note("Nothing else was changed. Fix the cause above and try again.", GREY))

    def _run_validate(self) -> list[Any] | None:
        try:
            return list(self._validate(self.text))
        except Exception as exc:  # the Lab's action, shown to the trainee instead of a traceback
            self._failed("Validate", exc)
            return None

    def validate(self) -> list[Any]:
        """Run validate and show its problems; returns them ([] when the text is valid)."""
        problems = self._run_validate()
        if problems is None:
            return []
        self.problems = problems
        blocking = _blocking(problems)
        self.status = "invalid" if blocking else "valid"
        if not problems:
            self._show(note("✔ Valid: no problems found.", GREEN, bold=True))
        else:
            head = (f"✘ {len(blocking)} problem{'s' if len(blocking) != 1 else ''} found" if blocking
                    else f"✔ Valid, with {len(problems)} warning{'s' if len(problems) != 1 else ''}")
            self._show(note(head, RED if blocking else AMBER, bold=True) + self._problem_table(problems))
        return problems

    def apply(self) -> Any:
        """Validate, and apply only if nothing blocks; returns apply's summary or None."""
        problems = self._run_validate()
        if problems is None:
            return None
        self.problems = problems
        blocking = _blocking(problems)
        if blocking:
            self.status = "not-applied"
            self._show(note(f"✘ Not applied: fix {len(blocking)} problem{'s' if len(blocking) != 1 else ''} first.",
                            RED, bold=True) + self._problem_table(problems))
            return None
        try:
            summary = self._apply(self.text)
        except Exception as exc:
            self._failed("Apply", exc)
            return None
        self.status = "applied"
        self._show(note("✔ Applied.", GREEN, bold=True) + f'<pre style="margin:4px 0">{esc(summary)}</pre>'
                   + (self._problem_table(problems) if problems else ""))
        return summary

    def check(self) -> Any:
        """Run the step's checks on the text in the editor and show their result."""
        if self._check is None:
            return None
        try:
            result = self._check(self.text)
        except Exception as exc:
            self._failed("Check", exc)
            return None
        self.status = "checked"
        shown = result._repr_html_() if hasattr(result, "_repr_html_") else f"<pre>{esc(result)}</pre>"
        self._show(shown or f"<pre>{esc(result)}</pre>")
        return result

    def lint(self) -> list[Any]:
        if self._lint is None:
            return []
        try:
            findings = list(self._lint(self.text))
        except Exception as exc:
            self._failed("Lint", exc)
            return []
        self.findings = findings
        self.status = "linted"
        if not findings:
            self._show(note("✔ No known mistakes found.", GREEN, bold=True))
        else:
            self._show(note(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}:", AMBER, bold=True)
                       + self._finding_table(findings))
        return findings

    # rendering -------------------------------------------------------------------------------

    def _excerpt(self, line: int | None, column: int | None = None) -> str:
        """The line of the editor's text, with a caret under `column` when one is given."""
        lines = self.text.splitlines()
        if line is None or not 1 <= line <= len(lines):
            return ""
        shown = lines[line - 1].replace("\t", " ")  # a tab would push the caret off its character
        caret = f"\n    │ {' ' * (column - 1)}^" if column else ""
        return (f'<code style="white-space:pre;background:#f5f5f5;padding:0 4px;color:#37474f;display:inline-block">'
                f"{line:>3} │ {esc(shown)}{caret}</code>")

    def _problem_table(self, problems: Sequence[Any]) -> str:
        rows = []
        for p in sorted(problems, key=lambda p: (getattr(p, "line", None) or 0)):
            line = getattr(p, "line", None)
            severity = getattr(p, "severity", "error")
            color = RED if severity == "error" else AMBER
            path = getattr(p, "path", "") or ""
            column = getattr(p, "column", None)
            where = f"line {line}" if line is not None else "(no line)"
            where += f", column {column}" if line is not None and column else ""
            rows.append(
                f'<tr><td style="color:{color};padding:2px 8px 2px 0;white-space:nowrap;vertical-align:top">'
                f"{esc(where)}</td><td style=\"padding:2px 0\">"
                + (f'<b style="font-family:monospace">{esc(path)}</b>: ' if path else "")
                + f"{esc(getattr(p, 'message', p))}<br>{self._excerpt(line, column)}</td></tr>")
        return left_aligned(_TABLE.format("".join(rows)))

    def _finding_table(self, findings: Sequence[Any]) -> str:
        rows = []
        for f in sorted(findings, key=lambda f: (getattr(f, "line", None) or 0)):
            line = getattr(f, "line", None)
            severity = str(getattr(f, "severity", "warning"))
            color = RED if severity == "error" else AMBER if severity == "warning" else GREY
            fix = getattr(f, "fix", None)
            rows.append(
                f'<tr><td style="color:{color};padding:2px 8px 2px 0;white-space:nowrap;vertical-align:top">'
                f"{esc(f'line {line}' if line is not None else '(no line)')}</td>"
                f'<td style="padding:2px 0"><b>{esc(getattr(f, "code", ""))}</b> ({esc(severity)}): '
                f"{esc(getattr(f, 'message', f))}"
                + (f'<br><span style="color:{GREEN}">fix: {esc(fix)}</span>' if fix else "")
                + f"<br>{self._excerpt(line)}</td></tr>")
        return left_aligned(_TABLE.format("".join(rows)))


def _blocking(problems: Sequence[Any]) -> list[Any]:
    """Problems that stop an apply: all but those marked as warnings or infos."""
    return [p for p in problems if str(getattr(p, "severity", "error")) not in ("warning", "info")]
