"""Does every check fire on the mistake it knows, at the right line and field, and stay quiet on the fix?"""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.lint import REGISTRY, lint_report

FIXTURES = Path(__file__).parent / "fixtures"

APEX_PROBES = [{"from": "shop/web", "to": "fqdn:stripe.com", "port": 443, "expect": "allowed"}]
SUBPATH_PROBES = [{"from": "frontend/client", "to": "backend/api", "port": 8080,
                   "http": {"method": "GET", "path": "/api/v1/products"}, "expect": "allowed"}]

# fixture, probes, code, line, field path (lists when the fixture shows the mistake more than once)
FIRES = [
    ("namespace-label-as-peer", None, "CL101", 14, "spec.ingress[0].fromEndpoints[0].matchLabels.namespace"),
    ("k8s-namespace-label-as-peer", None, "CL101", 11, "spec.ingress[0].fromEndpoints[0].matchLabels.k8s:namespace"),
    ("entities-cluster-beside-narrower", None, "CL102", 19, "spec.ingress[1].fromEntities"),
    ("entities-all-beside-narrower", None, "CL102", 11, "spec.egress[1].toEntities"),
    ("empty-selector-called-allow-all", None, "CL103", 13, "spec.ingress[0].fromEndpoints[0]"),
    ("namespace-metadata-label-on-pods", None, "CL104", 11,
     "spec.ingress[0].fromEndpoints[0].matchLabels.kubernetes.io/metadata.name"),
    ("cidr-over-pod-addresses", None, "CL105", [23, 41], ["spec.egress[2].toCIDRSet[0].cidr",
                                                         "spec.ingress[0].from[0].ipBlock.cidr"]),
    ("empty-ingress-list", None, "CL201", 9, "spec.ingress"),
    ("empty-egress-list-beside-ingress", None, "CL201", 10, "spec.egress"),
    ("egress-deny-blocks-dns", None, "CL202", 10, "spec.egress"),
    ("fqdns-without-dns-rule", None, "CL301", 11, "spec.egress[0].toFQDNs"),
    ("dns-rule-on-port-443", None, "CL302", 17, "spec.egress[0].toPorts[0].ports[0].port"),
    ("kube-dns-egress-on-port-443", None, "CL302", 13, "spec.egress[0].toPorts"),
    ("dns-rule-to-kube-dns-without-namespace", None, "CL303", 9, "spec.egress[0]"),
    ("dns-rule-to-world", None, "CL303", 9, "spec.egress[0]"),
    ("wildcard-pattern-misses-apex", APEX_PROBES, "CL304", 21, "spec.egress[1].toFQDNs[0].matchPattern"),
    ("fqdn-refused-by-dns-rule", None, "CL305", 21, "spec.egress[1].toFQDNs[0].matchName"),
    ("l4-rule-lifts-http", None, "CL401", 36, "spec.ingress[0].toPorts[0].ports[0].port"),
    ("http-path-prefix-without-wildcard", SUBPATH_PROBES, "CL402", 21,
     "spec.ingress[0].toPorts[0].rules.http[0].path"),
    ("http-redundant-anchors", None, "CL403", [20, 21], ["spec.ingress[0].toPorts[0].rules.http[0].method",
                                                        "spec.ingress[0].toPorts[0].rules.http[0].path"]),
    ("http-path-dot-star-after-name", None, "CL404", 21, "spec.ingress[0].toPorts[0].rules.http[0].path"),
    ("api-version-without-v2", None, "CL501", 1, "apiVersion"),
    ("icmp-as-port-protocol", None, "CL502", 14, "spec.ingress[0].toPorts[0].ports[0].protocol"),
    ("from-requires-removed", None, "CL503", 11, "spec.ingress[0].fromRequires"),
    ("world-ipv4-entity", None, "CL504", 10, "spec.egress[0].toEntities[0]"),
    ("l7-rules-outside-to-ports", None, "CL505", 14, "spec.ingress[0].l7Rules"),
    ("end-port-below-port", None, "CL506", 13, "spec.ingress[0].toPorts[0].ports[0].endPort"),
    ("kafka-rules", None, "CL507", 15, "spec.ingress[0].toPorts[0].rules.kafka"),
    ("service-node-port-out-of-range", None, "CL601", 13, "spec.ports[0].nodePort"),
    ("helm-kube-proxy-replacement-strict", None, "CL602", 2, "kubeProxyReplacement"),
    ("helm-hubble-relay-node-port-4245", None, "CL603", 7, "hubble.relay.service.nodePort"),
    ("helm-hubble-ui-without-relay", None, "CL604", 3, "hubble.ui.enabled"),
    ("blog-install-commands", None, "CL605", 5, "enable-hubble"),
    ("kubeadm-pod-subnet-overlaps-services", None, "CL606", 4, "networking.podSubnet"),
    ("hubble-relay-service-edited", None, "CL607", 13, "spec.ports[0].targetPort"),
    ("blog-install-commands", None, "CL701", 4, "words"),
    ("blog-install-commands", None, "CL702", 10, "words"),
    ("blog-install-commands", None, "CL703", 12, "words"),
    ("blog-install-commands", None, "CL704", [11, 12], ["words", "words"]),
]

