"""Version numbers of host tools, as printed by `vagrant --version`, `VBoxManage --version` and friends."""

from __future__ import annotations

import re

__all__ = ["parse_version", "version_text", "MIN_VAGRANT", "VIRTUALBOX_NEEDS_NEW_VAGRANT"]

MIN_VAGRANT = (2, 4, 9)
"""Vagrant 2.4.9 is the first release that drives VirtualBox 7.2 (7.1 since 2.4.2); the course requires it."""
VIRTUALBOX_NEEDS_NEW_VAGRANT = ((7, 1), (7, 2))

_NUMBERS = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """First dotted version in the text: "Vagrant 2.4.9" -> (2, 4, 9); "7.1.4r165100" -> (7, 1, 4)."""
    if not text:
        return None
    match = _NUMBERS.search(text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def version_text(version: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in version)
