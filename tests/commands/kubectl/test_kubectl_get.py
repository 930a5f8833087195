"""Does `kubectl get` on the simulated cluster print what kubectl prints (lab 02's workloads)?

Formats and their sources:
- columns: k8s.io/kubernetes pkg/printers/internalversion/printers.go, AddHandlers (pod, service,
  deployment, namespace, node, networkpolicy column definitions) and printPod / printService /
  printDeployment / printNode / printNamespace / printNetworkPolicy (cells);
- Cilium types: the CRDs' additionalPrinterColumns, cilium/cilium pkg/k8s/apis/cilium.io/v2/cnp_types.go
  (Age, Valid), ccnp_types.go (Valid), types.go (CiliumEndpoint: Security Identity, Ingress/Egress
  Enforcement (priority 1), Endpoint State, IPv4, IPv6; CiliumIdentity: Namespace, Age);
- layout: cli-runtime pkg/printers/tableprinter.go printTable / decorateTable, tabwriter.go;
- `-o name`: cli-runtime pkg/printers/name.go printObj; `-o json`: pkg/printers/json.go;
- empty results and NotFound: k8s.io/kubectl pkg/cmd/get/get.go Run, apimachinery errors.NewNotFound.
"""

from __future__ import annotations

import json

import yaml

PODS = """\
NAME       READY   STATUS    RESTARTS   AGE
client-a   1/1     Running   0          2m10s
client-b   1/1     Running   0          2m10s
entry-a    2/2     Running   0          2m10s
server-a   2/2     Running   0          2m10s
server-b   2/2     Running   0          2m10s
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: segregation, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: echo, image: "hashicorp/http-echo:1.0.0", args: ["-listen=:8080", "-text=web"]}]}
"""


def test_get_pods(k):
    result = k("get pods -n segregation")
    assert (result.stdout, result.stderr, result.exit_code) == (PODS, "", 0)


def test_short_names_and_namespace_forms_are_the_same_command(k):
    for line in ("get po -n segregation", "get pod --namespace segregation", "-n segregation get pods",
                 "get pods -n=segregation", "get pod -nsegregation"):
        assert k(line).stdout == PODS, line


def test_get_pods_wide(k):
    assert k("get pods -n segregation -o wide client-a server-a").stdout == (
        "NAME       READY   STATUS    RESTARTS   AGE     IP            NODE     NOMINATED NODE   READINESS GATES\n"
        "client-a   1/1     Running   0          2m10s   10.244.1.12   worker   <none>           <none>\n"
        "server-a   2/2     Running   0          2m10s   10.244.1.13   worker   <none>           <none>\n")


def test_get_all_namespaces_shows_namespace_first(k):
    out = k("get pods -A").stdout.splitlines()
    assert out[0] == "NAMESPACE     NAME                       READY   STATUS    RESTARTS   AGE"
    assert out[1] == "kube-system   coredns-668d6bf9bc-4x9kp   1/1     Running   0          2m10s"
    assert out[3] == "segregation   client-a                   1/1     Running   0          2m10s"


def test_selector_and_show_labels(k):
    assert k("get pods -n segregation -l 'org in (application-b)' --show-labels").stdout == (
        "NAME       READY   STATUS    RESTARTS   AGE     LABELS\n"
        "client-b   1/1     Running   0          2m10s   class=client-b,org=application-b\n"
        "server-b   2/2     Running   0          2m10s   class=service-b,org=application-b\n")
    assert k("get pods -n segregation -l org=application-a,class!=client-a -o name").stdout == (
        "pod/entry-a\npod/server-a\n")


def test_get_services_wide(k):
    assert k("get svc -n segregation -o wide").stdout == (
        "NAME       TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)        AGE     SELECTOR\n"
        "entry-a    NodePort    10.96.0.103   <none>        80:30080/TCP   2m10s   class=entry-a,org=application-a\n"
        "server-a   ClusterIP   10.96.0.101   <none>        80/TCP         2m10s   class=service-a,org=application-a\n"
        "server-b   ClusterIP   10.96.0.102   <none>        80/TCP         2m10s   class=service-b,org=application-b\n")
    assert k("get services -n kube-system").stdout == (
        "NAME       TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE\n"
        "kube-dns   ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP   2m10s\n")


