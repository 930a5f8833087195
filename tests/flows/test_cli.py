from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labs.__main__ import main

DATA = Path(__file__).parent / "data" / "sample.jsonl"


def test_text_output_filtered(capsys):
    assert main(["flows", "--input", str(DATA), "--verdict", "DROPPED", "--to-namespace", "backend"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "10:00:04.004 frontend/client-6d8f9b7c4d-x2k9p:41003 -> backend/api-5f7b8c9d6b-m4n7q:8080 http-request DELETE "
        "http://api.backend:8080/api/v1/products/7 DROPPED [l7-denied]",
        "10:00:05.005 frontend/client-6d8f9b7c4d-x2k9p:41004 -> backend/db-0:5432 TCP SYN DROPPED "
        "[dropped: default deny, POLICY_DENIED]",
        "10:00:06.006 frontend/client-6d8f9b7c4d-x2k9p:41004 -> backend/db-0:5432 TCP SYN DROPPED "
        "[dropped: default deny, POLICY_DENIED]",
        "10:00:07.007 backend/api-5f7b8c9d6b-m4n7q:52000 -> backend/db-0:5432 TCP SYN policy-verdict DROPPED "
        "[dropped: deny rule, POLICY_DENY] by CiliumNetworkPolicy backend/db-deny-api",
    ]


def test_json_output_is_one_normalised_object_per_flow(capsys):
    assert main(["flows", "-i", str(DATA), "--json", "--protocol", "dns"]) == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["outcome"], o["l7"]["dns"]["query"], o["source"]["workload"]) for o in objects] == [
        ("forwarded", "api.github.com", "client"), ("refused", "evil.example.com", "client")]
    assert objects[0]["time"] == "2026-05-04T10:00:08.008000Z"


def test_edges_output(capsys):
    assert main(["flows", "-i", str(DATA), "--edges", "--from-pod", "backend/api"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "backend/api -> backend/db 5432/TCP: dropped: deny rule x1 (by CiliumNetworkPolicy backend/db-deny-api)",
        "backend/api -> fqdn:example.com 80/TCP: audit x1 (by CiliumClusterwideNetworkPolicy audit-egress)",
    ]


def test_nothing_matching_says_so(capsys):
    assert main(["flows", "-i", str(DATA), "--namespace", "nowhere"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"labs flows: no flows in {DATA} match namespace nowhere (14 flows read).\n"


def test_malformed_lines_are_named_and_the_rest_printed(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    lines = DATA.read_text().splitlines()
    bad.write_text("\n".join([lines[0], "not json", lines[1]]) + "\n")
    assert main(["flows", "-i", str(bad)]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    err = captured.err.splitlines()
    assert err[0].startswith(f"labs flows: {bad}: line 2 is not valid JSON (Expecting value: line 1 column 1")
    assert err[1] == f"labs flows: 1 malformed line skipped in {bad}; fix or remove it."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "/nonexistent/flows.jsonl"],
         "labs flows: cannot read '/nonexistent/flows.jsonl': No such file or directory. "
         "Pass a file written by `hubble observe -o jsonpb`.\n"),
        (["--input", str(DATA), "--verdict", "OK"],
         "labs flows: --verdict: verdict 'OK' is not one of FORWARDED, DROPPED, AUDIT, REDIRECTED, ERROR, TRACED, "
         "TRANSLATED\n"),
        (["--input", str(DATA), "--last", "0"], "labs flows: --last 0 must be 1 or more.\n"),
    ],
    ids=["missing-file", "bad-verdict", "bad-last"],
)
def test_invalid_input_exits_2(capsys, args, message):
    assert main(["flows", *args]) == 2
    assert capsys.readouterr().err == message


def test_reads_standard_input_and_survives_a_closed_pipe():
    proc = subprocess.run([sys.executable, "-m", "labs", "flows", "--json"], input=DATA.read_text() * 50,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 700
