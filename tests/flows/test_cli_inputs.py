"""`labs flows` on hostile input: every bad line named with its number, exit 2, no traceback, no hang."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from labs.__main__ import main
from labs.flows.cli import KNOWN_VERDICTS, MAX_LINE_CHARS

DATA = Path(__file__).parent / "data" / "sample.jsonl"
LINES = DATA.read_text().splitlines()


def test_a_verdict_hubble_does_not_have_is_refused_with_its_line(tmp_path, capsys):
    """flow.proto's Verdict enum: VERDICT_UNKNOWN, FORWARDED, DROPPED, ERROR, AUDIT, REDIRECTED, TRACED,
    TRANSLATED. Anything else is not a Hubble flow, so it is not printed as one."""
    record = json.loads(LINES[0])
    record["flow"]["verdict"] = "BANANA"
    path = tmp_path / "f.jsonl"
    path.write_text("\n".join([LINES[1], "", json.dumps(record), LINES[2]]) + "\n")
    assert main(["flows", "--input", str(path)]) == 2
    captured = capsys.readouterr()
    assert "BANANA" not in captured.out and len(captured.out.splitlines()) == 2
    assert "line 3: flow.verdict 'BANANA' is not a Hubble verdict" in captured.err
    assert {"FORWARDED", "DROPPED", "AUDIT", "REDIRECTED", "ERROR", "TRACED", "TRANSLATED"} < KNOWN_VERDICTS


def test_deeply_nested_json_is_a_malformed_line(tmp_path, capsys):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"flow": ' + "[" * 10_000 + "]" * 10_000 + "}\n" + LINES[0] + "\n")
    assert main(["flows", "--input", str(path)]) == 2
    captured = capsys.readouterr()
    assert "line 1 nests JSON too deeply" in captured.err and len(captured.out.splitlines()) == 1


def test_an_overlong_line_is_skipped_in_bounded_pieces(tmp_path, capsys):
    path = tmp_path / "long.jsonl"
    path.write_text("x" * (3 * MAX_LINE_CHARS) + "\n" + LINES[0] + "\n")
    assert main(["flows", "--input", str(path)]) == 2
    captured = capsys.readouterr()
    assert f"line 1 is longer than {MAX_LINE_CHARS} characters" in captured.err
    assert len(captured.out.splitlines()) == 1


def test_devices_are_refused_instead_of_read_forever():
    for device in ("/dev/zero", "/dev/urandom"):
        result = subprocess.run([sys.executable, "-m", "labs", "flows", "--input", device], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 2 and "is not a file" in result.stderr and "Traceback" not in result.stderr


def test_binary_garbage_lines_are_malformed_not_fatal(tmp_path, capsys):
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b"\x00\xff\xfe{{\n" + LINES[0].encode() + b"\n\x1b[31m\n")
    assert main(["flows", "--input", str(path)]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1 and "2 malformed lines" in captured.err
