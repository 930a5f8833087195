"""`hubble observe` on the simulated cluster: the same command lines a trainee types, hubble's output.

The cluster runs on a fixed clock so every line is a golden. Layout per hubble's printer (see
test_hubble_printer.py); the events of one connection follow what the agent reports for it (cilium
`pkg/hubble/parser/threefour/parser.go`: policy verdict then drop, `is_reply` unknown on drops and
denied verdicts; `pkg/hubble/parser/seven/`: http/dns summaries). Filters follow
`hubble/cmd/observe/flows_filter.go`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from labs.commands import hubble
from labs.probes import HttpRequest, Probe, parse_target

POLICY = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-get, namespace: backend}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web, k8s:io.kubernetes.pod.namespace: frontend}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}], rules: {http: [{method: GET}]}}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web-dns, namespace: frontend}
spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*.stripe.com"}]}}]
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: backend}}]
"""


class Clock:
    def __init__(self):
        self.t = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=timezone.utc)

    def __call__(self):
        self.t += timedelta(milliseconds=1)
        return self.t


@pytest.fixture
def cluster(workloads_yaml):
    from labs.cluster.sim import SimCluster

    c = SimCluster(external={"api.stripe.com": "198.51.100.20"}, clock=Clock())
    c.apply(workloads_yaml)
    c.apply(POLICY)
    c.probe(Probe("frontend/web", parse_target("backend/api"), 8080, http=HttpRequest("GET", "/products")))
    c.probe(Probe("frontend/web", parse_target("backend/api"), 8080, http=HttpRequest("POST", "/orders")))
    c.probe(Probe("frontend/other", parse_target("backend/api"), 8080))
    c.probe(Probe("frontend/web", None, dns="evil.example.com"))
    return c


def observe(cluster, line):
    result = hubble.run(line.split(), cluster)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def ids(cluster):
    return {p: cluster.identity(p) for p in ("frontend/web", "frontend/other", "backend/api")}


def test_drop_lines_as_hubble_prints_them(cluster):
    i = ids(cluster)
    out = observe(cluster, "hubble observe --verdict DROPPED --from-pod frontend/other")
    assert out == (
        f"Mar  4 05:06:07.917: frontend/other:40003 (ID:{i['frontend/other']}) <> backend/api:8080 "
        f"(ID:{i['backend/api']}) policy-verdict:none INGRESS DENIED (TCP Flags: SYN)\n"
        f"Mar  4 05:06:07.918: frontend/other:40003 (ID:{i['frontend/other']}) <> backend/api:8080 "
        f"(ID:{i['backend/api']}) Policy denied DROPPED (TCP Flags: SYN)\n")


def test_http_lines_and_policy_names(cluster):
    i = ids(cluster)
    web, api = f"frontend/web:40001 (ID:{i['frontend/web']})", f"backend/api:8080 (ID:{i['backend/api']})"
    out = observe(cluster, "hubble observe --from-pod frontend/web --to-pod backend/api --print-policy-names "
                           "--port 8080 --first 4")
    lines = out.splitlines()
    assert lines[0].endswith(f"{web} -> {api} policy-verdict:L3-L4 EGRESS ALLOWED BY web-dns (CiliumNetworkPolicy) "
                             "(TCP Flags: SYN)")
    assert lines[1].endswith(f"{web} -> {api} policy-verdict:L3-L4 INGRESS ALLOWED BY api-get (CiliumNetworkPolicy) "
                             "(TCP Flags: SYN)")
    assert lines[2].endswith(f"{web} -> {api} to-proxy FORWARDED (TCP Flags: SYN)")
    assert lines[3].endswith(f"{web} -> {api} http-request FORWARDED (HTTP/1.1 GET http://{cluster.pod_ip('backend/api')}"
                             ":8080/products)")
    # replies are not "from-pod frontend/web": the --from-pod filter sees their real source, backend/api
    assert "<-" not in out
    replies = observe(cluster, "hubble observe --to-pod frontend/web --type l7")
    assert f"{web} <- {api} http-response FORWARDED (HTTP/1.1 200 1ms (GET http://" in replies
    assert f"http-response FORWARDED (HTTP/1.1 403 0ms (POST http://{cluster.pod_ip('backend/api')}:8080/orders))" \
        in replies