# corrected fixture, probes: no finding at all, input valid
QUIET = [
    ("namespace-label-as-peer.fixed", None),
    ("entities-cluster-beside-narrower.fixed", None),
    ("empty-selector-called-allow-all.fixed", None),
    ("namespace-metadata-label-on-pods.fixed", None),
    ("cidr-over-pod-addresses.fixed", None),
    ("empty-ingress-list.fixed", None),
    ("egress-deny-blocks-dns.fixed", None),
    ("fqdns-without-dns-rule.fixed", None),
    ("wildcard-pattern-misses-apex.fixed", APEX_PROBES),
    ("wildcard-pattern-misses-apex", None),
    ("fqdn-refused-by-dns-rule.fixed", None),
    ("l4-rule-lifts-http.fixed", None),
    ("http-path-prefix-without-wildcard.fixed", SUBPATH_PROBES),
    ("http-path-prefix-without-wildcard", None),
    ("http-redundant-anchors.fixed", None),
    ("http-path-dot-star-after-name.fixed", None),
    ("api-version-without-v2.fixed", None),
    ("icmp-as-port-protocol.fixed", None),
    ("from-requires-removed.fixed", None),
    ("world-ipv4-entity.fixed", None),
    ("end-port-below-port.fixed", None),
    ("service-node-port-out-of-range.fixed", None),
    ("helm-kube-proxy-replacement-strict.fixed", None),
    ("helm-hubble-relay-node-port-4245.fixed", None),
    ("helm-hubble-ui-without-relay.fixed", None),
    ("blog-install-commands.fixed", None),
    ("kubeadm-pod-subnet-overlaps-services.fixed", None),
    ("hubble-relay-service-edited.fixed", None),
]


def _fixture(name: str) -> Path:
    """A fixture file: YAML, or a shell script for the install checks."""
    script = FIXTURES / f"{name}.sh"
    return script if script.exists() else FIXTURES / f"{name}.yaml"


@pytest.mark.parametrize(("fixture", "probes", "code", "line", "path"), FIRES, ids=[f"{r[2]}-{r[0]}" for r in FIRES])
def test_check_fires_on_the_mistake(fixture, probes, code, line, path):
    """Does the check report the mistake at its line and field, with the registry's severity and a fix?"""
    report = lint_report([_fixture(fixture)], probes=probes)
    hits = [f for f in report.findings if f.code == code]
    expected = list(zip(line, path)) if isinstance(line, list) else [(line, path)]
    assert [(f.line, f.path) for f in hits] == expected
    assert hits[0].severity == REGISTRY[code].severity
    assert hits[0].file == str(_fixture(fixture))
    assert hits[0].fix and hits[0].message.endswith(".")


@pytest.mark.parametrize(("fixture", "probes"), QUIET, ids=[r[0] for r in QUIET])
def test_corrected_policy_is_quiet(fixture, probes):
    """Does the corrected file pass without a single finding?"""
    report = lint_report([_fixture(fixture)], probes=probes)
    assert report.problems == []
    assert report.findings == []
    assert report.exit_code == 0


def test_every_registered_check_has_a_firing_fixture():
    """Is every code in the registry shown firing by at least one fixture above?"""
    assert {row[2] for row in FIRES} == set(REGISTRY)


