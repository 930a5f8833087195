"""BusyBox `wget`, `nslookup` and `ping` inside a pod (the course's Alpine and busybox images ship BusyBox
1.36), answered from the simulated network.

Sources (busybox):
- `networking/wget.c`: `-q`, `-O FILE` (`-O-` is stdout), `-T SEC`; a timeout prints
  `wget: download timed out`, an HTTP error `wget: server returned error: HTTP/1.1 403 Forbidden`, a name
  that does not resolve `wget: bad address '<host>'` (xhost2sockaddr), exit 1 in each case. Without `-q`
  wget prints progress lines whose timing is not simulated: the simulation note answers instead.
- `networking/nslookup.c` (the "big" nslookup: `send_queries`, `parse_reply`, `add_query_with_search`,
  `nslookup_main`): A then AAAA queries, a dotless name once per search domain; the header
  `Server:\\t\\t<ns>` / `Address:\\t<ns>:53` and a blank line; per reply either
  `** server can't find <name>: <RCODE>` (exit code 1) or `Non-authoritative answer:` (when the answer is
  not authoritative) and `Name:\\t<name>` / `Address: <ip>` lines, each reply followed by a blank line; an
  empty answer prints `*** Can't find <name>: No answer`; no reply at all prints
  `;; connection timed out; no servers could be reached` and a blank line, exit 1. Replies are printed in
  the order they arrive; the simulation prints them in query order.
- `networking/ping.c`: `PING <host> (<ip>): 56 data bytes`, `64 bytes from <ip>: seq=N ttl=T time=X ms`,
  the statistics block, exit 1 when no reply came; `-c COUNT`, `-W SEC`. Round-trip times are simulated.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from labs.cluster.sim.network import KUBE_DNS_IP
from labs.commands.kubectl.netclient import (
    ACCESS_DENIED_BODY,
    LOCAL_NOTE,
    ServerReply,
    connect,
    dns_query,
    echo,
    is_local,
    lookup_host,
    search_domains,
    server_reply,
)
from labs.commands.result import CommandResult, unsupported
from labs.outcomes import Outcome
from labs.probes import HttpRequest

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["run_wget", "run_nslookup", "run_ping"]

_USAGE_NOTE = "BusyBox usage text is not reproduced by the simulated cluster"


def _getopt(argv: list[str], with_value: str, flags: str) -> tuple[dict[str, str], list[str]] | None:
    """POSIX getopt as BusyBox uses it; None on an unknown option."""
    opts: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            rest += argv[i:]
            break
        if arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
            j = 1
            while j < len(arg):
                c = arg[j]
                if c in flags:
                    opts[c] = ""
                    j += 1
                elif c in with_value:
                    value = arg[j + 1:] or (argv[i] if i < len(argv) else None)
                    if value is None:
                        return None
                    if not arg[j + 1:]:
                        i += 1
                    opts[c] = value
                    break
                else:
                    return None
        else:
            rest.append(arg)
    return opts, rest


def run_wget(argv: list[str], cluster: SimCluster, source: str) -> CommandResult:
    if any(a.startswith("--") for a in argv):
        return unsupported("wget", "BusyBox wget long options are not modelled by the simulated cluster")
    parsed = _getopt(argv, "OTUY", "qcsS")
    if parsed is None:
        return unsupported("wget", _USAGE_NOTE)
    opts, urls = parsed
    if "S" in opts or "s" in opts:
        return unsupported("wget", "wget -S/-s are not modelled by the simulated cluster")
    if "q" not in opts:
        return unsupported("wget", "without -q BusyBox wget prints progress lines that the simulated cluster does "
                                   "not reproduce; add -q")
    if len(urls) != 1:
        return unsupported("wget", "wget needs exactly one URL on the simulated cluster")
    url = urls[0] if "://" in urls[0] else f"http://{urls[0]}"
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "http":
        return unsupported("wget", f"wget {parts.scheme}:// URLs are not modelled by the simulated cluster")
    host, port = parts.hostname or "", parts.port or 80
    output = opts.get("O")
    if output is None:
        return unsupported("wget", "wget without -O writes a file in the container; use -qO- to print the body")
    timeout = opts.get("T")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    found = lookup_host(cluster, source, host)
    if found.ip is None:
        return CommandResult(stderr=f"wget: bad address '{host}'\n", exit_code=1)
    if is_local(found.ip):
        return unsupported("wget", LOCAL_NOTE)
    request = HttpRequest("GET", path, (), host if port == 80 else f"{host}:{port}")
    result = connect(cluster, source, found.ip, port, request)
    if result.outcome is Outcome.DROPPED:
        if timeout is None:
            return unsupported("wget", "without -T a dropped connection keeps wget waiting for minutes; add -T 5")
        return CommandResult(stderr="wget: download timed out\n", exit_code=1)
    if result.outcome is Outcome.ERROR:
        return unsupported("wget", f"the simulated cluster cannot complete this connection: {result.reason}")
    reply: ServerReply | str | None
    reply = ServerReply(403, ACCESS_DENIED_BODY) if result.outcome is Outcome.L7_DENIED else \
        server_reply(cluster, source, found.ip, port)
    if reply == "refused":
        return CommandResult(stderr=f"wget: can't connect to remote host ({found.ip}): Connection refused\n",
                             exit_code=1)
    if not isinstance(reply, ServerReply):
        return unsupported("wget", f"the connection to {host}:{port} is allowed by policy, but the simulated "
                                   "cluster does not model what that server answers")
    if reply.status == 403:
        return CommandResult(stderr="wget: server returned error: HTTP/1.1 403 Forbidden\n", exit_code=1)
    return CommandResult(stdout=reply.body if output == "-" else "")


def run_nslookup(argv: list[str], cluster: SimCluster, source: str) -> CommandResult:
    if not argv or argv[0].startswith("-") or len(argv) > 1:
        return unsupported("nslookup", "nslookup options and an explicit server are not modelled by the "
                                       "simulated cluster; use nslookup NAME")
    name = argv[0]
    try:
        ipaddress.ip_address(name)
        return unsupported("nslookup", "reverse lookups are not modelled by the simulated cluster")
    except ValueError:
        pass
    if "." in name:
        names = [name]
    else:
        names = [f"{name}.{d}" for d in search_domains(source.split("/")[0])]
    answers = [(n, *dns_query(cluster, source, n)) for n in names]
    if all(rcode == "TIMEOUT" for _, rcode, _ in answers):
        return CommandResult(stdout=";; connection timed out; no servers could be reached\n\n", exit_code=1)
    out = f"Server:\t\t{KUBE_DNS_IP}\nAddress:\t{KUBE_DNS_IP}:53\n\n"
    code = 0
    for qtype in ("A", "AAAA"):
        for qname, rcode, ips in answers:
            if rcode == "TIMEOUT":
                continue
            if rcode != "NOERROR":
                out += f"** server can't find {qname}: {rcode}\n\n"
                code = 1
                continue
            authoritative = qname.rstrip(".").endswith(".cluster.local")
            if not authoritative:
                out += "Non-authoritative answer:\n"
            if qtype == "A" and ips:
                out += "".join(f"Name:\t{qname}\nAddress: {ip}\n" for ip in ips)
            else:
                out += f"*** Can't find {qname}: No answer\n"
            out += "\n"
    return CommandResult(stdout=out, exit_code=code)


def run_ping(argv: list[str], cluster: SimCluster, source: str) -> CommandResult:
    parsed = _getopt(argv, "cWwsItiQ", "qn46")
    if parsed is None:
        return unsupported("ping", _USAGE_NOTE)
    opts, hosts = parsed
    if len(hosts) != 1:
        return unsupported("ping", "ping needs exactly one host on the simulated cluster")
    if "c" not in opts:
        return unsupported("ping", "ping without -c never stops; add -c 1 (and -W 2)")
    try:
        count = int(opts["c"])
    except ValueError:
        return CommandResult(stderr=f"ping: invalid number '{opts['c']}'\n", exit_code=1)
    host = hosts[0]
    found = lookup_host(cluster, source, host)
    if found.ip is None:
        return CommandResult(stderr=f"ping: bad address '{host}'\n", exit_code=1)
    if is_local(found.ip):
        return unsupported("ping", LOCAL_NOTE)
    result = echo(cluster, source, found.ip)
    replied = result.outcome is Outcome.ALLOWED
    if result.outcome is Outcome.ERROR and "ClusterIP" not in result.reason:
        return unsupported("ping", f"the simulated cluster cannot send this echo: {result.reason}")
    out = f"PING {host} ({found.ip}): 56 data bytes\n"
    times = [0.061 + 0.007 * (i % 5) for i in range(count)]
    received = count if replied else 0
    if replied:
        out += "".join(f"64 bytes from {found.ip}: seq={i} ttl=63 time={t:.3f} ms\n" for i, t in enumerate(times))
    out += f"\n--- {host} ping statistics ---\n"
    loss = 0 if replied else 100
    out += f"{count} packets transmitted, {received} packets received, {loss}% packet loss\n"
    if replied:
        avg = sum(times) / len(times)
        out += f"round-trip min/avg/max = {min(times):.3f}/{avg:.3f}/{max(times):.3f} ms\n"
    return CommandResult(stdout=out, exit_code=0 if replied else 1)
