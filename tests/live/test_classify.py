"""Outputs of curl, wget, dig, nslookup and ping as they appear in pods, and the outcome each one means."""

from __future__ import annotations

import pytest

from labs.cluster.live.classify import classify_dns, classify_http, classify_ping
from labs.cluster.live.execpod import ExecResult

MARK = "\nciliumlab-http-status: "


def ran(tool: str | None, code: int | None, stdout: str = "", stderr: str = "", **kw) -> ExecResult:
    head = f"ciliumlab-tool: {tool}\n" if tool else ""
    return ExecResult(code, stdout, head + stderr, **kw)


WHAT = "backend/api (10.244.1.7:8080)"

HTTP_CASES = [
    ("curl-200", ran("curl", 0, '{"items": []}' + MARK + "200\n"), True,
     "allowed", "HTTP 200 from backend/api (10.244.1.7:8080)"),
    ("curl-404-is-an-answer", ran("curl", 0, "not found" + MARK + "404\n"), True,
     "allowed", "HTTP 404 from backend/api (10.244.1.7:8080)"),
    ("curl-403-envoy", ran("curl", 0, "Access denied\r\n" + MARK + "403\n"), True,
     "l7-denied", "the L7 proxy answered HTTP 403 'Access denied'"),
    ("curl-403-application", ran("curl", 0, "<h1>Forbidden</h1>" + MARK + "403\n"), True,
     "allowed", "HTTP 403 from backend/api (10.244.1.7:8080)"),
    ("curl-7-refused-curl8", ran("curl", 7, MARK + "000\n",
                                 "curl: (7) Failed to connect to 10.244.1.7 port 8080 after 3 ms: Couldn't connect to "
                                 "server"), True,
     "error", "connection refused by backend/api (10.244.1.7:8080): nothing listens there (curl exit 7: curl: (7) "
     "Failed to connect to 10.244.1.7 port 8080 after 3 ms: Couldn't connect to server)"),
    ("curl-7-refused-curl7", ran("curl", 7, MARK + "000\n",
                                 "curl: (7) Failed to connect to 10.244.1.7 port 8080: Connection refused"), False,
     "error", "connection refused by backend/api (10.244.1.7:8080): nothing listens there (curl exit 7: curl: (7) "
     "Failed to connect to 10.244.1.7 port 8080: Connection refused)"),
    ("curl-7-no-route", ran("curl", 7, MARK + "000\n",
                            "curl: (7) Failed to connect to 10.244.1.7 port 8080 after 3071 ms: No route to host"),
     True, "error", "no route to backend/api (10.244.1.7:8080) (curl exit 7: curl: (7) Failed to connect to "
     "10.244.1.7 port 8080 after 3071 ms: No route to host)"),
    ("curl-28-connect", ran("curl", 28, MARK + "000\n", "curl: (28) Connection timed out after 5001 milliseconds"),
     True, "dropped", "no connection to backend/api (10.244.1.7:8080) within 5 s (curl exit 28: curl: (28) "
     "Connection timed out after 5001 milliseconds)"),
    ("curl-28-curl8-connect", ran("curl", 28, MARK + "000\n",
                                  "curl: (28) Failed to connect to 10.244.1.7 port 8080 after 5002 ms: Timeout was "
                                  "reached"), False,
     "dropped", "no connection to backend/api (10.244.1.7:8080) within 5 s (curl exit 28: curl: (28) Failed to "
     "connect to 10.244.1.7 port 8080 after 5002 ms: Timeout was reached)"),
    ("curl-28-operation", ran("curl", 28, MARK + "000\n",
                              "curl: (28) Operation timed out after 5000 milliseconds with 0 bytes received"), True,
     "dropped", "no answer from backend/api (10.244.1.7:8080) within 5 s (curl exit 28: curl: (28) Operation timed "
     "out after 5000 milliseconds with 0 bytes received)"),
    ("curl-52-http", ran("curl", 52, MARK + "000\n", "curl: (52) Empty reply from server"), True,
     "error", "backend/api (10.244.1.7:8080) closed the connection without an HTTP answer (curl exit 52: curl: "
     "(52) Empty reply from server)"),
    ("curl-52-tcp-only", ran("curl", 52, MARK + "000\n", "curl: (52) Empty reply from server"), False,
     "allowed", "TCP connection to backend/api (10.244.1.7:8080) established; the server then spoke no HTTP "
     "(curl exit 52: curl: (52) Empty reply from server)"),
    ("curl-56-http", ran("curl", 56, MARK + "000\n", "curl: (56) Recv failure: Connection reset by peer"), True,
     "error", "the connection to backend/api (10.244.1.7:8080) was reset while receiving (curl exit 56: curl: (56) "
     "Recv failure: Connection reset by peer)"),
    ("curl-56-tcp-only", ran("curl", 56, MARK + "000\n", "curl: (56) Recv failure: Connection reset by peer"),
     False, "allowed", "TCP connection to backend/api (10.244.1.7:8080) established; the server then spoke no "
     "HTTP (curl exit 56: curl: (56) Recv failure: Connection reset by peer)"),
    ("curl-6", ran("curl", 6, MARK + "000\n", "curl: (6) Could not resolve host: api.github.com"), True,
     "error", "the name in backend/api (10.244.1.7:8080) could not be resolved (curl exit 6: curl: (6) Could not "
     "resolve host: api.github.com)"),
    ("envoy-503-timeout", ran("curl", 0, "upstream connect error or disconnect/reset before headers. reset reason: "
                              "connection timeout" + MARK + "503\n"), True,
     "dropped", "the L7 proxy got no answer from backend/api (10.244.1.7:8080): 'upstream connect error or "
     "disconnect/reset before headers. reset reason: connection timeout'"),
    ("busybox-wget-200", ran("wget", 0, "hello\n"), True, "allowed", "HTTP answer from backend/api "
     "(10.244.1.7:8080) (wget)"),
    ("busybox-wget-403", ran("wget", 1, "", "wget: server returned error: HTTP/1.1 403 Forbidden"), True,
     "l7-denied", "HTTP 403 from backend/api (10.244.1.7:8080) (wget does not show the body, so it may also be the "
     "application's own 403)"),
    ("gnu-wget-403", ran("wget", 8, "", "2026-11-23 10:00:00 ERROR 403: Forbidden."), True,
     "l7-denied", "HTTP 403 from backend/api (10.244.1.7:8080) (wget does not show the body, so it may also be the "
     "application's own 403)"),
    ("busybox-wget-500", ran("wget", 1, "", "wget: server returned error: HTTP/1.1 500 Internal Server Error"), True,
     "allowed", "HTTP 500 from backend/api (10.244.1.7:8080)"),
    ("busybox-wget-refused", ran("wget", 1, "", "wget: can't connect to remote host (10.244.1.7): Connection "
                                 "refused"), True,
     "error", "connection refused by backend/api (10.244.1.7:8080): nothing listens there (wget exit 1: wget: "
     "can't connect to remote host (10.244.1.7): Connection refused)"),
    ("busybox-wget-timeout", ran("wget", 1, "", "wget: download timed out"), True,
     "dropped", "no answer from backend/api (10.244.1.7:8080) within 5 s (wget exit 1: wget: download timed out)"),
    ("busybox-wget-bad-address", ran("wget", 1, "", "wget: bad address 'nope.example'"), True,
     "error", "the name in backend/api (10.244.1.7:8080) could not be resolved (wget exit 1: wget: bad address "
     "'nope.example')"),
    ("no-tool", ran(None, 127, "", "neither curl nor wget is installed in this container"), True,
     "error", "could not run the probe: neither curl nor wget is installed in this container"),
    ("exec-failed", ExecResult(None, error='exec in frontend/web failed: container "c" not found'), True,
     "error", 'could not run the probe: exec in frontend/web failed: container "c" not found'),
    ("exec-deadline", ran("curl", None, "", "", timed_out=True), True,
     "dropped", "no answer from backend/api (10.244.1.7:8080) within 5 s (the probe was abandoned)"),
]


