"""A cluster error in a notebook cell is shown as its message, not as a Python traceback.

`ClusterError` messages already say what failed and what to do ("run lab.deploy() ..."); a trainee who
runs `lab.matrix(...)` after `lab.reset(confirm=True)` should read that sentence, not twenty lines of
the course's internals above it. Every other exception keeps IPython's full traceback, and `%tb`
still prints the traceback of a shortened one.
"""

from __future__ import annotations

import sys
from typing import Any

from labs.cluster.base import ClusterError

__all__ = ["shorten_cluster_errors", "short_text"]

_MARK = "_labs_short_cluster_errors"


def short_text(error: BaseException) -> str:
    """What the cell shows: the error's kind and message, and where the traceback still is."""
    return f"{type(error).__name__}: {error}\n(%tb shows where it was raised)\n"


def _show(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
    sys.stderr.write(short_text(value))
    return None


def shorten_cluster_errors(shell: Any | None = None) -> bool:
    """Install the short display in the running IPython shell (once); False outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if not getattr(shell, _MARK, False):
        shell.set_custom_exc((ClusterError,), _show)
        setattr(shell, _MARK, True)
    return True
