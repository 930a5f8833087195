"""`xdist_group` keeps a group on one worker (tests/conftest.py restores it under pytest 9).

The node-cluster tests rely on it: they share one cluster and one namespace, and on two workers at once one
test's teardown deleted what the other was probing. Run here in a child pytest with two workers.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CONFTEST = Path(__file__).with_name("conftest.py")


def test_a_group_spread_over_two_files_runs_on_one_worker(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent(f"""
        import importlib.util
        spec = importlib.util.spec_from_file_location("project_conftest", {str(CONFTEST)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        pytest_collection_modifyitems = module.pytest_collection_modifyitems
    """))
    for name in ("a", "b"):
        (tmp_path / f"test_{name}.py").write_text(textwrap.dedent(f"""
            import os, time, pytest
            pytestmark = pytest.mark.xdist_group("shared")

            @pytest.mark.parametrize("i", range(4))
            def test_{name}(i):
                time.sleep(0.1)
                with open("workers.txt", "a") as out:
                    out.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
        """))
    (tmp_path / "test_free.py").write_text("import time\n\ndef test_free():\n    time.sleep(0.5)\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist",
                           "loadgroup", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    workers = (tmp_path / "workers.txt").read_text().split()
    assert len(workers) == 8 and len(set(workers)) == 1, workers
