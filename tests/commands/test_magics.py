"""The %kubectl / %hubble / %cilium / %cilium-dbg magics in a real IPython shell and a real notebook.

Simulated backend: the line goes to the tool's module (outputs are those of tests/commands/*).
Live backend: a real subprocess runs with the lab's kubeconfig in KUBECONFIG (never on the command line),
hubble and cilium-dbg fall back to `kubectl exec -n kube-system ds/cilium -c cilium-agent --` when the
host has no such binary, output streams, and a command past its timeout is stopped. The "binaries" here
are small scripts that report how they were called.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from magic_notebook import DENY_API, execute_cells, sim_cluster_cell  # tests/commands/magic_notebook.py

import labs.commands as commands
from labs.commands.magics import run_command, split_timeout
from labs.probes import Probe, parse_target


@pytest.fixture
def shell(sim):
    from IPython.core.interactiveshell import InteractiveShell

    sim.apply(DENY_API)
    sim.probe(Probe("frontend/other", parse_target("backend/api"), 8080))
    ip = InteractiveShell.instance()
    ip.run_cell("%load_ext labs.commands", store_history=False)
    previous = commands.CLUSTER
    commands.CLUSTER = sim
    yield ip
    commands.CLUSTER = previous


def run(ip, cell, capsys):
    result = ip.run_cell(cell, store_history=False)
    result.raise_error()
    return capsys.readouterr()


def test_line_magics_print_what_the_tool_prints(shell, sim, capsys):
    from labs.commands import cilium, hubble

    out = run(shell, "%hubble observe --last 3", capsys)
    assert out.out == hubble.run(["observe", "--last", "3"], sim).stdout and out.err == ""
    assert run(shell, "%cilium status", capsys).out == cilium.run(["status"], sim).stdout
    dbg = cilium.run_dbg(["endpoint", "list"], sim).stdout
    assert run(shell, "%cilium-dbg endpoint list", capsys).out == dbg
    assert run(shell, "%cilium_dbg endpoint list", capsys).out == dbg
    assert commands.LAST is not None and commands.LAST.stdout == dbg


def test_variables_expand_like_bang_lines(shell, capsys):
    shell.user_ns["pod"] = "frontend/other"
    out = run(shell, "%hubble observe --from-pod {pod} --verdict DROPPED", capsys)
    assert out.out.count("frontend/other") == 2 and "Policy denied DROPPED" in out.out  # verdict + drop
    shell.user_ns["verdict"] = "DROPPED"
    assert run(shell, "%hubble observe --verdict $verdict --from-pod {pod}", capsys).out == out.out


def test_cell_magic_passes_the_body_as_stdin(shell, capsys, monkeypatch):
    seen = {}

    def fake(argv, cluster, stdin=None):
        seen.update(argv=argv, stdin=stdin)
        return commands.CommandResult(stdout="ok\n")

    monkeypatch.setattr("labs.commands.magics._sim_runner", lambda tool: fake)
    out = run(shell, "%%kubectl apply -f -\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", capsys)
    assert out.out == "ok\n"
    assert seen == {"argv": ["apply", "-f", "-"], "stdin": "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"}


def test_errors_go_to_stderr_with_the_exit_code(shell, capsys):
    out = run(shell, "%hubble observe --verdict nope", capsys)
    assert out.out == ""
    assert out.err == ('Error: invalid argument "nope" for "--verdict" flag: invalid --verdict value: nope\n'
                       "[exit code 1]\n")


@pytest.mark.parametrize(("words", "expected"), [
    (["--timeout", "30", "get", "pods"], (30.0, ["get", "pods"])),
    (["--timeout=2.5s", "observe"], (2.5, ["observe"])),
    (["get", "--timeout", "3"], (None, ["get", "--timeout", "3"])),
])
def test_timeout_is_read_before_the_tool_words(words, expected):
    assert split_timeout(words) == expected


def test_bad_timeout_is_a_usage_error(shell, capsys):
    out = run(shell, "%hubble --timeout soon observe", capsys)
    assert out.err == "error: --timeout 'soon' is not a number of seconds\n[exit code 2]\n"


# --- live backend: real subprocesses ---------------------------------------------------------------

FAKE = textwrap.dedent("""\
    #!{python}
    import json, os, sys, time
    args = sys.argv[1:]
    if "sleep" in args:
        print("started", flush=True)
        time.sleep(30)
    body = sys.stdin.read() if not sys.stdin.isatty() else ""
    print(json.dumps({{"tool": os.path.basename(sys.argv[0]), "args": args, "stdin": body,
                      "kubeconfig": os.environ.get("KUBECONFIG")}}))
    print("to stderr", file=sys.stderr)
    sys.exit(3 if "fail" in args else 0)