def test_get_namespaces_and_nodes(k):
    assert k("get ns").stdout == (
        "NAME          STATUS   AGE\n"
        "default       Active   2m10s\n"
        "kube-system   Active   2m10s\n"
        "segregation   Active   2m10s\n")
    assert k("get no").stdout == (
        "NAME            STATUS   ROLES           AGE     VERSION\n"
        "control-plane   Ready    control-plane   2m10s   v1.35.8\n"
        "worker          Ready    <none>          2m10s   v1.35.8\n")


def test_get_deployments(k):
    assert k("apply -f -", DEPLOYMENT).stdout == "deployment.apps/web created\n"
    k.clock.advance(seconds=5)
    assert k("get deploy -n segregation").stdout == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "web    2/2     2            2           5s\n")
    assert k("get deployments.apps -n segregation -o wide").stdout == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES                      SELECTOR\n"
        "web    2/2     2            2           5s    echo         hashicorp/http-echo:1.0.0   app=web\n")
    assert len(k("get pods -n segregation -l app=web -o name").stdout.splitlines()) == 2


def test_get_cnp_shows_age_and_valid(k):
    k("apply -f manifests/02-segregation/solutions/isolate-a.yaml")
    k.clock.advance(hours=3, minutes=5)
    assert k("get cnp -n segregation").stdout == (
        "NAME                    AGE    VALID\n"
        "isolate-application-a   3h5m   True\n")
    assert k("get ciliumnetworkpolicies.cilium.io -n segregation -o name").stdout == (
        "ciliumnetworkpolicy.cilium.io/isolate-application-a\n")


def test_get_cilium_endpoints_and_identities(k):
    assert k("get cep -n segregation server-a client-a").stdout == (
        "NAME       SECURITY IDENTITY   ENDPOINT STATE   IPV4          IPV6\n"
        "server-a   10004               ready            10.244.1.13   \n"
        "client-a   10001               ready            10.244.1.12   \n")
    assert k("get cep -n segregation client-a -o wide").stdout == (
        "NAME       SECURITY IDENTITY   INGRESS ENFORCEMENT   EGRESS ENFORCEMENT   ENDPOINT STATE   IPV4          "
        "IPV6\n"
        "client-a   10001               <status disabled>     <status disabled>    ready            10.244.1.12   \n")
    ids = k("get ciliumid").stdout.splitlines()
    assert ids[0] == "NAME    NAMESPACE     AGE"
    assert "10001   segregation   2m10s" in ids
    identity = yaml.safe_load(k("get ciliumid 10001 -o yaml").stdout)
    assert identity["security-labels"]["k8s:org"] == "application-a"
    assert identity["metadata"]["labels"]["io.kubernetes.pod.namespace"] == "segregation"


def test_several_types_print_one_table_each_with_kind_prefixes(k):
    out = k("get pods,svc -n segregation").stdout
    assert out.startswith("NAME           READY   STATUS    RESTARTS   AGE\npod/client-a   1/1")
    assert "\n\nNAME               TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)        AGE\n" \
           "service/entry-a    NodePort" in out


def test_yaml_and_json_of_one_object_and_of_a_list(k):
    pod = yaml.safe_load(k("get pod client-a -n segregation -o yaml").stdout)
    assert pod["metadata"]["creationTimestamp"] == "2026-03-01T12:00:00Z"
    assert pod["status"]["podIP"] == "10.244.1.12"
    assert pod["spec"]["containers"][0]["image"] == "curlimages/curl:8.11.1"
    text = k("get pods -n segregation -o json").stdout
    assert text.startswith('{\n    "apiVersion": "v1",\n    "items": [\n')
    assert json.loads(text)["kind"] == "List"
    assert k("get cnp -n segregation -o yaml").stdout == (
        'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n')