@pytest.mark.parametrize(("line", "count"), [
    ("hubble observe --http-status 403", 1),
    ("hubble observe --http-status 4+ --http-method post", 1),
    ("hubble observe --http-path /prod --type l7", 2),  # unanchored, as hubble's server matches paths
    ("hubble observe --type trace:to-proxy", 3),
    ("hubble observe --type policy-verdict -n backend", 5),
    ("hubble observe --protocol dns", 2),
    ("hubble observe --namespace frontend --not --type trace", 13),
    ("hubble observe -t drop --last 1", 1),
    ("hubble observe --label app=api --type trace", 4),
    ("hubble observe --from-label app=other", 2),
    ("hubble observe --traffic-direction egress --type l7", 2),
])
def test_filters_select_like_hubble(cluster, line, count):
    assert len(observe(cluster, line).splitlines()) == count, observe(cluster, line)


def test_default_is_the_last_twenty_and_all_shows_everything(cluster):
    for _ in range(3):
        cluster.probe(Probe("frontend/other", parse_target("backend/api"), 8080))
    everything = len(cluster.flows())
    assert everything > 20
    assert len(observe(cluster, "hubble observe").splitlines()) == 20
    assert len(observe(cluster, "hubble observe --all").splitlines()) == everything
    assert observe(cluster, "hubble observe --first 1") == observe(cluster, "hubble observe --all").splitlines(True)[0]


def test_since_and_until(cluster):
    now = cluster.flows()[-1]["time"]
    assert observe(cluster, "hubble observe --since 2026-03-04T05:06:07.905Z --until " + now) == \
        "".join(observe(cluster, "hubble observe --all").splitlines(True)[-len(
            [f for f in cluster.flows() if f["time"] > "2026-03-04T05:06:07.905"]):])
    assert observe(cluster, "hubble observe --since 1m") == ""  # the fixed clock is far in the past


def test_dns_refused_lines(cluster):
    out = observe(cluster, "hubble observe --pod frontend/web --protocol dns -o compact")
    assert "dns-request proxy DROPPED (DNS Query evil.example.com. A)" in out
    assert "dns-response proxy FORWARDED (DNS Answer RCode: Query Refused TTL: 0 (Proxy evil.example.com. A))" in out


def test_json_is_one_getflowsresponse_per_line(cluster):
    out = observe(cluster, "hubble observe -o json --last 2")
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines == cluster.flows()[-2:]
    assert observe(cluster, "hubble observe -o jsonpb --last 2") == out


def test_follow_is_a_no_op_that_says_so(cluster):
    result = hubble.run(["observe", "-f", "--last", "2"], cluster)
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2
    assert "no live stream" in result.stderr
    table = hubble.run(["observe", "-f", "-o", "table"], cluster)
    assert table.exit_code == 1 and table.stderr == "Error: table output format is not compatible with follow mode\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["observe", "--verdict", "dropped"], 'Error: invalid argument "dropped" for "--verdict" flag: '
                                          "invalid --verdict value: dropped\n"),
    (["observe", "--bogus"], "Error: unknown flag: --bogus\n"),
    (["observe", "-z"], "Error: unknown shorthand flag: 'z' in -z\n"),
    (["observe", "--since"], "Error: flag needs an argument: --since\n"),
    (["observe", "--last", "x"], 'Error: invalid argument "x" for "--last" flag: strconv.ParseUint: '
                                 'parsing "x": invalid syntax\n'),
    (["observe", "--from-pod", "a", "-n", "b"], "Error: filters --from-pod and --namespace cannot be combined\n"),
    (["observe", "--first", "1", "--last", "1"], "Error: cannot set both --first and --last\n"),
    (["observe", "-o", "yaml"], "Error: invalid output format: yaml\n"),
    (["observe", "--type", "nope"], None),
    (["frobnicate"], 'Error: unknown command "frobnicate" for "hubble"\n'),
    (["observe", "--follow=maybe"], 'Error: invalid argument "maybe" for "-f, --follow" flag: strconv.ParseBool: '
                                    'parsing "maybe": invalid syntax\n'),
    (["observe", "-fz"], "Error: unknown shorthand flag: 'z' in -z\n"),
    (["observe", "--not", "--not", "--pod", "x"], "Error: consecutive --not statements\n"),
])
def test_errors_read_like_hubble(cluster, argv, message):
    result = hubble.run(argv, cluster)
    assert result.exit_code == 1 and result.stdout == ""
    if message is not None:
        assert result.stderr.startswith(message)
    else:
        assert result.stderr.startswith("Error: ")


