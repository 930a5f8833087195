"""What a `%kubectl` / `%hubble` / `%cilium-dbg` cell shows besides the command's own output.

The command's stdout goes to the cell's stdout stream exactly as the tool prints it; nothing here is
added to it. Two things are shown beside it, as separate display outputs:

- A hidden style marker before the command runs. JupyterLab wraps every stream line at the output's
  width (`.jp-OutputArea-output pre { white-space: pre-wrap }`), which folds a 150-column table such as
  `cilium-dbg endpoint list` into an unreadable staircase. The marker's rule applies to the stdout outputs
  that follow it in the same output area only: their lines are kept whole and the output scrolls
  sideways, as in a wide terminal. hubble's flow lines are left to wrap: each ends with its verdict,
  which a trainee must not have to scroll to.
- A course note after a `hubble observe` that printed nothing: hubble prints no line when no flow
  matches, which reads as "did anything run?". The note says no flow matched and what to try; it is
  styled as the course's voice, not as output.
"""

from __future__ import annotations

import html

from labs.outcomes import NOTE_BACKGROUND, NOTE_COLOR

__all__ = ["NOWRAP_CLASS", "UNWRAPPED_TOOLS", "empty_observe_note", "nowrap_marker", "show"]

NOWRAP_CLASS = "labs-cmd-nowrap"
UNWRAPPED_TOOLS = ("kubectl", "cilium", "cilium-dbg")
"""Tools whose output is mostly tables; hubble's flow lines keep wrapping (the verdict is at the end)."""

_STDOUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]'
_MARKED = f".jp-OutputArea-child:has(.{NOWRAP_CLASS})"
_STYLE = (f"{_MARKED}{{display:none}}"
          f"{_MARKED} ~ .jp-OutputArea-child {_STDOUT} pre"
          "{white-space:pre;word-break:normal;overflow-wrap:normal;overflow-x:auto}")


def nowrap_marker() -> dict[str, str]:
    """The hidden HTML output that keeps the following stdout lines of its cell unwrapped (JupyterLab)."""
    return {"text/html": f'<div class="{NOWRAP_CLASS}"><style>{_STYLE}</style></div>'}


_FILTER_HINTS = (
    ("verdict", "drop `--verdict` to see every verdict"),
    ("from-pod", "use `--pod` instead of `--from-pod` to see both directions"),
    ("to-pod", "use `--pod` instead of `--to-pod` to see both directions"),
)


def _given_flags(argv: list[str]) -> list[str]:
    return [w.split("=", 1)[0].lstrip("-") for w in argv if w.startswith("--")]


def empty_observe_note(argv: list[str]) -> dict[str, str] | None:
    """The course note for a `hubble observe` that printed nothing, or None for any other command."""
    if not argv or argv[0] != "observe":
        return None
    given = _given_flags(argv[1:])
    tries = ["send the traffic first (run the probe, `curl` or `nslookup` cell above), then observe again"]
    tries += [hint for flag, hint in _FILTER_HINTS if flag in given]
    if "last" in given:
        tries.append("raise `--last`, or drop it")
    if not any(flag in given for flag in ("verdict", "from-pod", "to-pod", "last")):
        tries.append("drop a filter or two to see what was recorded")
    heading = "No flow matched, so hubble printed nothing (it prints no line when no flow matches)."
    text = f"Course note: {heading}\nTry:\n" + "".join(f"  - {t.replace('`', '')}\n" for t in tries)
    items = "".join(f"<li>{_code(t)}</li>" for t in tries)
    html_note = (f'<div class="labs-course-note" style="border-left:4px solid {NOTE_COLOR};'
                 f'background:{NOTE_BACKGROUND};padding:6px 10px;margin:4px 0;'
                 f'font-family:var(--jp-ui-font-family,sans-serif);'
                 f'font-size:13px;color:#1f2328"><b>Course note</b> (not part of hubble\'s output): '
                 f"{html.escape(heading)}<br>Try:<ul style=\"margin:2px 0 0 0\">{items}</ul></div>")
    return {"text/html": html_note, "text/plain": text}


def _code(text: str) -> str:
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def show(bundle: dict[str, str]) -> None:
    """Publish a display output in the running kernel; nothing outside IPython."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        return
    if not InteractiveShell.initialized():
        return
    from IPython.display import publish_display_data

    publish_display_data(bundle, metadata={})
