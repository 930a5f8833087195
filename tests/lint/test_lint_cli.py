"""Is `python -m labs lint` output exactly what a trainee reads, and are the exit codes right?

Golden files live in tests/lint/golden/; after a deliberate change of wording, regenerate them with
`LINT_UPDATE_GOLDEN=1 pytest tests/lint/test_lint_cli.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from labs.__main__ import main

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"

# golden name, arguments (run from tests/lint/), exit code
CASES = [
    ("namespace-label-as-peer.txt", ["fixtures/namespace-label-as-peer.yaml"], 1),
    ("namespace-label-as-peer.json", ["fixtures/namespace-label-as-peer.yaml", "--json"], 1),
    ("quiet.txt", ["fixtures/namespace-label-as-peer.fixed.yaml", "fixtures/helm-hubble-ui-without-relay.fixed.yaml"],
     0),
    ("warnings-only.txt", ["fixtures/egress-deny-blocks-dns.yaml"], 0),
    ("service-rejected-by-loader.txt", ["fixtures/service-node-port-out-of-range.yaml"], 2),
    ("service-rejected-by-loader.json", ["fixtures/service-node-port-out-of-range.yaml", "--json"], 2),
    ("helm-values.txt", ["fixtures/helm-kube-proxy-replacement-strict.yaml",
                         "fixtures/helm-hubble-relay-node-port-4245.yaml"], 1),
    ("apex-with-probes.txt", ["fixtures/wildcard-pattern-misses-apex.yaml", "--probes", "scenarios/stripe-apex.yaml"],
     0),
    ("not-yaml.txt", ["fixtures/not-yaml.yaml", "fixtures/namespace-label-as-peer.yaml"], 2),
    ("missing-file.txt", ["fixtures/no-such-file.yaml"], 2),
]


@pytest.mark.parametrize(("golden", "args", "code"), CASES, ids=[c[0] for c in CASES])
def test_cli_output_matches_golden(golden, args, code, monkeypatch, capsys):
    """Does the command print exactly the golden text and exit with the documented code?"""
    monkeypatch.chdir(HERE)
    assert main(["lint", *args]) == code
    out = capsys.readouterr().out
    path = GOLDEN / golden
    if os.environ.get("LINT_UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")
    if golden.endswith(".json"):
        assert json.loads(out)["exit_code"] == code


def test_unreadable_probes_file_is_invalid_input(monkeypatch, capsys):
    """Does a --probes file that does not exist stop lint with exit 2 and a sentence naming it?"""
    monkeypatch.chdir(HERE)
    assert main(["lint", "fixtures/namespace-label-as-peer.yaml", "--probes", "scenarios/none.yaml"]) == 2
    assert capsys.readouterr().err == ("labs lint: The probes file 'scenarios/none.yaml' cannot be read "
                                       "(No such file or directory); check the path.\n")
