"""Does `kubectl exec ... -- curl|wget|nslookup|ping` answer as the real tools do, from the simulated network,
and record the flows `hubble observe` shows?

Sources: k8s.io/kubectl pkg/cmd/exec/exec.go (`--` required, default container, "command terminated with
exit code N"); curl lib/multi.c multi_handle_timeout ("Connection timed out after N milliseconds", exit 28),
docs/cmdline-opts/write-out.md (%{http_code} is 000 without a response), src/tool_operate.c (-f: exit 22);
busybox networking/wget.c, networking/nslookup.c (send_queries, parse_reply, add_query_with_search),
networking/ping.c; musl src/network/lookup_name.c (name_from_dns_search); cilium/proxy's 403
"Access denied" reply for an HTTP rule that does not match.
"""

from __future__ import annotations

import pytest

from labs.cluster.sim import SimCluster
from labs.commands.kubectl import run

ISOLATE = "apply -f manifests/02-segregation/solutions/isolate-a.yaml"


def test_curl_reaches_the_echo_server_through_its_service(k):
    result = k("exec -n segregation client-b -- curl -sS -m 5 http://server-a")
    assert (result.stdout, result.stderr, result.exit_code) == ("application A\n", "", 0)
    assert k("exec -n segregation client-b -- curl -s -o /dev/null -w '%{http_code}' server-a.segregation"
             ).stdout == "200"


def test_apply_then_exec_shows_the_drop(k):
    """The round trip of lab 02: allowed before the policy, curl exit 28 after it, for the other app only."""
    assert k(ISOLATE).ok
    dropped = k("exec -n segregation client-b -- curl -sS -m 5 http://server-a")
    assert (dropped.stdout, dropped.stderr, dropped.exit_code) == (
        "", "curl: (28) Connection timed out after 5001 milliseconds\ncommand terminated with exit code 28\n", 28)
    silent = k("exec -n segregation client-b -- curl -s -m 5 -o /dev/null -w '%{http_code}' http://server-a")
    assert (silent.stdout, silent.stderr, silent.exit_code) == ("000", "command terminated with exit code 28\n", 28)
    assert k("exec -n segregation client-a -- curl -sS -m 5 http://server-a").stdout == "application A\n"
    short = k("exec -n segregation client-b -- curl -sS --connect-timeout 2 -m 5 http://server-a")
    assert short.stderr.startswith("curl: (28) Connection timed out after 2001 milliseconds\n")


def test_exec_records_the_flows_of_the_attempt(k):
    k(ISOLATE)
    before = len(k.cluster.flows())
    k("exec -n segregation client-b -- curl -sS -m 5 http://server-a")
    new = k.cluster.flows()[before:]
    verdicts = {f["flow"]["verdict"] for f in new}
    assert "DROPPED" in verdicts
    assert any(f["flow"].get("l4", {}).get("UDP", {}).get("destination_port") == 53 for f in new), \
        "the DNS lookup of server-a is a flow too"
    dropped = [f["flow"] for f in new if f["flow"]["verdict"] == "DROPPED"]
    assert dropped[0]["source"]["pod_name"] == "client-b"
    assert dropped[0]["destination"]["pod_name"] == "server-a"