""")


@pytest.fixture
def live(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(FAKE.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    return SimpleNamespace(backend="live", connection=SimpleNamespace(choice=SimpleNamespace(
        path_text=str(kubeconfig))), bin=bin_dir, kubeconfig=str(kubeconfig))


def _report(result):
    return json.loads(result.stdout.splitlines()[0])


def test_live_kubectl_runs_verbatim_with_the_kubeconfig_in_the_environment(live):
    streamed = []
    result = run_command("kubectl", "apply -f - --dry-run=server", live, stdin="kind: Namespace\n",
                         on_output=lambda stream, text: streamed.append((stream, text)))
    report = _report(result)
    assert report == {"tool": "kubectl", "args": ["apply", "-f", "-", "--dry-run=server"],
                      "stdin": "kind: Namespace\n", "kubeconfig": live.kubeconfig}
    assert live.kubeconfig not in report["args"]
    assert ("stderr", "to stderr\n") in streamed and result.exit_code == 0


def test_live_hubble_and_cilium_dbg_go_through_the_agent_when_the_host_has_no_binary(live):
    report = _report(run_command("hubble", "observe --last 5", live, on_output=None))
    assert report["args"] == ["exec", "-n", "kube-system", "ds/cilium", "-c", "cilium-agent", "--", "hubble",
                              "observe", "--last", "5"]
    report = _report(run_command("cilium-dbg", "endpoint list", live, on_output=None))
    assert report["args"][-3:] == ["cilium-dbg", "endpoint", "list"]
    cli = run_command("cilium", "status", live, on_output=None)
    assert cli.exit_code == 1 and "cilium CLI is not installed" in cli.stderr


def test_live_host_binary_is_preferred(live):
    hubble = live.bin / "hubble"
    hubble.write_text((live.bin / "kubectl").read_text())
    hubble.chmod(0o755)
    report = _report(run_command("hubble", "observe --last 5", live, on_output=None))
    assert report["tool"] == "hubble" and report["args"] == ["observe", "--last", "5"]


def test_live_exit_code_and_timeout(live):
    assert run_command("kubectl", "fail", live, on_output=None).exit_code == 3
    streamed = []
    result = run_command("kubectl", "--timeout 1 sleep", live, on_output=lambda s, t: streamed.append(t))
    assert result.exit_code == 124 and "stopped after 1 s" in result.stderr
    assert streamed[0] == "started\n"  # streamed before the command was stopped


# --- open_lab and a real notebook ------------------------------------------------------------------

def test_open_lab_binds_the_magics_to_the_lab(monkeypatch):
    from labs.course.session import open_lab

    monkeypatch.setattr(commands, "CLUSTER", None)
    lab = open_lab("00-environment", backend="sim")
    assert commands.CLUSTER is lab.cluster


def test_a_notebook_uses_every_magic(tmp_path, workloads_yaml):
    cells = [
        sim_cluster_cell(workloads_yaml),
        "%load_ext labs.commands",
        "src = 'frontend/other'\n%hubble observe --verdict DROPPED --from-pod {src}",
        "%cilium status --wait",
        "%cilium-dbg endpoint list",
        "%cilium_dbg identity list",
        "%%kubectl apply -f -\napiVersion: v1\nkind: Namespace\nmetadata: {name: from-a-cell}",
    ]
    nb = execute_cells(cells, tmp_path)

    def text(index, name="stdout"):
        return "".join(o.get("text", "") for o in nb.cells[index].outputs if o.get("name") == name)

    assert "Policy denied DROPPED" in text(2)
    assert "Cilium:             OK" in text(3)
    assert text(4).startswith("ENDPOINT   POLICY (ingress)")
    assert text(5).startswith("ID      LABELS\n1       reserved:host\n")
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.outputs)
    kubectl = text(6) + text(6, "stderr")
    assert "from-a-cell" in kubectl or "kubectl is not available on the simulated cluster" in kubectl


def test_open_lab_in_a_kernel_loads_the_magics(tmp_path):
    cells = ['from labs.course import open_lab\nlab = open_lab("00-environment")', "%hubble status",
             "%cilium-dbg identity list"]
    nb = execute_cells(cells, tmp_path)
    outputs = ["".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout") for cell in nb.cells]
    assert outputs[1].startswith("Healthcheck (via localhost:4245): Ok\n")
    assert outputs[2].startswith("ID      LABELS\n")


def test_notebook_magics_cells_have_no_setup_of_their_own():
    # design check: a notebook cell is just the command line (see labs/commands/magics.py docstring)
    doc = Path(commands.__file__).with_name("magics.py").read_text()
    assert "%kubectl apply -f policy.yaml" in doc
