"""Test doubles for the live backend: a PodExec that answers from a script of recorded outputs."""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

from labs.cluster.live.execpod import ExecResult


class ScriptedExec:
    """Answers each exec with `answer(namespace, pod, argv)`; records calls and the peak concurrency."""

    def __init__(self, answer: Callable[[str, str, Sequence[str]], ExecResult], delay: float = 0.0):
        self.answer = answer
        self.delay = delay
        self.calls: list[tuple[str, str, list[str], str | None, float]] = []
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()

    def run(self, namespace, pod, argv, *, container=None, timeout):
        with self._lock:
            self.calls.append((namespace, pod, list(argv), container, timeout))
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            return self.answer(namespace, pod, argv)
        finally:
            with self._lock:
                self.active -= 1


def curl_answer(status: int, body: str = "") -> ExecResult:
    return ExecResult(0, f"{body}\nciliumlab-http-status: {status}\n", "ciliumlab-tool: curl\n")


def curl_timeout(seconds: float = 5) -> ExecResult:
    ms = int(seconds * 1000) + 1
    return ExecResult(28, "\nciliumlab-http-status: 000\n",
                      f"ciliumlab-tool: curl\ncurl: (28) Connection timed out after {ms} milliseconds\n")