@pytest.mark.parametrize(("result", "is_http", "outcome", "reason"), [c[1:] for c in HTTP_CASES],
                         ids=[c[0] for c in HTTP_CASES])
def test_http_outputs_are_classified(result, is_http, outcome, reason):
    found = classify_http(result, is_http=is_http, timeout=5, what=WHAT)
    assert (found.outcome.value, found.reason) == (outcome, reason)


def test_curl_keeps_status_and_body_for_the_trainee():
    found = classify_http(ran("curl", 0, "Access denied\r\n" + MARK + "403\n"), is_http=True, timeout=5, what=WHAT)
    assert found.detail["http_status"] == 403
    assert found.detail["body"] == "Access denied\r\n"
    assert found.detail["tool"] == "curl"


BUSYBOX_OK = """Server:\t\t10.96.0.10
Address:\t10.96.0.10:53

** server can't find kubernetes.default.cluster.local: NXDOMAIN

Name:\tkubernetes.default.svc.cluster.local
Address: 10.96.0.1

"""
DIG_HEAD = """
; <<>> DiG 9.18.28-1~deb12u2-Debian <<>> +search +time=5 +tries=1 {name} A
;; global options: +cmd
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: {status}, id: 40150
;; flags: qr rd ra; QUERY: 1, ANSWER: {count}, AUTHORITY: 0, ADDITIONAL: 1
"""
DIG_OK = DIG_HEAD.format(name="api.stripe.com", status="NOERROR", count=1) + """
;; QUESTION SECTION:
;api.stripe.com.\t\t\tIN\tA

;; ANSWER SECTION:
api.stripe.com.\t\t30\tIN\tA\t198.51.100.20

;; Query time: 3 msec
;; SERVER: 10.96.0.10#53(10.96.0.10) (UDP)
"""

