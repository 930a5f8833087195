"""cilium-dbg and cilium (cilium-cli) on the simulated cluster, checked against the real printers' layout.

Sources: cilium `cilium-dbg/cmd/endpoint_list.go` (printEndpointList: tabwriter 5,0,3, every line
tab-terminated so every column, STATUS included, is padded), `cilium-dbg/cmd/identity_get.go`
(printIdentities: tabwriter 2,0,3), `cilium-dbg/cmd/endpoint_config.go` (configEndpoint),
`cilium-cli/status/status.go` (Status.Format: tabwriter 0,0,4) and `cilium-cli/config/config.go`
(K8sConfig.View). Column widths below are worked out by hand from Go's tabwriter rule (widest cell of
the column block + padding).
"""

from __future__ import annotations

import pytest

from labs.commands import cilium
from labs.commands.agent_exec import route
from labs.commands.cilium.agent import endpoints
from labs.commands.tabwriter import tabwrite

# ENDPOINT(8)+3, "POLICY (ingress)"(16)+3, "POLICY (egress)"(15)+3, IDENTITY(8)+3, the longest label
# (k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=kube-system, 74)+3, IPv6(4)+3,
# 10.244.1.10(11)+3, then STATUS: the second header line has one cell fewer ("\t%s\t%s\t\t\t\t\t\n"), which
# ends the STATUS column block, so the first line's STATUS is STATUS(6)+3 and the rows' is ready(5)+3.
WIDTHS = (11, 19, 18, 11, 77, 7, 14)


def row(*cells, status_width=8):
    return "".join(c.ljust(w) for c, w in zip(cells, (*WIDTHS, status_width))) + "\n"


def labels_of(app, namespace, extra=()):
    found = [f"k8s:app={app}", f"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name={namespace}",
             *extra, "k8s:io.cilium.k8s.policy.cluster=default", "k8s:io.cilium.k8s.policy.serviceaccount=default",
             f"k8s:io.kubernetes.pod.namespace={namespace}"]
    return found


def block(ep_id, ingress, egress, identity, labels, ip):
    text = row(str(ep_id), ingress, egress, str(identity), labels[0], "", ip, "ready")
    return text + "".join(row("", "", "", "", label, "", "", "") for label in labels[1:])


def test_endpoint_list(cluster):
    out = cluster_out = cilium.run(["cilium-dbg", "endpoint", "list"], cluster).stdout
    api, web = cluster.endpoint_id("backend/api"), cluster.endpoint_id("frontend/web")
    assert out.startswith(row("ENDPOINT", "POLICY (ingress)", "POLICY (egress)", "IDENTITY",
                              "LABELS (source:key[=value])", "IPv6", "IPv4", "STATUS", status_width=9)
                          + row("", "ENFORCEMENT", "ENFORCEMENT", "", "", "", ""))
    assert row(out.splitlines()[2].split()[0], "Disabled", "Disabled", "1", "reserved:host", "", "", "ready") in out
    assert block(api, "Enabled", "Disabled", cluster.identity("backend/api"),
                 labels_of("api", "backend"), cluster.pod_ip("backend/api")) in cluster_out
    assert block(web, "Disabled", "Disabled", cluster.identity("frontend/web"),
                 labels_of("web", "frontend", ["k8s:io.cilium.k8s.namespace.labels.team=web"]),
                 cluster.pod_ip("frontend/web")) in out
    ids = [int(line.split()[0]) for line in out.splitlines()[2:] if line[:1].isdigit()]
    assert ids == sorted(ids)


def test_endpoint_list_follows_the_enforcement_mode(cluster):
    cluster.set_enforcement("always")
    out = cilium.run_dbg(["endpoint", "list", "--no-headers"], cluster).stdout
    assert "Disabled" not in out.replace("reserved:host", "")
    assert not out.startswith("ENDPOINT")


