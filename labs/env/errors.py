"""The one exception of `labs env`: a full sentence with the way out, printed without a traceback."""

from __future__ import annotations

__all__ = ["EnvError"]


class EnvError(Exception):
    """A host command could not do its job; `exit_code` is 2 for bad input, 1 otherwise."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