def test_nothing_found_is_said_on_stderr(k):
    result = k("get cnp -n segregation")
    assert (result.stdout, result.stderr, result.exit_code) == ("", "No resources found in segregation namespace.\n", 0)
    assert k("get ccnp").stderr == "No resources found\n"
    assert k("get netpol -A").stderr == "No resources found\n"


def test_errors_read_like_kubectl(k):
    missing = k("get pods -n segregation client-a nope")
    assert missing.stdout == ("NAME       READY   STATUS    RESTARTS   AGE\n"
                              "client-a   1/1     Running   0          2m10s\n")
    assert (missing.stderr, missing.exit_code) == ('Error from server (NotFound): pods "nope" not found\n', 1)
    assert k("get cnp x -n segregation").stderr == (
        'Error from server (NotFound): ciliumnetworkpolicies.cilium.io "x" not found\n')
    assert k("get foo").stderr == 'error: the server doesn\'t have a resource type "foo"\n'
    unknown = k("get pods --foo")
    assert (unknown.stderr, unknown.exit_code) == (
        "error: unknown flag: --foo\nSee 'kubectl get --help' for usage.\n", 1)
    assert k("get pods -o table").stderr.startswith(
        'error: unable to match a printer suitable for the output format "table", allowed formats are: ')


def test_outside_the_subset_is_a_note_not_an_answer(k):
    for line in ("get pods -w", "get pods -o jsonpath={.items}", "get rs", "get nodes -o wide", "logs x"):
        result = k(line)
        assert result.exit_code == 1, line
        assert "the simulated cluster does not model this" in result.stderr, line
        assert result.stdout == "", line


def test_yaml_of_a_cilium_policy_byte_for_byte(k):
    """Keys sorted, sequences not indented under their key, strings that read as other types double-quoted,
    the last-applied annotation as a block (cli-runtime pkg/printers/yaml.go, sigs.k8s.io/yaml)."""
    k("apply -f manifests/02-segregation/solutions/isolate-a.yaml")
    record = k.cluster.records.get("CiliumNetworkPolicy", "segregation", "isolate-application-a")
    assert k("get cnp isolate-application-a -n segregation -o yaml").stdout == (
        "apiVersion: cilium.io/v2\n"
        "kind: CiliumNetworkPolicy\n"
        "metadata:\n"
        "  annotations:\n"
        "    kubectl.kubernetes.io/last-applied-configuration: |\n"
        '      {"apiVersion":"cilium.io/v2","kind":"CiliumNetworkPolicy","metadata":{"name":"isolate-application-a",'
        '"namespace":"segregation"},"spec":{"endpointSelector":{"matchLabels":{"class":"service-a","org":'
        '"application-a"}},"ingress":[{"fromEndpoints":[{"matchLabels":{"org":"application-a"}}],"toPorts":'
        '[{"ports":[{"port":"80","protocol":"TCP"}]}]}]}}\n'
        '  creationTimestamp: "2026-03-01T12:02:10Z"\n'
        "  generation: 1\n"
        "  name: isolate-application-a\n"
        "  namespace: segregation\n"
        f'  resourceVersion: "{record.resource_version}"\n'
        f"  uid: {record.uid}\n"
        "spec:\n"
        "  endpointSelector:\n"
        "    matchLabels:\n"
        "      class: service-a\n"
        "      org: application-a\n"
        "  ingress:\n"
        "  - fromEndpoints:\n"
        "    - matchLabels:\n"
        "        org: application-a\n"
        "    toPorts:\n"
        "    - ports:\n"
        '      - port: "80"\n'
        "        protocol: TCP\n"
        "status:\n"
        "  conditions:\n"
        '  - lastTransitionTime: "2026-03-01T12:02:10Z"\n'
        "    message: Policy validation succeeded\n"
        '    status: "True"\n'
        "    type: Valid\n")
