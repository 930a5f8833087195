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


def test_describe_errors(k):
    assert k("describe cnp nope -n segregation").stderr == (
        'Error from server (NotFound): ciliumnetworkpolicies.cilium.io "nope" not found\n')
    assert k("describe pod nope -n segregation").stderr == 'Error from server (NotFound): pods "nope" not found\n'
    result = k("describe netpol x -n segregation")
    assert "the simulated cluster does not model this" in result.stderr and result.stdout == ""


def test_describe_pod(k):
    """describePod / describeContainers / describeVolumes / printPodTolerationsMultiline (see describe_pod.py):
    block alignment by the tabwriter (`Labels:` continuation lines, `Requests:` values aligned with
    `Environment:`, the conditions table), RFC 1123 times, Burstable QoS (requests below limits)."""
    cluster = k.cluster
    result = k("describe pod client-a -n segregation")
    record = cluster.records.get("Pod", "segregation", "client-a")
    from labs.commands.kubectl.describe_pod import _suffix

    volume = f"kube-api-access-{_suffix(record.uid)}"
    container_id = __import__("hashlib").sha256(f"{record.uid}/client".encode()).hexdigest()
    ip = cluster.pod_ip("segregation/client-a")
    node = cluster.store.pods["segregation/client-a"].node
    node_ip = next(n.internal_ip for n in cluster.nodes if n.name == node)
    assert result.stdout == (
        "Name:             client-a\n"
        "Namespace:        segregation\n"
        "Priority:         0\n"
        "Service Account:  default\n"
        f"Node:             {node}/{node_ip}\n"
        "Start Time:       Sun, 01 Mar 2026 12:00:00 +0000\n"
        "Labels:           class=client-a\n"
        "                  org=application-a\n"
        "Annotations:      <none>\n"
        "Status:           Running\n"
        f"IP:               {ip}\n"
        "IPs:\n"
        f"  IP:  {ip}\n"
        "Containers:\n"
        "  client:\n"
        f"    Container ID:  containerd://{container_id}\n"
        "    Image:         curlimages/curl:8.11.1\n"
        "    Image ID:      \n"
        "    Port:          <none>\n"
        "    Host Port:     <none>\n"
        "    Command:\n"
        "      sleep\n"
        "      2147483647\n"
        "    State:          Running\n"
        "      Started:      Sun, 01 Mar 2026 12:00:00 +0000\n"
        "    Ready:          True\n"
        "    Restart Count:  0\n"
        "    Limits:\n"
        "      memory:  32Mi\n"
        "    Requests:\n"
        "      cpu:        5m\n"
        "      memory:     8Mi\n"
        "    Environment:  <none>\n"
        "    Mounts:\n"
        f"      /var/run/secrets/kubernetes.io/serviceaccount from {volume} (ro)\n"
        "Conditions:\n"
        "  Type                        Status\n"
        "  PodReadyToStartContainers   True \n"
        "  Initialized                 True \n"
        "  Ready                       True \n"
        "  ContainersReady             True \n"
        "  PodScheduled                True \n"
        "Volumes:\n"
        f"  {volume}:\n"
        "    Type:                    Projected (a volume that contains injected data from multiple sources)\n"
        "    TokenExpirationSeconds:  3607\n"
        "    ConfigMapName:           kube-root-ca.crt\n"
        "    Optional:                false\n"
        "    DownwardAPI:             true\n"
        "QoS Class:                   Burstable\n"
        "Node-Selectors:              <none>\n"
        "Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
        "                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
        "Events:                      <none>\n")
    assert "no events are recorded" in result.stderr and result.exit_code == 0
    assert len(volume) == len("kube-api-access-") + 5


def test_describe_pod_ports_and_qos():
    from labs.commands.kubectl.describe_pod import qos_class

    assert qos_class([{"name": "a"}]) == "BestEffort"
    assert qos_class([{"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]) == "Guaranteed"
    assert qos_class([{"resources": {"limits": {"memory": "1Gi"}}}]) == "Burstable"