DNS_CASES = [
    ("busybox-noerror-after-search-misses", "kubernetes.default", ran("nslookup", 0, BUSYBOX_OK),
     "allowed", "'kubernetes.default' resolved: 10.96.0.1"),
    ("busybox-refused", "evil.example.com",
     ran("nslookup", 1, "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find evil.example.com: "
         "REFUSED\n\n** server can't find evil.example.com: REFUSED\n\n"),
     "refused", "the DNS proxy answered REFUSED for 'evil.example.com'"),
    ("busybox-nxdomain", "nope.example.com",
     ran("nslookup", 1, "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find nope.example.com: "
         "NXDOMAIN\n\n"),
     "allowed", "the lookup was answered: 'nope.example.com' does not exist (NXDOMAIN)"),
    ("busybox-timeout", "api.stripe.com",
     ran("nslookup", 1, ";; connection timed out; no servers could be reached\n\n"),
     "dropped", "no answer from the DNS server for 'api.stripe.com' within 5 s"),
    ("dig-noerror", "api.stripe.com", ran("dig", 0, DIG_OK), "allowed", "'api.stripe.com' resolved: 198.51.100.20"),
    ("dig-refused", "evil.example.com", ran("dig", 0, DIG_HEAD.format(name="evil.example.com", status="REFUSED",
                                                                      count=0)),
     "refused", "the DNS proxy answered REFUSED for 'evil.example.com'"),
    ("dig-nxdomain", "nope.example.com", ran("dig", 0, DIG_HEAD.format(name="nope.example.com", status="NXDOMAIN",
                                                                       count=0)),
     "allowed", "the lookup was answered: 'nope.example.com' does not exist (NXDOMAIN)"),
    ("dig-servfail", "broken.example.com", ran("dig", 0, DIG_HEAD.format(name="broken.example.com",
                                                                         status="SERVFAIL", count=0)),
     "error", "the DNS server answered SERVFAIL for 'broken.example.com'"),
    ("dig-timeout-918", "api.stripe.com",
     ran("dig", 9, "\n; <<>> DiG 9.18.28 <<>> +search +time=5 +tries=1 api.stripe.com A\n;; global options: +cmd\n"
         ";; communications error to 10.96.0.10#53: timed out\n;; no servers could be reached\n"),
     "dropped", "no answer from the DNS server for 'api.stripe.com' within 5 s"),
    ("no-dns-tool", "x.example", ran(None, 127, "", "neither dig nor nslookup is installed in this container"),
     "error", "could not run the probe: neither dig nor nslookup is installed in this container"),
]


@pytest.mark.parametrize(("name", "result", "outcome", "reason"), [c[1:] for c in DNS_CASES],
                         ids=[c[0] for c in DNS_CASES])
def test_dns_outputs_are_classified(name, result, outcome, reason):
    found = classify_dns(result, name=name, timeout=5)
    assert (found.outcome.value, found.reason) == (outcome, reason)


PING_CASES = [
    ("iputils-reply", ran("ping", 0, "PING 192.168.56.10 (192.168.56.10) 56(84) bytes of data.\n64 bytes from "
                          "192.168.56.10: icmp_seq=1 ttl=63 time=0.412 ms\n\n--- 192.168.56.10 ping statistics ---\n"
                          "1 packets transmitted, 1 received, 0% packet loss, time 0ms\n"),
     "allowed", "echo reply from 192.168.56.10"),
    ("busybox-reply", ran("ping", 0, "PING 192.168.56.10 (192.168.56.10): 56 data bytes\n64 bytes from "
                          "192.168.56.10: seq=0 ttl=63 time=0.388 ms\n\n--- 192.168.56.10 ping statistics ---\n"
                          "1 packets transmitted, 1 packets received, 0% packet loss\n"),
     "allowed", "echo reply from 192.168.56.10"),
    ("iputils-no-reply", ran("ping", 1, "PING 192.168.56.10 (192.168.56.10) 56(84) bytes of data.\n\n--- "
                             "192.168.56.10 ping statistics ---\n1 packets transmitted, 0 received, 100% packet "
                             "loss, time 0ms\n"),
     "dropped", "no echo reply from 192.168.56.10 within 5 s"),
    ("busybox-no-permission", ran("ping", 1, "PING 192.168.56.10 (192.168.56.10): 56 data bytes\n",
                                  "ping: permission denied (are you root?)"),
     "error", "ping could not send to 192.168.56.10 (exit 1: ping: permission denied (are you root?))"),
]


@pytest.mark.parametrize(("result", "outcome", "reason"), [c[1:] for c in PING_CASES], ids=[c[0] for c in PING_CASES])
def test_ping_outputs_are_classified(result, outcome, reason):
    found = classify_ping(result, address="192.168.56.10", timeout=5)
    assert (found.outcome.value, found.reason) == (outcome, reason)
