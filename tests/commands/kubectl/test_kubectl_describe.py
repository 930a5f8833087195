"""Does `kubectl describe cnp|svc` print what kubectl prints?

Sources: k8s.io/kubectl pkg/describe/describe.go: genericDescriber.Describe and printUnstructuredContent,
smartLabelFor (with github.com/fatih/camelcase Split), describeService, tabbedString (Go text/tabwriter,
padding 2, columns aligned per block of lines).
"""

from __future__ import annotations

from labs.commands.kubectl.describe import go_tabwriter, smart_label


def test_smart_labels():
    assert smart_label("endpointSelector") == "Endpoint Selector"
    assert smart_label("apiVersion") == "API Version"
    assert smart_label("uid") == "UID"
    assert smart_label("toFQDNs") == "To FQD Ns"
    assert smart_label("io.kubernetes.pod.namespace") == "io.kubernetes.pod.namespace"
    assert smart_label("k8s:app") == "k8s:app"


def test_go_tabwriter_aligns_blocks_separately():
    text = "Name:\tx\nNamespace:\ty\nSpec:\n  Port:\t80\n  Protocol:\tTCP\nEvents:\t<none>\n"
    assert go_tabwriter(text) == ("Name:       x\nNamespace:  y\nSpec:\n  Port:      80\n  Protocol:  TCP\n"
                                  "Events:      <none>\n")


def test_describe_cnp(k):
    k("apply -f manifests/02-segregation/solutions/isolate-a.yaml")
    result = k("describe cnp isolate-application-a -n segregation")
    assert result.stdout == (
        "Name:         isolate-application-a\n"
        "Namespace:    segregation\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "API Version:  cilium.io/v2\n"
        "Kind:         CiliumNetworkPolicy\n"
        "Metadata:\n"
        "  Creation Timestamp:  2026-03-01T12:02:10Z\n"
        "  Generation:          1\n"
        f"  Resource Version:    {k.cluster.records.get('CiliumNetworkPolicy', 'segregation', 'isolate-application-a').resource_version}\n"  # noqa: E501
        f"  UID:                 {k.cluster.records.get('CiliumNetworkPolicy', 'segregation', 'isolate-application-a').uid}\n"  # noqa: E501
        "Spec:\n"
        "  Endpoint Selector:\n"
        "    Match Labels:\n"
        "      Class:  service-a\n"
        "      Org:    application-a\n"
        "  Ingress:\n"
        "    From Endpoints:\n"
        "      Match Labels:\n"
        "        Org:  application-a\n"
        "    To Ports:\n"
        "      Ports:\n"
        "        Port:      80\n"
        "        Protocol:  TCP\n"
        "Status:\n"
        "  Conditions:\n"
        "    Last Transition Time:  2026-03-01T12:02:10Z\n"
        "    Message:               Policy validation succeeded\n"
        "    Status:                True\n"
        "    Type:                  Valid\n"
        "Events:                    <none>\n")


def test_describe_svc(k):
    assert k("describe svc entry-a -n segregation").stdout == (
        "Name:                     entry-a\n"
        "Namespace:                segregation\n"
        "Labels:                   <none>\n"
        "Annotations:              <none>\n"
        "Selector:                 class=entry-a,org=application-a\n"
        "Type:                     NodePort\n"
        "IP Family Policy:         SingleStack\n"
        "IP Families:              IPv4\n"
        "IP:                       10.96.0.103\n"
        "IPs:                      10.96.0.103\n"
        "Port:                     http  80/TCP\n"
        "TargetPort:               80/TCP\n"
        "NodePort:                 http  30080/TCP\n"
        "Endpoints:                10.244.1.16:80\n"
        "Session Affinity:         None\n"
        "External Traffic Policy:  Cluster\n"
        "Internal Traffic Policy:  Cluster\n"
        "Events:                   <none>\n")


def test_describe_errors_and_pods(k):
    assert k("describe cnp nope -n segregation").stderr == (
        'Error from server (NotFound): ciliumnetworkpolicies.cilium.io "nope" not found\n')
    for line in ("describe pod client-a -n segregation", "describe netpol x -n segregation"):
        result = k(line)
        assert "the simulated cluster does not model this" in result.stderr and result.stdout == "", line
