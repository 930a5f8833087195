"""`curl` inside a pod (curlimages/curl 8.11), answered from the simulated network.

Flags: `-s -S -m N -o FILE -w FORMAT -X METHOD -I -H HEADER --connect-timeout N -f -L -k` in curl's forms
(`-sS`, `-m5`, `--max-time 5`, `--max-time=5` is not curl syntax and is refused as curl refuses it).
Messages and exit codes are curl's (curl `lib/strerror.c`, `lib/multi.c` `multi_handle_timeout`,
`src/tool_operate.c`; `docs/cmdline-opts/write-out.md` for `%{http_code}`, which prints `000` when no
response arrived):
- a drop while connecting: exit 28, `curl: (28) Connection timed out after <ms> milliseconds`;
- a resolver that does not answer within the time limit: exit 28, `Resolving timed out after <ms> ...`;
- a name that does not resolve (NXDOMAIN, REFUSED): exit 6, `curl: (6) Could not resolve host: <name>`;
- nothing listening: exit 7, `Failed to connect to <host> port <port> after 0 ms: Couldn't connect to server`;
- `-f` and a status >= 400: exit 22, `curl: (22) The requested URL returned error: <status>`.
`-s` hides these messages, `-S` shows them again. Without `-s` curl draws its progress meter on stderr
(stdout is not a terminal under `kubectl exec`); its timings cannot be simulated, so that case gets the
simulation note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from labs.commands.kubectl.netclient import (
    ACCESS_DENIED_BODY,
    LOCAL_NOTE,
    RESOLVER_TIMEOUT_S,
    ServerReply,
    connect,
    is_local,
    lookup_host,
    server_reply,
)
from labs.commands.result import CommandResult, unsupported
from labs.outcomes import Outcome
from labs.probes import HttpRequest

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["run_curl"]

_SHORT_VALUE = {"m": "max-time", "o": "output", "w": "write-out", "X": "request", "H": "header"}
_SHORT_BOOL = {"s": "silent", "S": "show-error", "I": "head", "f": "fail", "L": "location", "k": "insecure"}
_LONG_VALUE = {"max-time", "output", "write-out", "request", "header", "connect-timeout"}
_LONG_BOOL = {"silent", "show-error", "head", "fail", "location", "insecure"}
_UNMODELLED = {"v", "verbose", "i", "include", "d", "data", "data-raw", "resolve", "u", "user", "x", "proxy",
               "trace", "trace-ascii", "D", "dump-header", "c", "cookie-jar", "b", "cookie", "http2", "F", "form",
               "T", "upload-file", "retry", "4", "6", "ipv4", "ipv6", "N", "no-buffer", "O", "remote-name"}


@dataclass
class CurlArgs:
    flags: set[str] = field(default_factory=set)
    values: dict[str, str] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


class _Usage(Exception):
    pass


def _unknown(option: str) -> CommandResult:
    return CommandResult(stderr=f"curl: option {option}: is unknown\ncurl: try 'curl --help' or 'curl --manual' "
                                "for more information\n", exit_code=2)


def _parse(argv: list[str]) -> CurlArgs | CommandResult:
    args = CurlArgs()
    i = 0

    def value(name: str, option: str) -> str:
        nonlocal i
        if i >= len(argv):
            raise _Usage(f"curl: option {option}: requires parameter\ncurl: try 'curl --help' or 'curl --manual' "
                         "for more information\n")
        i += 1
        return argv[i - 1]

    try:
        while i < len(argv):
            arg = argv[i]
            i += 1
            if arg.startswith("--") and len(arg) > 2:
                name = arg[2:]
                if name in _UNMODELLED:
                    return unsupported("curl", f"curl {arg} is not modelled by the simulated cluster")
                if name in _LONG_BOOL:
                    args.flags.add(name)
                elif name in _LONG_VALUE:
                    v = value(name, arg)
                    if name == "header":
                        args.headers.append(v)
                    else:
                        args.values[name] = v
                else:
                    return _unknown(arg)
            elif arg.startswith("-") and len(arg) > 1:
                j = 1
                while j < len(arg):
                    c = arg[j]
                    if c in _UNMODELLED:
                        return unsupported("curl", f"curl -{c} is not modelled by the simulated cluster")
                    if c in _SHORT_BOOL:
                        args.flags.add(_SHORT_BOOL[c])
                        j += 1
                        continue
                    if c in _SHORT_VALUE:
                        rest = arg[j + 1:]
                        v = rest if rest else value(_SHORT_VALUE[c], f"-{c}")
                        if _SHORT_VALUE[c] == "header":
                            args.headers.append(v)
                        else:
                            args.values[_SHORT_VALUE[c]] = v
                        break
                    return _unknown(f"-{c}")
            else:
                args.urls.append(arg)
    except _Usage as exc:
        return CommandResult(stderr=str(exc), exit_code=2)
    return args


def _seconds(text: str | None, option: str) -> float | CommandResult | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return CommandResult(stderr=f"curl: option {option}: expected a proper numerical parameter\ncurl: try "
                                    "'curl --help' or 'curl --manual' for more information\n", exit_code=2)


def _write_out(fmt: str, status: int) -> str:
    out = fmt.replace("%{http_code}", f"{status:03d}").replace("%{response_code}", f"{status:03d}")
    out = out.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")
    return out


def run_curl(argv: list[str], cluster: SimCluster, source: str) -> CommandResult:
    parsed = _parse(argv)
    if isinstance(parsed, CommandResult):
        return parsed
    if "write-out" in parsed.values:
        leftover = _write_out(parsed.values["write-out"], 0).replace("000", "")
        if "%{" in leftover:
            return unsupported("curl", "curl -w variables other than %{http_code} are not modelled by the "
                                       "simulated cluster")
    if len(parsed.urls) != 1:
        if not parsed.urls:
            return CommandResult(stderr="curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for "
                                        "more information\n", exit_code=2)
        return unsupported("curl", "curl with several URLs is not modelled by the simulated cluster")
    silent, show_error = "silent" in parsed.flags, "show-error" in parsed.flags
    if not silent:
        return unsupported("curl", "curl draws a progress meter on stderr here (stdout is not a terminal); its "
                                   "timings are not simulated. Add -s (and -S to keep error messages)")
    max_time = _seconds(parsed.values.get("max-time"), "-m")
    connect_timeout = _seconds(parsed.values.get("connect-timeout"), "--connect-timeout")
    for v in (max_time, connect_timeout):
        if isinstance(v, CommandResult):
            return v
    limits = [v for v in (max_time, connect_timeout) if isinstance(v, float)]
    limit = min(limits) if limits else None

    url = parsed.urls[0] if "://" in parsed.urls[0] else f"http://{parsed.urls[0]}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return unsupported("curl", f"curl {parts.scheme}:// URLs are not modelled by the simulated cluster")
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    method = parsed.values.get("request") or ("HEAD" if "head" in parsed.flags else "GET")
    headers = []
    for h in parsed.headers:
        key, _, val = h.partition(":")
        headers.append((key.strip(), val.strip()))
    host_header = next((v for k, v in headers if k.lower() == "host"), None)
    if host_header is None:
        host_header = host if port == (443 if parts.scheme == "https" else 80) else f"{host}:{port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    request = HttpRequest(method, path, tuple((k, v) for k, v in headers if k.lower() != "host"), host_header)
    write_out = parsed.values.get("write-out")
    discard = parsed.values.get("output") is not None

    def fail(code: int, message: str, status: int = 0) -> CommandResult:
        stdout = _write_out(write_out, status) if write_out else ""
        stderr = f"curl: ({code}) {message}\n" if (show_error or not silent) else ""
        return CommandResult(stdout=stdout, stderr=stderr, exit_code=code)

    found = lookup_host(cluster, source, host)
    if found.ip is None:
        if found.failure == "timeout":
            if limit is None or limit >= RESOLVER_TIMEOUT_S:
                return fail(6, f"Could not resolve host: {host}")
            return fail(28, f"Resolving timed out after {int(limit * 1000) + 1} milliseconds")
        return fail(6, f"Could not resolve host: {host}")
    if is_local(found.ip):
        return unsupported("curl", LOCAL_NOTE)
    result = connect(cluster, source, found.ip, port, request if parts.scheme == "http" else None)
    if result.outcome is Outcome.DROPPED:
        if limit is None:
            return unsupported("curl", "without -m or --connect-timeout a dropped connection keeps curl waiting "
                                       "for minutes; the simulated cluster only answers bounded waits. Add -m 5")
        return fail(28, f"Connection timed out after {int(limit * 1000) + 1} milliseconds")
    if result.outcome is Outcome.ERROR:
        return unsupported("curl", f"the simulated cluster cannot complete this connection: {result.reason}")
    if parts.scheme == "https":
        return unsupported("curl", f"the connection to {host}:{port} is allowed by policy, but the simulated "
                                   "cluster does not model what the server answers over TLS")
    if result.outcome is Outcome.L7_DENIED:
        reply: ServerReply | str | None = ServerReply(403, ACCESS_DENIED_BODY)
    else:
        reply = server_reply(cluster, source, found.ip, port)
    if reply == "refused":
        return fail(7, f"Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server")
    if not isinstance(reply, ServerReply):
        return unsupported("curl", f"the connection to {host}:{port} is allowed by policy, but the simulated "
                                   "cluster does not model what that server answers")
    if "head" in parsed.flags and not discard:
        return unsupported("curl", "curl -I prints the response headers, which the simulated cluster does not "
                                   "model; add -o /dev/null -w '%{http_code}' to see the status")
    if "fail" in parsed.flags and reply.status >= 400:
        return fail(22, f"The requested URL returned error: {reply.status}", reply.status)
    body = "" if discard or method == "HEAD" else reply.body
    stdout = body + (_write_out(write_out, reply.status) if write_out else "")
    return CommandResult(stdout=stdout)