def test_endpoint_config_audit_mode_is_shown_and_applied(cluster):
    api = cluster.endpoint_id("backend/api")
    result = cilium.run_dbg(["endpoint", "config", str(api), "PolicyAuditMode=Enabled"], cluster)
    assert result.stdout == f"Endpoint {api} configuration updated successfully\n" and result.exit_code == 0
    assert result.stderr == "" and cluster.audits("backend/api")
    line = next(li for li in cilium.run_dbg(["endpoint", "list"], cluster).stdout.splitlines()
                if li.startswith(str(api)))
    # endpoint_list.go endpointPolicyMode: "Disabled (Audit)" only where enforcement is on (ingress here)
    assert line.startswith(f"{api}".ljust(11) + "Disabled (Audit)   Disabled")
    cilium.run_dbg(["endpoint", "config", str(api), "PolicyAuditMode=Disabled"], cluster)
    assert "(Audit)" not in cilium.run_dbg(["endpoint", "list"], cluster).stdout
    assert not cluster.audits("backend/api")


def test_the_host_endpoint_option_is_recorded_with_a_note(cluster):
    host = next(ep for ep in endpoints(cluster) if ep.pod is None)
    result = cilium.run_dbg(["endpoint", "config", str(host.id), "PolicyAuditMode=Enabled"], cluster)
    assert result.exit_code == 0 and "host firewall" in result.stderr


def test_cilium_config_set_turns_audit_on_for_every_endpoint(cluster):
    result = cilium.run(["cilium", "config", "set", "policy-audit-mode", "true"], cluster)
    # cilium-cli/config/config.go K8sConfig.Set + restartPodsUponConfigChange
    assert result.stdout == ("✨ Patching ConfigMap cilium-config with policy-audit-mode=true...\n"
                             "♻️  Restarted Cilium pods\n")
    assert cluster.audits("backend/api") and cluster.audits("frontend/web")
    view = cilium.run(["cilium", "config", "view"], cluster).stdout
    assert "policy-audit-mode            true\n" in view
    off = cilium.run(["cilium", "config", "set", "policy-audit-mode", "false", "--restart=false"], cluster)
    assert off.stdout.endswith("⚠️  Restart Cilium pods for configmap changes to take effect\n")
    assert cluster.audits("backend/api"), "the agents read the ConfigMap when they restart"
    assert "policy-audit-mode            false\n" in cilium.run(["cilium", "config", "view"], cluster).stdout
    cluster.restart_agents()
    assert not cluster.audits("backend/api")


@pytest.mark.parametrize(("argv", "stderr"), [
    (["config", "set", "policy-audit-mode"], "Error: accepts 2 arg(s), received 1\n"),
    (["config", "set", "policy-audit-mode", "true", "--force"], "Error: unknown flag: --force\n"),
    (["config", "set", "policy-audit-mode", "true", "-x"], "Error: unknown shorthand flag: 'x' in -x\n"),
    (["config", "set", "policy-audit-mode", "true", "--restart=maybe"],
     'Error: invalid argument "maybe" for "-r, --restart" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n'),
])
def test_cilium_config_set_errors(cluster, argv, stderr):
    result = cilium.run(argv, cluster)
    assert (result.stderr, result.exit_code) == (stderr, 1)
    assert not cluster.audits("backend/api")


def test_cilium_config_set_of_a_key_not_modelled_says_so(cluster):
    result = cilium.run(["config", "set", "enable-policy", "always"], cluster)
    assert result.exit_code != 0 and "only policy-audit-mode" in result.stderr
    assert cluster.enforcement == "default"


def test_audit_flows_through_the_commands(cluster):
    """endpoint config -> a probe from a peer no rule allows -> `hubble observe --verdict AUDIT`."""
    from labs.commands import hubble
    from labs.probes import Probe, parse_target

    api = cluster.endpoint_id("backend/api")
    cilium.run_dbg(["endpoint", "config", str(api), "PolicyAuditMode=Enabled"], cluster)
    cluster.probe(Probe("frontend/other", parse_target("backend/api"), 8080))
    out = hubble.run(["hubble", "observe", "--verdict", "AUDIT"], cluster).stdout.splitlines()
    assert len(out) == 1
    # hubble/pkg/printer getVerdict: a policy-verdict event with verdict AUDIT prints AUDITED
    port = out[0].split("frontend/other:")[1].split()[0]
    assert out[0].endswith(f"frontend/other:{port} (ID:{cluster.identity('frontend/other')})"
                           f" -> backend/api:8080 (ID:{cluster.identity('backend/api')}) "
                           "policy-verdict:none INGRESS AUDITED (TCP Flags: SYN)")
    assert hubble.run(["hubble", "observe", "--verdict", "DROPPED"], cluster).stdout == ""


