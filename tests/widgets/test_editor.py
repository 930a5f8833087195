from __future__ import annotations

from dataclasses import dataclass

import pytest

from labs.widgets import PolicyEditor

TEXT = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nspec:\n  egress:\n  - toPort: 80\n"


@dataclass
class Problem:
    message: str
    line: int | None = None
    path: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        return f"line {self.line}: {self.path}: {self.message}"


@dataclass
class Finding:
    line: int
    code: str
    severity: str
    message: str
    fix: str


def _validate(text):
    return [Problem("unknown field 'toPort'; did you mean 'toPorts'?", n, "spec.egress[0].toPort")
            for n, line in enumerate(text.splitlines(), 1) if "toPort:" in line]


class Calls:
    def __init__(self):
        self.applied: list[str] = []

    def apply(self, text):
        self.applied.append(text)
        return "ciliumnetworkpolicy.cilium.io/allow-api configured"


def test_validate_shows_problems_inline_with_line_numbers():
    editor = PolicyEditor(_validate, Calls().apply, initial_text=TEXT)
    editor.validate_button.click()
    assert editor.status == "invalid"
    html = editor.output.value
    assert "✘ 1 problem found" in html
    assert "line 5" in html and "spec.egress[0].toPort" in html
    assert "unknown field &#x27;toPort&#x27;; did you mean &#x27;toPorts&#x27;?" in html
    assert "  5 │   - toPort: 80" in html


def test_apply_refuses_invalid_text_and_applies_valid_text():
    calls = Calls()
    editor = PolicyEditor(_validate, calls.apply, initial_text=TEXT)
    editor.apply_button.click()
    assert editor.status == "not-applied" and calls.applied == []
    assert "✘ Not applied: fix 1 problem first." in editor.output.value
    editor.text = TEXT.replace("toPort:", "toPorts:")
    editor.apply_button.click()
    assert editor.status == "applied" and calls.applied == [editor.text]
    assert "ciliumnetworkpolicy.cilium.io/allow-api configured" in editor.output.value


def test_warnings_do_not_block_apply():
    calls = Calls()
    editor = PolicyEditor(lambda t: [Problem("port 443 with DNS rules", 2, "spec", "warning")], calls.apply,
                          initial_text="x: 1\ny: 2\n")
    assert editor.apply() == "ciliumnetworkpolicy.cilium.io/allow-api configured"
    assert "port 443 with DNS rules" in editor.output.value


@pytest.mark.parametrize("button", ["validate", "apply", "check", "lint"])
def test_a_failing_action_is_shown_not_raised(button):
    def boom(*_args):
        raise RuntimeError("the API server at 127.0.0.1:6443 refused the connection")

    editor = PolicyEditor(boom if button == "validate" else lambda _t: [], boom, check=boom, lint=boom,
                          initial_text="a: 1")
    getattr(editor, f"{button}_button").click()
    assert editor.status == "failed"
    assert f"{button.capitalize()} failed: the API server at 127.0.0.1:6443 refused the connection" in (
        editor.output.value)


def test_check_and_lint_results():
    class Report:
        def __init__(self, text):
            self.text = text

        def _repr_html_(self):
            return "<b>3 of 3 steps pass</b>"

    findings = [Finding(5, "L004", "warning", "toPorts with port 443 carries no DNS rule", "use port 53")]
    editor = PolicyEditor(_validate, Calls().apply, check=Report, lint=lambda _t: findings, initial_text=TEXT)
    editor.check_button.click()
    assert editor.output.value == "<b>3 of 3 steps pass</b>"
    editor.lint_button.click()
    html = editor.output.value
    assert "1 finding:" in html and "<b>L004</b> (warning)" in html and "fix: use port 53" in html
    assert "line 5" in html


def test_check_and_lint_buttons_only_when_wired():
    editor = PolicyEditor(_validate, Calls().apply)
    descriptions = [b.description for b in editor.widget.children[1].children]
    assert descriptions == ["Validate", "Apply"]
    assert editor.check() is None and editor.lint() == []
