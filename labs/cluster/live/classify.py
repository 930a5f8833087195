"""Turn what curl, wget, dig, nslookup and ping printed in the source pod into an outcome word and a reason.

The rules follow how Cilium behaves: an L3/L4 drop is silence (the client times out), the L7 proxy
answers HTTP 403 with the body "Access denied", the DNS proxy answers REFUSED. A refused connection,
a missing tool or a failed exec is an `error`, never a policy verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from labs.cluster.live.commands import NO_TOOL_EXIT, STATUS_MARK, TOOL_MARK
from labs.cluster.live.execpod import ExecResult
from labs.outcomes import Outcome

__all__ = ["Classified", "split_tool", "classify_http", "classify_dns", "classify_ping", "ACCESS_DENIED"]

ACCESS_DENIED = "Access denied"


@dataclass(frozen=True)
class Classified:
    outcome: Outcome
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


def split_tool(stderr: str) -> tuple[str | None, str]:
    """Remove the `ciliumlab-tool: NAME` line the probe script writes; return (tool, remaining stderr)."""
    tool = None
    rest = []
    for line in stderr.splitlines():
        if tool is None and line.startswith(TOOL_MARK):
            tool = line[len(TOOL_MARK):].strip()
        else:
            rest.append(line)
    return tool, "\n".join(rest).strip()


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _common(result: ExecResult, timeout: float, what: str) -> Classified | None:
    """Outcomes that do not depend on the tool: exec failure, deadline, missing tool."""
    tool, stderr = split_tool(result.stderr)
    base = {"exit_code": result.exit_code, "tool": tool, "stdout": result.stdout[-2000:], "stderr": stderr[-2000:]}
    if result.error:
        return Classified(Outcome.ERROR, f"could not run the probe: {result.error}", base)
    if result.timed_out:
        return Classified(Outcome.DROPPED, f"no answer from {what} within {timeout:g} s (the probe was abandoned)",
                          base)
    if result.exit_code == NO_TOOL_EXIT and tool is None:
        return Classified(Outcome.ERROR, f"could not run the probe: {_last_line(stderr) or 'no tool found'}", base)
    return None


_CURL_STATUS = re.compile(re.escape(STATUS_MARK) + r"(\d{3})\s*$")


def _curl(result: ExecResult, *, is_http: bool, timeout: float, what: str, detail: dict) -> Classified:
    code = result.exit_code
    stdout = result.stdout
    status = None
    match = _CURL_STATUS.search(stdout)
    body = stdout
    if match:
        status = int(match.group(1)) or None
        body = stdout[:match.start()]
        body = body[:-1] if body.endswith("\n") else body
    detail.update(http_status=status, body=body[-2000:])
    err = _last_line(detail["stderr"])
    said = f" (curl exit {code}: {err})" if err else f" (curl exit {code})"
    if code == 0 and status is not None:
        if status == 403 and ACCESS_DENIED in body:
            return Classified(Outcome.L7_DENIED, f"the L7 proxy answered HTTP 403 {ACCESS_DENIED!r}", detail)
        if status == 503 and body.lstrip().startswith("upstream connect error"):
            if "refused" in body or "connection failure" in body:
                return Classified(Outcome.ERROR, f"the L7 proxy could not connect to {what}: {body.strip()!r}",
                                  detail)
            return Classified(Outcome.DROPPED, f"the L7 proxy got no answer from {what}: {body.strip()!r}", detail)
        return Classified(Outcome.ALLOWED, f"HTTP {status} from {what}", detail)
    if code == 28:
        if "Resolving timed out" in err:
            return Classified(Outcome.DROPPED, f"the name in {what} was not resolved within {timeout:g} s{said}",
                              detail)
        phase = "no connection to" if ("Connection timed out" in err or "Failed to connect" in err) else \
            "no answer from"
        return Classified(Outcome.DROPPED, f"{phase} {what} within {timeout:g} s{said}", detail)
    if code == 7:
        if "unreachable" in err.lower() or "no route" in err.lower():
            return Classified(Outcome.ERROR, f"no route to {what}{said}", detail)
        return Classified(Outcome.ERROR, f"connection refused by {what}: nothing listens there{said}", detail)
    if code == 6:
        return Classified(Outcome.ERROR, f"the name in {what} could not be resolved{said}", detail)
    if code in (52, 56, 8, 1, 35, 16) and not is_http:
        return Classified(Outcome.ALLOWED, f"TCP connection to {what} established; the server then spoke no HTTP"
                          f"{said}", detail)
    if code == 52:
        return Classified(Outcome.ERROR, f"{what} closed the connection without an HTTP answer{said}", detail)
    if code == 56:
        return Classified(Outcome.ERROR, f"the connection to {what} was reset while receiving{said}", detail)
    return Classified(Outcome.ERROR, f"curl failed{said}", detail)


_WGET_HTTP = re.compile(r"(?:server returned error: HTTP/\d(?:\.\d)? (\d{3})|ERROR (\d{3}):)")


def _wget(result: ExecResult, *, is_http: bool, timeout: float, what: str, detail: dict) -> Classified:
    err = detail["stderr"]
    last = _last_line(err)
    said = f" (wget exit {result.exit_code}: {last})" if last else f" (wget exit {result.exit_code})"
    detail.update(body=result.stdout[-2000:])
    if result.exit_code == 0:
        detail["http_status"] = 200
        return Classified(Outcome.ALLOWED, f"HTTP answer from {what} (wget)", detail)
    match = _WGET_HTTP.search(err)
    if match:
        status = int(match.group(1) or match.group(2))
        detail["http_status"] = status
        if status == 403:
            return Classified(Outcome.L7_DENIED, f"HTTP 403 from {what} (wget does not show the body, so it may "
                              "also be the application's own 403)", detail)
        return Classified(Outcome.ALLOWED, f"HTTP {status} from {what}", detail)
    low = err.lower()
    if "timed out" in low:
        return Classified(Outcome.DROPPED, f"no answer from {what} within {timeout:g} s{said}", detail)
    if "refused" in low:
        return Classified(Outcome.ERROR, f"connection refused by {what}: nothing listens there{said}", detail)
    if "bad address" in low or "resolve" in low:
        return Classified(Outcome.ERROR, f"the name in {what} could not be resolved{said}", detail)
    if not is_http and ("reset" in low or "short read" in low or "malformed" in low or "no response" in low):
        return Classified(Outcome.ALLOWED, f"TCP connection to {what} established; the server then spoke no HTTP"
                          f"{said}", detail)
    return Classified(Outcome.ERROR, f"wget failed{said}", detail)


def classify_http(result: ExecResult, *, is_http: bool, timeout: float, what: str) -> Classified:
    """curl or wget output -> outcome; `is_http` False means only the TCP connection matters."""
    early = _common(result, timeout, what)
    if early:
        return early
    tool, stderr = split_tool(result.stderr)
    detail = {"exit_code": result.exit_code, "tool": tool, "stderr": stderr[-2000:]}
    if tool == "wget":
        return _wget(result, is_http=is_http, timeout=timeout, what=what, detail=detail)
    return _curl(result, is_http=is_http, timeout=timeout, what=what, detail=detail)


_DIG_STATUS = re.compile(r"status: ([A-Z]+)")
_NSLOOKUP_FAIL = re.compile(r"\*\* server can't find [^:]+: ([A-Z]+)")
_ADDRESS = re.compile(r"^Address(?:es)?:?\s+(\S+)", re.MULTILINE)
_DIG_ANSWER = re.compile(r"^\S+\s+\d+\s+IN\s+A{1,4}\s+(\S+)", re.MULTILINE)


def classify_dns(result: ExecResult, *, name: str, timeout: float) -> Classified:
    """dig or nslookup output -> allowed (NOERROR, NXDOMAIN), refused (REFUSED) or dropped (timeout)."""
    what = f"the DNS server for {name!r}"
    early = _common(result, timeout, what)
    if early:
        return early
    tool, stderr = split_tool(result.stderr)
    text = result.stdout + "\n" + stderr
    detail: dict[str, Any] = {"exit_code": result.exit_code, "tool": tool, "stdout": result.stdout[-2000:],
                              "stderr": stderr[-2000:]}
    if tool == "dig":
        statuses = _DIG_STATUS.findall(text)
        rcode = statuses[-1] if statuses else None
        ips = _DIG_ANSWER.findall(result.stdout)
    else:
        # The first Address lines belong to the server; answers follow a "Name:" line. With a search
        # list, BusyBox prints "can't find" lines for the suffixes that failed before the answer.
        after = result.stdout.split("Name:", 1)[1] if "Name:" in result.stdout else ""
        ips = _ADDRESS.findall(after)
        fails = _NSLOOKUP_FAIL.findall(text)
        if ips:
            rcode = "NOERROR"
        elif "REFUSED" in fails:
            rcode = "REFUSED"
        elif fails:
            rcode = fails[-1]
        else:
            rcode = "NOERROR" if result.exit_code == 0 and "timed out" not in text else None
    if rcode is None and ("timed out" in text or "no servers could be reached" in text):
        return Classified(Outcome.DROPPED, f"no answer from the DNS server for {name!r} within {timeout:g} s", detail)
    detail.update(rcode=rcode, dns=rcode, ips=ips)
    if rcode == "REFUSED":
        return Classified(Outcome.REFUSED, f"the DNS proxy answered REFUSED for {name!r}", detail)
    if rcode == "NOERROR":
        found = f": {', '.join(ips)}" if ips else " (no addresses)"
        return Classified(Outcome.ALLOWED, f"{name!r} resolved{found}", detail)
    if rcode == "NXDOMAIN":
        return Classified(Outcome.ALLOWED, f"the lookup was answered: {name!r} does not exist (NXDOMAIN)", detail)
    if rcode:
        return Classified(Outcome.ERROR, f"the DNS server answered {rcode} for {name!r}", detail)
    last = _last_line(stderr) or _last_line(result.stdout)
    return Classified(Outcome.ERROR, f"the DNS lookup of {name!r} failed ({tool or 'lookup'} exit "
                      f"{result.exit_code}: {last})", detail)


_RECEIVED = re.compile(r"(\d+) (?:packets )?received")


def classify_ping(result: ExecResult, *, address: str, timeout: float) -> Classified:
    """ping output -> allowed (a reply), dropped (no reply) or error (ping could not send)."""
    what = address
    early = _common(result, timeout, what)
    if early:
        return early
    tool, stderr = split_tool(result.stderr)
    detail = {"exit_code": result.exit_code, "tool": tool, "stdout": result.stdout[-2000:], "stderr": stderr[-2000:]}
    match = _RECEIVED.search(result.stdout)
    if match and int(match.group(1)) > 0:
        return Classified(Outcome.ALLOWED, f"echo reply from {address}", detail)
    if match:
        return Classified(Outcome.DROPPED, f"no echo reply from {address} within {timeout:g} s", detail)
    last = _last_line(stderr) or _last_line(result.stdout)
    return Classified(Outcome.ERROR, f"ping could not send to {address} (exit {result.exit_code}: {last})", detail)
