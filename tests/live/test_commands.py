"""The probe scripts run for real in /bin/sh with fake tools on PATH: right tool, right arguments, safe quoting."""

from __future__ import annotations

import subprocess

import pytest

from labs.cluster.live.commands import dns_command, http_command, ping_command
from labs.probes import HttpRequest

ECHO_ARGS = '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done; echo\n'
GNU_WGET = '#!/bin/sh\nif [ "$1" = "--version" ]; then exit 0; fi\n' + ECHO_ARGS.split("\n", 1)[1]
BUSYBOX_WGET = '#!/bin/sh\nif [ "$1" = "--version" ]; then exit 1; fi\n' + ECHO_ARGS.split("\n", 1)[1]


def run_in(tmp_path, tools: dict[str, str], argv: list[str]) -> subprocess.CompletedProcess:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    for name, text in tools.items():
        path = bindir / name
        path.write_text(text)
        path.chmod(0o755)
    assert argv[:2] == ["sh", "-c"]
    return subprocess.run(["/bin/sh", "-c", argv[2]], env={"PATH": str(bindir)}, capture_output=True, text=True,
                          timeout=10)


URL = "http://10.244.1.7:8080/api"

CASES = [
    ("curl-preferred", {"curl": ECHO_ARGS, "wget": GNU_WGET}, HttpRequest("GET", "/api"), 0, "curl",
     "[-sS][-o][-][-w][\\nciliumlab-http-status: %{http_code}\\n][--connect-timeout][2][--max-time][2][-X][GET]"
     "[http://10.244.1.7:8080/api]"),
    ("gnu-wget", {"wget": GNU_WGET}, HttpRequest("GET", "/api"), 0, "wget",
     "[-nv][--tries=1][-O][-][-T][2][http://10.244.1.7:8080/api]"),
    ("busybox-wget", {"wget": BUSYBOX_WGET}, HttpRequest("GET", "/api"), 0, "wget",
     "[-q][-O][-][-T][2][http://10.244.1.7:8080/api]"),
    ("headers-stay-one-argument", {"curl": ECHO_ARGS}, HttpRequest("GET", "/", (("X-Test", "a'; rm -rf / #"),)), 0,
     "curl", "[-H][X-Test: a'; rm -rf / #]"),
]


@pytest.mark.parametrize(("tools", "request_", "code", "tool", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_http_script_picks_the_tool_and_passes_arguments(tmp_path, tools, request_, code, tool, expected):
    done = run_in(tmp_path, tools, http_command(URL, request_, connect_timeout=2, timeout=2))
    assert done.returncode == code
    assert done.stderr.splitlines()[0] == f"ciliumlab-tool: {tool}"
    assert expected in done.stdout


MISSING = [
    ("nothing", {}, HttpRequest("GET", "/"), "neither curl nor wget is installed in this container"),
    ("post-without-curl", {"wget": GNU_WGET}, HttpRequest("POST", "/"),
     "curl is not installed in this container, and wget cannot send POST"),
]


@pytest.mark.parametrize(("tools", "request_", "message"), [c[1:] for c in MISSING], ids=[c[0] for c in MISSING])
def test_http_script_says_which_tool_is_missing(tmp_path, tools, request_, message):
    done = run_in(tmp_path, tools, http_command(URL, request_, connect_timeout=2, timeout=2))
    assert (done.returncode, done.stderr.strip()) == (127, message)


def test_dns_script_prefers_dig_with_one_try(tmp_path):
    done = run_in(tmp_path, {"dig": ECHO_ARGS, "nslookup": ECHO_ARGS}, dns_command("api.stripe.com", timeout=2.5))
    assert done.stdout.strip() == "[+search][+time=3][+tries=1][api.stripe.com][A]"


def test_dns_script_falls_back_to_nslookup(tmp_path):
    done = run_in(tmp_path, {"nslookup": ECHO_ARGS}, dns_command("api.stripe.com", timeout=2))
    assert (done.stderr.strip(), done.stdout.strip()) == ("ciliumlab-tool: nslookup", "[api.stripe.com]")


def test_ping_script_sends_one_echo(tmp_path):
    done = run_in(tmp_path, {"ping": ECHO_ARGS}, ping_command("192.168.56.10", timeout=5))
    assert done.stdout.strip() == "[-c][1][-W][5][192.168.56.10]"