@pytest.mark.parametrize(("argv", "stderr"), [
    (["endpoint", "config", "9999", "PolicyAuditMode=Enabled"],
     "Error: Cannot get configuration of endpoint 9999: [GET /endpoint/{id}/config][404] "
     "getEndpointIdConfigNotFound \n"),
    (["endpoint", "config"], "Error: Missing endpoint id argument\n"),
    (["frobnicate"], 'Error: unknown command "frobnicate" for "cilium-dbg"\nRun \'cilium-dbg --help\' for usage.\n'),
])
def test_cilium_dbg_errors(cluster, argv, stderr):
    result = cilium.run_dbg(argv, cluster)
    assert (result.exit_code, result.stderr) == (1, stderr)


def test_bad_option_is_refused_and_nothing_changes(cluster):
    api = str(cluster.endpoint_id("backend/api"))
    result = cilium.run_dbg(["endpoint", "config", api, "PolicyAuditMode=maybe"], cluster)
    assert result.exit_code == 1 and result.stderr.startswith("Error: Cannot parse option PolicyAuditMode=maybe")
    assert "(Audit)" not in cilium.run_dbg(["endpoint", "list"], cluster).stdout


def test_identity_list(cluster):
    out = cilium.run_dbg(["identity", "list"], cluster).stdout
    # ID column: widest ID (5 digits) + 3; labels are the trailing cell, never padded
    assert out.startswith("ID      LABELS\n1       reserved:host\n2       reserved:world\n3       reserved:unmanaged\n"
                          "4       reserved:health\n5       reserved:init\n6       reserved:remote-node\n"
                          "7       reserved:kube-apiserver\n        reserved:remote-node\n8       reserved:ingress\n")
    api = cluster.identity("backend/api")
    assert (f"{api}   k8s:app=api\n"
            "        k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=backend\n") in out


def test_cilium_status_summary(cluster):
    out = cilium.run(["status", "--wait"], cluster).stdout
    pods = len([p for p in cluster.pods() if not p.host_network])
    assert out.startswith(
        "    /¯¯\\\n"
        " /¯¯\\__/¯¯\\    Cilium:             OK\n"
        " \\__/¯¯\\__/    Operator:           OK\n"
        " /¯¯\\__/¯¯\\    Envoy DaemonSet:    OK\n"
        " \\__/¯¯\\__/    Hubble Relay:       OK\n"
        "    \\__/       ClusterMesh:        disabled\n"
        "\n"
        "DaemonSet              cilium                   Desired: 2, Ready: 2/2, Available: 2/2\n"
        "DaemonSet              cilium-envoy             Desired: 2, Ready: 2/2, Available: 2/2\n"
        "Deployment             cilium-operator          Desired: 1, Ready: 1/1, Available: 1/1\n"
        "Deployment             hubble-relay             Desired: 1, Ready: 1/1, Available: 1/1\n"
        "Deployment             hubble-ui                Desired: 1, Ready: 1/1, Available: 1/1\n"
        "Containers:            cilium                   Running: 2\n"
        "                       cilium-envoy             Running: 2\n"
        "                       cilium-operator          Running: 1\n"
        "                       clustermesh-apiserver    \n"
        "                       hubble-relay             Running: 1\n"
        "                       hubble-ui                Running: 1\n"
        f"Cluster Pods:          {pods}/{pods} managed by Cilium\n"
        "Helm chart version:    1.19.5\n"
        "Image versions         cilium             quay.io/cilium/cilium:v1.19.5")