def test_outside_the_subset_says_the_simulation_does_not_model_it(cluster):
    result = hubble.run(["observe", "--identity", "world"], cluster)
    assert result.exit_code == 1 and "simulated cluster does not model" in result.stderr


def test_status(cluster):
    flows = len(cluster.flows())
    assert observe(cluster, "hubble status") == (
        "Healthcheck (via localhost:4245): Ok\n"
        f"Current/Max Flows: {flows}/8,190 ({flows / 8190 * 100:.2f}%)\n"
        "Flows/s: N/A\n"
        "Connected Nodes: 2/2\n")


def test_list_nodes(cluster):
    # hubble/cmd/list/node.go nodeTableOutput: "%d/%d (%6.2f%%)"; no uptime, so AGE and FLOWS/S are N/A
    per_node = {}
    for response in cluster.flows():
        per_node[response["node_name"]] = per_node.get(response["node_name"], 0) + 1
    cp, worker = per_node.get("control-plane", 0), per_node["worker"]
    assert observe(cluster, "hubble list nodes") == (
        "NAME            STATUS      AGE   FLOWS/S   CURRENT/MAX-FLOWS\n"
        f"control-plane   Connected   N/A   N/A       {cp}/4095 ({cp / 4095 * 100:6.2f}%)\n"
        f"worker          Connected   N/A   N/A       {worker}/4095 ({worker / 4095 * 100:6.2f}%)\n")


def test_bool_flags_take_parsebool_values_and_the_last_one_wins(cluster):
    """pflag's bool flags: `--print-node-name=1` is on, a later `=false` turns it off again."""
    on = hubble.run(["observe", "--print-node-name=1", "--last", "1"], cluster)
    off = hubble.run(["observe", "--print-node-name", "--print-node-name=F", "--last", "1"], cluster)
    plain = hubble.run(["observe", "--last", "1"], cluster)
    assert on.exit_code == off.exit_code == 0
    assert off.stdout == plain.stdout and on.stdout != plain.stdout


def test_the_course_filter_options_are_named_like_hubble_observe_flags():
    """`lab.flows(...)`, the flow widgets and `python -m labs flows` take options from labs.flows.options; the
    names must be the `hubble observe` flags the simulated command reads (both lists exist: the options AND
    their filters together, the command builds hubble's left/right request), so a trainee can move an option
    from a widget to `%hubble observe` unchanged. `is_reply` is the course's own (hubble has no such flag)."""
    from labs.commands.hubble.observe import FLAGS
    from labs.flows.options import FILTER_OPTIONS

    course = {name.replace("_", "-") for name in FILTER_OPTIONS} - {"is-reply"}
    hubble_filters = {flag.name for flag in FLAGS if flag.kind == "filter" and flag.takes_value}
    assert course == hubble_filters


@pytest.mark.parametrize("argv", [["--numeric"], ["--ip-translation=false"], ["--color", "always"], ["-4"], ["-6"],
                                  ["--ipv4=v4"]])
def test_output_the_printer_cannot_give_is_refused_not_faked(cluster, argv):
    """Names instead of IPs or no colours would be a wrong answer (hubble flows.go: `--numeric`,
    `--ip-translation`, `--color`; `-4`/`-6` are `--ipv4`/`--ipv6`): the simulation note instead."""
    result = hubble.run(["observe", *argv], cluster)
    assert result.exit_code == 1 and result.stdout == "" and "simulated cluster does not model" in result.stderr


def test_output_options_that_change_nothing_here_are_accepted(cluster):
    plain = hubble.run(["observe", "--last", "3"], cluster)
    same = hubble.run(["observe", "--last", "3", "--ip-translation", "--color", "never", "--color=auto"], cluster)
    assert same.exit_code == 0 and same.stdout == plain.stdout


def test_a_trailing_not_is_an_error(cluster):
    result = hubble.run(["observe", "--pod", "x", "--not"], cluster)
    assert (result.stderr, result.exit_code) == ("Error: trailing --not found in the arguments\n", 1)