def test_wget_nslookup_and_ping(k):
    assert k("exec -n segregation client-a -- wget -qO- -T 5 http://server-a").stdout == "application A\n"
    assert k("exec -n segregation client-a -- nslookup server-a.segregation.svc.cluster.local").stdout == (
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
        "Name:\tserver-a.segregation.svc.cluster.local\nAddress: 10.96.0.101\n\n"
        "*** Can't find server-a.segregation.svc.cluster.local: No answer\n\n")
    short = k("exec -n segregation client-a -- nslookup server-a")
    assert "** server can't find server-a.svc.cluster.local: NXDOMAIN\n" in short.stdout
    assert short.exit_code == 1
    pod_ip = k.cluster.pod_ip("segregation/server-a")
    ping = k(f"exec -n segregation client-a -- ping -c 1 -W 2 {pod_ip}")
    lines = ping.stdout.splitlines()
    assert lines[0] == f"PING {pod_ip} ({pod_ip}): 56 data bytes"
    assert lines[1].startswith(f"64 bytes from {pod_ip}: seq=0 ttl=63 time=")
    assert lines[3:5] == [f"--- {pod_ip} ping statistics ---",
                          "1 packets transmitted, 1 packets received, 0% packet loss"]
    k(ISOLATE)
    assert k("exec -n segregation client-b -- wget -qO- -T 5 http://server-a").stderr == (
        "wget: download timed out\ncommand terminated with exit code 1\n")
    lost = k(f"exec -n segregation client-b -- ping -c 1 -W 2 {pod_ip}")
    assert "1 packets transmitted, 0 packets received, 100% packet loss\n" in lost.stdout
    assert lost.exit_code == 1


@pytest.fixture
def l7(clock, kubectl_on):
    cluster = SimCluster(clock=clock, external={"api.stripe.com": "203.0.113.10",
                                                "exfil.example.net": "198.51.100.66"})
    kubectl = kubectl_on(cluster)
    for path in ("05-l7-http/workloads.yaml", "05-l7-http/solutions/read-only-api.yaml",
                 "06-dns-fqdn/workloads.yaml", "06-dns-fqdn/solutions/stripe-only.yaml"):
        assert kubectl(f"apply -f manifests/{path}").ok
    return kubectl


def test_an_l7_deny_is_a_403_with_access_denied(l7):
    assert l7("exec -n frontend web -- curl -sS -m 5 http://api.backend:8080/api/v1/products").stdout == (
        "products and inventory\n")
    denied = l7("exec -n frontend web -- curl -sS -m 5 -X POST http://api.backend:8080/api/v1/products")
    assert (denied.stdout, denied.exit_code) == ("Access denied\r\n", 0)
    assert l7("exec -n frontend web -- curl -s -o /dev/null -w '%{http_code}' -m 5 -X DELETE "
              "http://api.backend:8080/api/v1/products").stdout == "403"
    failed = l7("exec -n frontend web -- curl -sSf -m 5 http://api.backend:8080/admin")
    assert (failed.stderr, failed.exit_code) == (
        "curl: (22) The requested URL returned error: 403\ncommand terminated with exit code 22\n", 22)
    assert l7("exec -n frontend web -- wget -qO- -T 5 http://api.backend:8080/admin").stderr == (
        "wget: server returned error: HTTP/1.1 403 Forbidden\ncommand terminated with exit code 1\n")


def test_the_dns_proxy_refuses_names_outside_the_rule(l7):
    refused = l7("exec -n payments processor -- nslookup exfil.example.net")
    assert refused.stdout == ("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
                              "** server can't find exfil.example.net: REFUSED\n\n"
                              "** server can't find exfil.example.net: REFUSED\n\n")
    assert refused.exit_code == 1
    allowed = l7("exec -n payments processor -- nslookup api.stripe.com")
    assert "Non-authoritative answer:\nName:\tapi.stripe.com\nAddress: 203.0.113.10\n" in allowed.stdout


def test_musl_search_domains_meet_a_narrow_dns_rule(l7):
    """musl tries api.stripe.com.payments.svc.cluster.local first; the proxy refuses it (not *.stripe.com)
    and musl stops there (name_from_dns: REFUSED -> EAI_FAIL), so curl cannot resolve the allowed name."""
    result = l7("exec -n payments processor -- curl -sS -m 5 https://api.stripe.com")
    assert (result.stderr, result.exit_code) == (
        "curl: (6) Could not resolve host: api.stripe.com\ncommand terminated with exit code 6\n", 6)
    absolute = l7("exec -n payments processor -- curl -sS -m 5 https://api.stripe.com.")
    assert "allowed by policy" in absolute.stderr  # TLS answers are not simulated: a note, not a guess