def test_cilium_config_view_reflects_the_cluster(cluster):
    cluster.set_enforcement("always")
    result = cilium.run(["config", "view"], cluster)
    lines = result.stdout.splitlines()
    assert lines == sorted(lines)
    assert "enable-policy                always" in lines  # widest key (k8s-require-ipv4-pod-cidr, 25) + 4
    assert "does not model" in result.stderr


def test_cilium_cli_points_agent_commands_to_cilium_dbg(cluster):
    result = cilium.run(["endpoint", "list"], cluster)
    assert result.exit_code == 1
    assert result.stderr.startswith('Error: unknown command "endpoint" for "cilium"\n')
    assert "cilium-dbg endpoint list" in result.stderr


@pytest.mark.parametrize("line", [
    "kubectl exec -n kube-system ds/cilium -- cilium-dbg identity list",
    "kubectl -n kube-system exec -it ds/cilium -c cilium-agent -- cilium-dbg identity list",
    "exec daemonset/cilium --namespace=kube-system -- cilium-dbg identity list",
    "exec -n kube-system cilium-x7k2p -- cilium-dbg identity list",
])
def test_kubectl_exec_into_the_agent_reaches_cilium_dbg(cluster, line):
    assert route(line.split(), cluster) == cilium.run_dbg(["identity", "list"], cluster)


@pytest.mark.parametrize("line", [
    "kubectl exec -n frontend web -- curl -s backend",
    "kubectl exec ds/cilium -- cilium-dbg status",  # not in kube-system
    "kubectl exec -n kube-system cilium-operator-5d8 -- cilium-dbg status",
    "kubectl get pods -n kube-system",
])
def test_other_lines_are_left_to_kubectl(cluster, line):
    assert route(line.split(), cluster) is None


def test_hubble_in_the_agent(cluster):
    line = "kubectl exec -n kube-system ds/cilium -- hubble observe --last 1"
    result = route(line.split(" "), cluster)
    assert result is not None and result.exit_code == 0


def test_go_tabwriter_column_blocks():
    # a line without a tab ends the column block; the next block is aligned on its own
    assert tabwrite("a\tb\tc\naa\tbbbb\tc\nx\ny\tz\n", minwidth=0, padding=1) == "a  b    c\naa bbbb c\nx\ny z\n"
    # empty terminated cells are padded (column 1: minwidth 5 beats x+3); trailing text is not
    assert tabwrite("\tx\t\nlong\t\t\n", minwidth=5, padding=3) == "       x    \nlong        \n"


GOLDEN_POLICY_GET = """[
  {
    "endpointSelector": {
      "matchLabels": {
        "any:app": "api",
        "k8s:io.kubernetes.pod.namespace": "backend"
      }
    },
    "ingress": [
      {
        "fromEndpoints": [
          {
            "matchLabels": {
              "any:app": "web",
              "k8s:io.cilium.k8s.policy.cluster": "default",
              "k8s:io.kubernetes.pod.namespace": "backend"
            }
          }
        ]
      }
    ],
    "labels": [
      {
        "key": "io.cilium.k8s.policy.derived-from",
        "value": "CiliumNetworkPolicy",
        "source": "k8s"
      },
      {
        "key": "io.cilium.k8s.policy.name",
        "value": "api-in",
        "source": "k8s"
      },
      {
        "key": "io.cilium.k8s.policy.namespace",
        "value": "backend",
        "source": "k8s"
      },
      {
        "key": "io.cilium.k8s.policy.uid",
        "value": "00000000-0000-0000-0000-000000000000",
        "source": "k8s"
      }
    ]
  }
]
"""


def test_policy_get_prints_the_rules_as_the_agent_holds_them(cluster, api_in_policy):
    # the peer `{app: web}` in a CNP means web pods of the policy's own namespace (cilium-semantics.md §3.2)
    result = cilium.run_dbg(["policy", "get"], cluster)
    assert result.exit_code == 0 and result.stderr == ""
    text, revision = result.stdout.rsplit("Revision: ", 1)
    assert text == GOLDEN_POLICY_GET
    cluster.apply(api_in_policy.replace("api-in", "api-in-2"))
    later = cilium.run_dbg(["policy", "get"], cluster).stdout
    assert int(later.rsplit("Revision: ", 1)[1]) == int(revision) + 1


