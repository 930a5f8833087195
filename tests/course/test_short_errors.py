"""A ClusterError in a notebook cell shows its message only; other errors keep the traceback.

Found in the browser: after `lab.reset(confirm=True)`, running `lab.matrix("identities")` showed a
ClusterError traceback through the course's internals, with "run lab.deploy()" at its very end.
"""

from __future__ import annotations

import re

import pytest

from labs.cluster.base import ClusterError

InteractiveShell = pytest.importorskip("IPython.core.interactiveshell").InteractiveShell


def _plain(captured) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", captured.out + captured.err)


@pytest.fixture
def shell():
    shell = InteractiveShell()
    shell.user_ns["ClusterError"] = ClusterError
    yield shell
    shell.set_custom_exc((), None)


def test_matrix_after_reset_says_deploy_without_a_traceback(shell, capsys, open_sim, monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)  # the notebook's shell, as open_lab sees it
    lab = open_sim("03-identity-default-deny")  # open_lab installs the short display
    assert lab.reset(confirm=True).ok
    shell.user_ns["lab"] = lab
    result = shell.run_cell('lab.matrix("identities")')
    out = capsys.readouterr()
    shown = _plain(out)
    assert isinstance(result.error_in_exec, ClusterError)  # still an error: Run All and nbclient stop on it
    assert "ClusterError: Lab 03-identity-default-deny is not deployed" in out.err
    assert "run lab.deploy()" in out.err
    assert "Traceback" not in shown and "session.py" not in shown


def test_other_errors_keep_their_traceback(shell, capsys):
    from labs.course.short_errors import shorten_cluster_errors

    assert shorten_cluster_errors(shell)
    shell.run_cell("def f():\n    raise ValueError('a bug')\nf()")
    shown = _plain(capsys.readouterr())
    assert "Traceback" in shown and "ValueError: a bug" in shown


def test_outside_ipython_nothing_is_installed():
    from labs.course.short_errors import shorten_cluster_errors

    assert shorten_cluster_errors(object()) is False
