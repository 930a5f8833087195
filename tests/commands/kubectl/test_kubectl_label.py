"""Does `kubectl label` print what kubectl prints and change identities the way Cilium sees them?

Source: k8s.io/kubectl pkg/cmd/label/label.go (parseLabels, validateNoOverwrites, RunLabel,
updateDataChangeMsg: labeled / unlabeled / not labeled).
"""

from __future__ import annotations

ISOLATE = "apply -f manifests/02-segregation/solutions/isolate-a.yaml"


def test_label_overwrite_and_remove(k):
    assert k("label pod client-b -n segregation tier=web").stdout == "pod/client-b labeled\n"
    clash = k("label pod client-b -n segregation org=application-a")
    assert (clash.stderr, clash.exit_code) == (
        "error: 'org' already has a value (application-b), and --overwrite is false\n", 1)
    assert k("label pods/client-b -n segregation org=application-a --overwrite").stdout == "pod/client-b labeled\n"
    assert k("label pod client-b -n segregation tier-").stdout == "pod/client-b unlabeled\n"
    assert k("label pod client-b -n segregation tier-").stdout == (
        'label "tier" not found.\npod/client-b not labeled\n')
    assert k("get pod client-b -n segregation --show-labels").stdout.splitlines()[1].endswith(
        "class=client-b,org=application-a")


def test_a_relabelled_pod_gets_the_identity_the_policy_allows(k):
    """Lab 02: client-b joins application A by label, and the isolation policy now lets it in."""
    k(ISOLATE)
    assert k("exec -n segregation client-b -- curl -sS -m 5 server-a").exit_code == 28
    k("label pod client-b -n segregation org=application-a --overwrite")
    assert k("exec -n segregation client-b -- curl -sS -m 5 server-a").stdout == "application A\n"


def test_namespace_labels_and_selectors(k):
    assert k("label ns segregation team=red").stdout == "namespace/segregation labeled\n"
    assert "team=red" in k("get ns segregation --show-labels").stdout
    assert k("label pods -n segregation -l org=application-b zone=b").stdout == (
        "pod/client-b labeled\npod/server-b labeled\n")
    assert k("label pod client-a -n segregation zone=a --dry-run=server").stdout == (
        "pod/client-a labeled (server dry run)\n")
    assert "zone" not in k("get pod client-a -n segregation --show-labels").stdout


def test_label_errors(k):
    assert k("label pod nope -n segregation a=b").stderr == 'Error from server (NotFound): pods "nope" not found\n'
    assert k("label pod client-a -n segregation a=b=c").stderr == "error: invalid label spec: a=b=c\n"
    assert k("label pod client-a -n segregation a=b a-").stderr == (
        "error: can not both modify and remove a label in the same command\n")
    assert k("label pod client-a -n segregation 'a=b c'").stderr.startswith('error: invalid label value: "a=b c": ')
    assert "the simulated cluster does not model this" in k("label cnp x -n segregation a=b").stderr