def test_policy_get_on_an_empty_repository_and_for_clusterwide_peers(sim):
    assert cilium.run_dbg(["policy", "get"], sim).stdout.startswith("null\nRevision: ")
    sim.apply("apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: dns}\n"
              "spec:\n  endpointSelector: {}\n  egress:\n  - toEndpoints: [{matchLabels: {k8s-app: kube-dns}}]\n")
    import json

    rules = json.loads(cilium.run_dbg(["policy", "get"], sim).stdout.rsplit("Revision: ", 1)[0])
    assert rules[0]["endpointSelector"] == {}
    assert rules[0]["egress"][0]["toEndpoints"] == [{
        "matchLabels": {"any:k8s-app": "kube-dns", "k8s:io.cilium.k8s.policy.cluster": "default"},
        "matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]}]


def test_policy_get_says_what_it_does_not_render(sim):
    sim.apply("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: backend}\n"
              "spec: {podSelector: {}, policyTypes: [Ingress]}\n")
    result = cilium.run_dbg(["policy", "get"], sim)
    assert result.exit_code == 0 and "NetworkPolicy backend/deny" in result.stderr


def test_policy_get_shows_kafka_rules_under_their_json_names(sim):
    """Kafka rules (valid in 1.19) keep their fields as the agent's JSON names them (cilium/proxy kafka.PortRule)."""
    import json

    sim.apply("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: topics, namespace: backend}\n"
              "spec:\n  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n  - toPorts:\n"
              "    - ports: [{port: \"9092\", protocol: TCP}]\n"
              "      rules: {kafka: [{role: produce, topic: orders}, {apiKey: fetch, clientID: billing}]}\n")
    rules = json.loads(cilium.run_dbg(["policy", "get"], sim).stdout.rsplit("Revision: ", 1)[0])
    assert rules[0]["ingress"][0]["toPorts"][0]["rules"] == {
        "kafka": [{"role": "produce", "topic": "orders"}, {"apiKey": "fetch", "clientID": "billing"}]}


def test_cilium_config_set_reads_flags_anywhere_like_pflag(cluster):
    """`-r=false` before the arguments and the persistent `-n` (cilium-cli/cli/cmd.go) are accepted."""
    result = cilium.run(["config", "set", "-n", "kube-system", "-r=false", "policy-audit-mode", "true"], cluster)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("⚠️  Restart Cilium pods for configmap changes to take effect\n")


@pytest.mark.parametrize(("argv", "stderr"), [
    # cilium-cli v0.19.7 cli/status.go has no --brief, and --wait-duration is a Go duration
    (["status", "--brief"], "Error: unknown flag: --brief\n"),
    (["status", "-x"], "Error: unknown shorthand flag: 'x' in -x\n"),
    (["status", "--wait-duration", "5"], 'Error: invalid argument "5" for "--wait-duration" flag: '
                                         'time: missing unit in duration "5"\n'),
    (["status", "--worker-count=two"], 'Error: invalid argument "two" for "--worker-count" flag: '
                                       'strconv.ParseInt: parsing "two": invalid syntax\n'),
])
def test_cilium_status_flag_errors(cluster, argv, stderr):
    result = cilium.run(argv, cluster)
    assert (result.stdout, result.stderr, result.exit_code) == ("", stderr, 1)


@pytest.mark.parametrize("argv", [["status", "--wait", "--wait-duration=2m", "-n", "kube-system"],
                                  ["status", "--wait=true", "--interactive=false", "--verbose", "-o", "summary"],
                                  ["status", "--context", "x", "--ignore-warnings"]])
def test_cilium_status_accepts_its_flags(cluster, argv):
    result = cilium.run(argv, cluster)
    assert result.exit_code == 0 and result.stdout == cilium.run(["status"], cluster).stdout


def test_cilium_status_json_is_not_modelled(cluster):
    result = cilium.run(["status", "-o", "json"], cluster)
    assert result.exit_code != 0 and result.stdout == "" and "cilium status -o json" in result.stderr