def test_containers_tools_and_exec_errors(k):
    missing = k("exec -n segregation client-a -- dig +short server-a")
    assert missing.stderr.startswith("error: Internal error occurred: Internal error occurred: error executing "
                                     "command in container: failed to exec in container: failed to start exec \"")
    assert missing.stderr.endswith('exec: "dig": executable file not found in $PATH: unknown\n')
    assert k("exec -n segregation server-a -c server -- curl -s server-b").stderr.endswith(
        'exec: "curl": executable file not found in $PATH: unknown\n')
    assert k("exec -n segregation server-a -c nope -- curl -s server-b").stderr == (
        "Error from server (BadRequest): container nope is not valid for pod server-a\n")
    assert k("exec -n segregation nope -- curl -s server-b").stderr == (
        'Error from server (NotFound): pods "nope" not found\n')
    assert k("exec -n segregation client-a curl server-b").stderr == (
        "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\n"
        "See 'kubectl exec -h' for help and examples\n")


def test_outside_the_subset_is_a_note(k):
    for line in ("exec -n segregation client-a -- curl http://server-a",
                 "exec -n segregation client-a -- curl -sS http://198.51.100.1",
                 "exec -n segregation client-a -- curl -sv -m 5 http://server-a",
                 "exec -n segregation client-a -- ping server-a",
                 "exec -n segregation client-a -- cat /etc/resolv.conf"):
        result = k(line)
        assert "the simulated cluster does not model this" in result.stderr, line
        assert result.exit_code == 1, line


def test_deploy_name_picks_the_first_pod(clock, kubectl_on):
    cluster = SimCluster(clock=clock)
    kubectl_on(cluster)
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n"
            "  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
            "    spec: {containers: [{name: c, image: 'curlimages/curl:8.11.1'}, "
            "{name: echo, image: 'hashicorp/http-echo:1.0.0', args: ['-text=hi']}]}\n")
    assert run(["apply", "-f", "-"], cluster, text).stdout == "deployment.apps/web created\n"
    result = run(["exec", "deploy/web", "--", "curl", "-sS", "-m", "5", "localhost:5678"], cluster)
    assert result.stderr.startswith('Defaulted container "c" out of: c, echo\n')
    assert "traffic to localhost stays inside the pod" in result.stderr


def test_sh_c_with_one_command_is_that_command(k):
    k(ISOLATE)
    result = k("exec -n segregation client-b -- sh -c \"curl -s -m 5 -o /dev/null -w '%{http_code}' server-a\"")
    assert (result.stdout, result.exit_code) == ("000", 28)
    script = k("exec -n segregation client-b -- sh -c 'curl -s server-a | head -1'")
    assert "the simulated cluster does not model this" in script.stderr


def test_fail_still_writes_the_status(l7):
    result = l7("exec -n frontend web -- curl -sf -o /dev/null -w '%{http_code}' -m 5 http://api.backend:8080/admin")
    assert (result.stdout, result.exit_code) == ("403", 22)


def test_dig_is_missing_from_every_course_image(k):
    """No course image ships dig (BusyBox has no dig applet; curlimages/curl adds curl only): directly, the
    runtime cannot find the executable; through `sh -c`, BusyBox ash says `sh: dig: not found` and exits 127;
    in http-echo, a single binary, there is not even a shell."""
    direct = k("exec -n segregation client-a -- dig +short server-a.segregation.svc.cluster.local")
    assert direct.exit_code == 1 and direct.stderr.endswith(
        'exec: "dig": executable file not found in $PATH: unknown\n')
    shell = k("exec -n segregation client-a -- sh -c 'dig +short server-a'")
    assert (shell.stdout, shell.stderr, shell.exit_code) == (
        "", "sh: dig: not found\ncommand terminated with exit code 127\n", 127)
    no_shell = k("exec -n segregation server-a -c server -- sh -c 'dig server-b'")
    assert no_shell.exit_code == 1 and no_shell.stderr.endswith(
        'exec: "sh": executable file not found in $PATH: unknown\n')
    assert not k.cluster.flows(), "nothing left the pod"
