"""The typed Cilium model rejects everything the real CRD schema rejects.

The CRD's openAPIV3Schema (v1.19 branch point, the pinned minor) is "strictified" as the API server
would behave with strict field validation (additionalProperties: false where an object lists its
properties, never on the bare anyOf/oneOf branches), and given a `cidr` format checker. Each table
row states what the CRD answers and what the course's model answers; where they differ it is an
agent-side rule (the agent rejects what the schema lets through), never the other way round.
These tests read ../shared (reference copies of the CRDs); the course itself never does.
"""

from __future__ import annotations

import copy
import ipaddress
from pathlib import Path

import pytest
import yaml

from labs.manifests import ManifestError, load_text

CRDS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "cilium-crds" / "v1.19-branchpoint-2ba24a2"
pytestmark = pytest.mark.skipif(not CRDS.is_dir(), reason=f"reference CRDs not available at {CRDS}")


def strictify(schema):
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("pattern") == "^\\PC*$":  # Go's "no control characters"; Python's re lacks \P
                node["pattern"] = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
            if node.get("type") == "object" and "properties" in node \
                    and not node.get("x-kubernetes-preserve-unknown-fields"):
                node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def _validator(filename: str):
    import jsonschema

    crd = yaml.safe_load((CRDS / filename).read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v2")
    # Only formats the API server enforces: it ignores `idn-hostname` (on http.host, a regex), checks `cidr`.
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("cidr")
    def _cidr(value) -> bool:
        if not isinstance(value, str):
            return True
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
        return True

    return jsonschema.Draft7Validator(strictify(version["schema"]["openAPIV3Schema"]), format_checker=checker)


@pytest.fixture(scope="module")
def validators():
    return {"CiliumNetworkPolicy": _validator("ciliumnetworkpolicies.yaml"),
            "CiliumClusterwideNetworkPolicy": _validator("ciliumclusterwidenetworkpolicies.yaml")}


def cnp(spec: str, kind: str = "CiliumNetworkPolicy") -> str:
    namespace = "  namespace: shop\n" if kind == "CiliumNetworkPolicy" else ""
    return f"apiVersion: cilium.io/v2\nkind: {kind}\nmetadata:\n  name: p\n{namespace}spec:\n{spec}"


SEL = "  endpointSelector: {matchLabels: {app: api}}\n"
ACCEPT, REJECT = True, False
# (id, document, CRD accepts?, model accepts?)
TABLE = [
    ("l3-ingress", cnp(SEL + "  ingress:\n  - fromEndpoints: [{matchLabels: {app: web}}]\n"), ACCEPT, ACCEPT),
    ("l4-l7-http", cnp(SEL + "  ingress:\n  - toPorts:\n    - ports: [{port: '80', protocol: TCP}]\n"
                             "      rules: {http: [{method: GET, path: /public}]}\n"), ACCEPT, ACCEPT),
    ("dns-and-fqdn", cnp(SEL + "  egress:\n  - toEndpoints: [{matchLabels: {k8s-app: kube-dns}}]\n"
                               "    toPorts:\n    - ports: [{port: '53', protocol: ANY}]\n"
                               "      rules: {dns: [{matchPattern: '*'}]}\n"
                               "  - toFQDNs: [{matchName: api.github.com}]\n"), ACCEPT, ACCEPT),
    ("cidr-set-except", cnp(SEL + "  egress:\n  - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.96.0.0/12]}]\n"),
     ACCEPT, ACCEPT),
    ("icmp-fields", cnp(SEL + "  egress:\n  - icmps: [{fields: [{type: 8, family: IPv4}, {type: EchoRequest,"
                              " family: IPv6}]}]\n"), ACCEPT, ACCEPT),
    ("deny-ports", cnp(SEL + "  ingressDeny:\n  - fromEntities: [world]\n    toPorts: [{ports: [{port: '22'}]}]\n"),
     ACCEPT, ACCEPT),
    ("specs-list", "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\nspecs:\n"
                   "- endpointSelector: {}\n  ingress: [{}]\n- endpointSelector: {}\n  egress: [{}]\n",
     ACCEPT, ACCEPT),
    ("ccnp-node-selector", cnp("  nodeSelector: {}\n  ingress:\n  - fromEntities: [cluster]\n",
                               "CiliumClusterwideNetworkPolicy"), ACCEPT, ACCEPT),
    ("enable-default-deny", cnp(SEL + "  enableDefaultDeny: {ingress: false}\n  ingress:\n  - fromEntities: [all]\n"),
     ACCEPT, ACCEPT),
    ("named-port-and-range", cnp(SEL + "  egress:\n  - toPorts: [{ports: [{port: http, protocol: TCP},"
                                       " {port: '8000', endPort: 8100, protocol: TCP}]}]\n"), ACCEPT, ACCEPT),
    # rejected by the CRD schema itself
    ("typo-toport", cnp(SEL + "  egress:\n  - toPort: [{ports: [{port: '80'}]}]\n"), REJECT, REJECT),
    ("typo-in-rule", cnp(SEL + "  ingres:\n  - {}\n"), REJECT, REJECT),
    ("no-section", cnp(SEL), REJECT, REJECT),
    ("no-subject", cnp("  ingress: [{}]\n"), REJECT, REJECT),
    ("both-subjects", cnp(SEL + "  nodeSelector: {}\n  ingress: [{}]\n", "CiliumClusterwideNetworkPolicy"),
     REJECT, REJECT),
    ("port-as-number", cnp(SEL + "  ingress:\n  - toPorts: [{ports: [{port: 80}]}]\n"), REJECT, REJECT),
    ("protocol-icmp", cnp(SEL + "  ingress:\n  - toPorts: [{ports: [{port: '0', protocol: ICMP}]}]\n"),
     REJECT, REJECT),
    ("protocol-lowercase", cnp(SEL + "  ingress:\n  - toPorts: [{ports: [{port: '80', protocol: tcp}]}]\n"),
     REJECT, REJECT),
    ("entity-world-ipv4", cnp(SEL + "  egress:\n  - toEntities: [world-ipv4]\n"), REJECT, REJECT),
    ("entity-internet", cnp(SEL + "  ingress:\n  - fromEntities: [internet]\n"), REJECT, REJECT),
    ("cidr-33", cnp(SEL + "  egress:\n  - toCIDR: [10.0.0.0/33]\n"), REJECT, REJECT),
    ("cidr-garbage", cnp(SEL + "  egress:\n  - toCIDRSet: [{cidr: ten-slash-eight}]\n"), REJECT, REJECT),
    ("from-requires", cnp(SEL + "  ingress:\n  - fromRequires: [{matchLabels: {env: prod}}]\n"), REJECT, REJECT),
    ("fqdn-in-egress-deny", cnp(SEL + "  egressDeny:\n  - toFQDNs: [{matchName: a.com}]\n"), REJECT, REJECT),
    ("deny-with-rules", cnp(SEL + "  ingressDeny:\n  - toPorts: [{ports: [{port: '80', protocol: TCP}],"
                                  " rules: {http: [{}]}}]\n"), REJECT, REJECT),
    ("match-name-star", cnp(SEL + "  egress:\n  - toFQDNs: [{matchName: '*.a.com'}]\n"), REJECT, REJECT),
    ("fqdn-both-keys", cnp(SEL + "  egress:\n  - toFQDNs: [{matchName: a.com, matchPattern: '*.a.com'}]\n"),
     REJECT, REJECT),
    ("operator-lowercase", cnp(SEL + "  ingress:\n  - fromEndpoints: [{matchExpressions: [{key: a, operator: in,"
                                     " values: [b]}]}]\n"), REJECT, REJECT),
    ("label-value-bool", cnp(SEL + "  ingress:\n  - fromEndpoints: [{matchLabels: {on: true}}]\n"), REJECT, REJECT),
    ("end-port-too-big", cnp(SEL + "  egress:\n  - toPorts: [{ports: [{port: '80', endPort: 70000}]}]\n"),
     REJECT, REJECT),
    ("too-many-icmp-fields", cnp(SEL + "  egress:\n  - icmps: [{fields: [" + ", ".join(["{type: 8}"] * 41)
                                      + "]}]\n"), REJECT, REJECT),
    ("too-many-ports", cnp(SEL + "  egress:\n  - toPorts: [{ports: [" + ", ".join(
        f"{{port: '{1000 + i}'}}" for i in range(41)) + "]}]\n"), REJECT, REJECT),
    ("icmp-family", cnp(SEL + "  egress:\n  - icmps: [{fields: [{type: 8, family: ipv4}]}]\n"), REJECT, REJECT),
    ("log-too-long", cnp(SEL + "  log: {value: " + "x" * 40 + "}\n  ingress: [{}]\n"), REJECT, REJECT),
    ("header-match-no-name", cnp(SEL + "  ingress:\n  - toPorts: [{ports: [{port: '80', protocol: TCP}],"
                                       " rules: {http: [{headerMatches: [{value: x}]}]}}]\n"), REJECT, REJECT),
    ("l7-two-types", cnp(SEL + "  egress:\n  - toPorts: [{ports: [{port: '53', protocol: TCP}],"
                               " rules: {http: [{}], dns: [{matchPattern: '*'}]}}]\n"), REJECT, REJECT),
    ("unknown-top-level", cnp(SEL + "  ingress: [{}]\n") + "extra: 1\n", REJECT, REJECT),
    # accepted by the CRD, rejected by the agent (rule_validation.go, cnp_types.go) and so by the model
    ("agent-empty-sections", cnp(SEL + "  ingress: []\n"), ACCEPT, REJECT),
    ("agent-two-peer-kinds", cnp(SEL + "  ingress:\n  - fromEndpoints: [{}]\n    fromEntities: [world]\n"),
     ACCEPT, REJECT),
    ("agent-dns-on-ingress", cnp(SEL + "  ingress:\n  - toPorts: [{ports: [{port: '53', protocol: UDP}],"
                                       " rules: {dns: [{matchPattern: '*'}]}}]\n"), ACCEPT, REJECT),
    ("agent-http-on-any", cnp(SEL + "  ingress:\n  - toPorts: [{ports: [{port: '80'}], rules: {http: [{}]}}]\n"),
     ACCEPT, REJECT),
    ("agent-l7-port-zero", cnp(SEL + "  ingress:\n  - toPorts: [{ports: [{port: '0', protocol: TCP}],"
                                     " rules: {http: [{}]}}]\n"), ACCEPT, REJECT),
    ("agent-port-99999", cnp(SEL + "  ingress:\n  - toPorts: [{ports: [{port: '99999', protocol: TCP}]}]\n"),
     ACCEPT, REJECT),
    ("agent-except-outside", cnp(SEL + "  egress:\n  - toCIDRSet: [{cidr: 10.0.0.0/8, except: [192.168.0.0/16]}]\n"),
     ACCEPT, REJECT),
    ("agent-icmps-and-toports", cnp(SEL + "  egress:\n  - icmps: [{fields: [{type: 8}]}]\n"
                                          "    toPorts: [{ports: [{port: '80'}]}]\n"), ACCEPT, REJECT),
    ("agent-node-selector-in-cnp", cnp("  nodeSelector: {}\n  ingress: [{}]\n"), ACCEPT, REJECT),
    ("agent-http-regex", cnp(SEL + "  ingress:\n  - toPorts: [{ports: [{port: '80', protocol: TCP}],"
                                   " rules: {http: [{path: '/a(b'}]}}]\n"), ACCEPT, REJECT),
    ("agent-dns-without-ports", cnp(SEL + "  egress:\n  - toPorts: [{rules: {dns: [{matchPattern: '*'}]}}]\n"),
     ACCEPT, REJECT),
]


def _model_accepts(text: str) -> bool:
    try:
        load_text(text)
    except ManifestError:
        return False
    return True


@pytest.mark.parametrize(("text", "crd_accepts", "model_accepts"), [row[1:] for row in TABLE],
                         ids=[row[0] for row in TABLE])
def test_model_agrees_with_crd(validators, text, crd_accepts, model_accepts):
    doc = yaml.safe_load(text)
    crd_errors = list(validators[doc["kind"]].iter_errors(doc))
    assert (not crd_errors) == crd_accepts, [e.message for e in crd_errors]
    assert _model_accepts(text) == model_accepts
    if not crd_accepts:
        assert not _model_accepts(text), "the model must reject whatever the CRD rejects"


VALID = sorted((Path(__file__).parent / "valid").glob("cilium-*.yaml"))


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_policies_are_accepted_by_the_crd_too(validators, path):
    for doc in yaml.safe_load_all(path.read_text()):
        assert not [e.message for e in validators[doc["kind"]].iter_errors(doc)]
