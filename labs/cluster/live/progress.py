"""A progress bar for waits: an ipywidgets bar inside a notebook, a single rewritten line in a terminal,
nothing when output goes to a file. Waiting code only calls `update(done, total, text)` and `close()`.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO

__all__ = ["Progress", "NullProgress", "TextProgress", "WidgetProgress", "make_progress"]


class Progress(Protocol):
    def update(self, done: int, total: int, text: str) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    def update(self, done: int, total: int, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class TextProgress:
    """`[#####-----] 3/6 waiting for: Deployment web/api (1/2 ready)` rewritten in place."""

    def __init__(self, title: str, stream: TextIO | None = None, width: int = 20):
        self.title = title
        self.stream = stream or sys.stderr
        self.width = width
        self._last = ""

    def update(self, done: int, total: int, text: str) -> None:
        filled = int(self.width * done / total) if total else self.width
        line = f"{self.title} [{'#' * filled}{'-' * (self.width - filled)}] {done}/{total} {text}"[:160]
        if line != self._last:
            self.stream.write("\r" + line.ljust(len(self._last)))
            self.stream.flush()
            self._last = line

    def close(self) -> None:
        if self._last:
            self.stream.write("\n")
            self.stream.flush()


class WidgetProgress:
    def __init__(self, title: str):
        import ipywidgets
        from IPython.display import display

        self.bar = ipywidgets.IntProgress(value=0, min=0, max=1, description=title[:20])
        self.label = ipywidgets.Label("")
        self.box: Any = ipywidgets.HBox([self.bar, self.label])
        display(self.box)

    def update(self, done: int, total: int, text: str) -> None:
        self.bar.max = max(total, 1)
        self.bar.value = done
        self.label.value = text

    def close(self) -> None:
        self.bar.bar_style = "success" if self.bar.value >= self.bar.max else "warning"


def make_progress(title: str) -> Progress:
    """The right bar for where the output goes."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell":
            return WidgetProgress(title)
    except Exception:  # IPython or ipywidgets missing: fall back to text
        pass
    if getattr(sys.stderr, "isatty", lambda: False)():
        return TextProgress(title)
    return NullProgress()
