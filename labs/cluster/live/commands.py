"""The commands a probe runs inside the source pod: HTTP/TCP by curl (wget when curl is missing),
DNS by dig (nslookup when dig is missing), ICMP by ping.

Each is one `sh -c` script so that a single exec both picks the tool and runs it; the script
writes `ciliumlab-tool: NAME` to stderr first so the classifier knows which output format follows.
Every value is quoted with `shlex.quote`, so probe text cannot change the command.
"""

from __future__ import annotations

import math
import shlex

from labs.probes import HttpRequest

__all__ = ["http_command", "dns_command", "ping_command", "TOOL_MARK", "STATUS_MARK", "NO_TOOL_EXIT"]

TOOL_MARK = "ciliumlab-tool: "
STATUS_MARK = "ciliumlab-http-status: "
NO_TOOL_EXIT = 127


def _secs(value: float) -> str:
    return f"{max(value, 0.1):g}"


def _whole(value: float) -> str:
    return str(max(1, math.ceil(value)))


def http_command(url: str, request: HttpRequest | None, *, connect_timeout: float, timeout: float) -> list[str]:
    """curl with connect and total timeouts (body, then a status line); wget as the fallback for GET."""
    req = request or HttpRequest()
    curl = ["curl", "-sS", "-o", "-", "-w", f"\\n{STATUS_MARK}%{{http_code}}\\n",
            "--connect-timeout", _secs(connect_timeout), "--max-time", _secs(timeout), "-X", req.method]
    wget = ["-O", "-", "-T", _whole(timeout)]
    headers = list(req.headers)
    if req.host:
        headers.append(("Host", req.host))
    for key, value in headers:
        curl += ["-H", f"{key}: {value}"]
        wget += ["--header", f"{key}: {value}"]
    curl.append(url)
    wget.append(url)
    q = shlex.join
    script = (f"if command -v curl >/dev/null 2>&1; then echo '{TOOL_MARK}curl' >&2; exec {q(curl)}; fi; ")
    if req.method.upper() == "GET":
        # GNU wget (has --version) needs -nv to print errors and --tries=1; BusyBox wget prints them with -q.
        script += (f"if command -v wget >/dev/null 2>&1; then echo '{TOOL_MARK}wget' >&2; "
                   f"if wget --version >/dev/null 2>&1; then exec wget -nv --tries=1 {q(wget)}; fi; "
                   f"exec wget -q {q(wget)}; fi; ")
        missing = "neither curl nor wget is installed in this container"
    else:
        missing = f"curl is not installed in this container, and wget cannot send {req.method}"
    script += f"echo {shlex.quote(missing)} >&2; exit {NO_TOOL_EXIT}"
    return ["sh", "-c", script]


def dns_command(name: str, *, timeout: float) -> list[str]:
    """dig through the pod's resolver (search list on, one try), else nslookup."""
    dig = ["dig", "+search", f"+time={_whole(timeout)}", "+tries=1", name, "A"]
    nslookup = ["nslookup", name]
    script = (f"if command -v dig >/dev/null 2>&1; then echo '{TOOL_MARK}dig' >&2; exec {shlex.join(dig)}; fi; "
              f"if command -v nslookup >/dev/null 2>&1; then echo '{TOOL_MARK}nslookup' >&2; "
              f"exec {shlex.join(nslookup)}; fi; "
              f"echo 'neither dig nor nslookup is installed in this container' >&2; exit {NO_TOOL_EXIT}")
    return ["sh", "-c", script]


def ping_command(address: str, *, timeout: float) -> list[str]:
    """One echo request, waiting at most `timeout` seconds for the reply."""
    ping = ["ping", "-c", "1", "-W", _whole(timeout), address]
    script = (f"if command -v ping >/dev/null 2>&1; then echo '{TOOL_MARK}ping' >&2; exec {shlex.join(ping)}; fi; "
              f"echo 'ping is not installed in this container' >&2; exit {NO_TOOL_EXIT}")
    return ["sh", "-c", script]