def test_every_mistake_fixture_has_a_quiet_counterpart_or_is_listed():
    """Does every `X.fixed.yaml` fixture belong to a mistake fixture, and is every fixed file tested?"""
    fixed = {p.name.rsplit(".fixed.", 1)[0] for p in FIXTURES.glob("*.fixed.*")}
    mistakes = {p.stem for p in [*FIXTURES.glob("*.yaml"), *FIXTURES.glob("*.sh")] if ".fixed." not in p.name}
    assert fixed <= mistakes
    assert {f"{name}.fixed" for name in fixed} <= {row[0] for row in QUIET}


def test_cidr_check_knows_the_course_pod_range():
    """CL105 compares CIDR rules with the pod range the course cluster and the simulated one use."""
    import yaml

    from labs.lint.checks.peers import COURSE_POD_CIDR
    from labs.paths import repo_root

    settings = yaml.safe_load((repo_root() / "settings.yaml").read_text())
    assert str(COURSE_POD_CIDR) == settings["network"]["pod_cidr"]
    from labs.cluster.sim import SimCluster

    sim = SimCluster()
    sim.apply("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\n"
              "spec: {containers: [{name: c, image: busybox:1.36.1}]}\n")
    import ipaddress

    assert all(ipaddress.ip_address(ip) in COURSE_POD_CIDR for ip in sim._pod_ip.values() if not ip.startswith("192."))


@pytest.mark.parametrize(("cidr", "excepts", "fires"), [
    ("0.0.0.0/0", (), False),            # "anywhere outside": left alone
    ("10.0.0.0/8", (), True),            # holds the pod range
    ("10.244.3.0/24", (), True),         # inside it
    ("10.0.0.0/8", ("10.244.0.0/16",), False),
    ("10.0.0.0/8", ("10.244.0.0/20",), True),  # only part of the pods excepted
    ("192.0.2.0/24", (), False),
    ("2001:db8::/32", (), False),
])
def test_cidr_check_decides_on_the_pod_part(cidr, excepts, fires):
    from labs.lint.checks.peers import _pod_part

    assert (_pod_part(cidr, excepts) is not None) is fires


def test_helm_set_values_are_typed_like_helm():
    """`--set a.b=true,c=3` gives nested values typed as Helm's strvals types them."""
    from labs.lint.shell import helm_set_values, parse_commands

    [command] = parse_commands("helm upgrade cilium cilium/cilium --set a.b=true,c=3 --set d=strict\n")
    assert helm_set_values(command) == {"a": {"b": True}, "c": 3, "d": "strict"}


def test_shell_pipelines_and_continuations():
    """A pipeline's stages, `&&` lists and backslash continuations are read as the shell reads them."""
    from labs.lint.shell import parse_commands

    commands = parse_commands("# a comment\ncurl -s https://x/y \\\n  | sudo bash && echo done\n")
    assert [(c.words, c.line, c.stage) for c in commands] == [
        (("curl", "-s", "https://x/y"), 2, 0), (("sudo", "bash"), 2, 1), (("echo", "done"), 2, 0)]


def test_the_vm_provisioning_passes_the_install_checks(tmp_path):
    """The values and kubeadm config the course's VM uses (scripts/provision) raise no install finding."""
    import re

    from labs.paths import repo_root

    root = repo_root()
    settings = __import__("yaml").safe_load((root / "settings.yaml").read_text())
    env = {"CILIUMLAB_CONTROL_PLANE_IP": "192.168.56.10"}
    script = (root / "scripts/provision/cilium.sh").read_text()
    body = re.search(r"cilium_values\(\) \{\n  cat <<YAML\n(.*?)\nYAML\n\}", script, re.S)
    assert body, "cilium_values() not found in scripts/provision/cilium.sh"
    values = tmp_path / "values.yaml"
    values.write_text(body.group(1).replace("$CILIUMLAB_CONTROL_PLANE_IP", env["CILIUMLAB_CONTROL_PLANE_IP"]))
    kubeadm = tmp_path / "kubeadm.yaml"
    kubeadm.write_text("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n"
                       f"  podSubnet: {settings['network']['pod_cidr']}\n"
                       f"  serviceSubnet: {settings['network'].get('service_cidr', '10.96.0.0/12')}\n")
    report = lint_report([values, kubeadm])
    assert report.findings == [] and report.problems == []
