"""The reply for a command line outside the simulated subset."""

from __future__ import annotations


def test_an_unsupported_line_never_says_not_modelled_twice():
    """The error line and the note each say something of their own (two lines, one message, before)."""
    from labs.commands.result import SIM_NOTE, unsupported

    said = unsupported("kubectl", "`sh` inside a pod is not modelled by the simulated cluster").stderr
    assert said.count("not modelled") + said.count("does not model") == 2
    assert "on a live cluster the real kubectl runs it" in said and SIM_NOTE in said
    plain = unsupported("kubectl", "kubectl port-forward").stderr
    assert plain == f"error: kubectl port-forward\n{SIM_NOTE} (kubectl).\n"
