"""Does `labs verify` report matches, mismatches and invalid input with the right exit codes and text?"""

from __future__ import annotations

import json
import textwrap

import pytest

from labs.__main__ import main

GOOD = textwrap.dedent("""
    name: two-pods
    description: one policy, one allowed and one dropped probe
    source: test
    cluster:
      namespaces: {demo: {}}
      pods:
        - {name: a, namespace: demo, labels: {app: a}}
        - {name: b, namespace: demo, labels: {app: b}, ports: [{name: http, containerPort: 80}]}
    policies: |
      apiVersion: cilium.io/v2
      kind: CiliumNetworkPolicy
      metadata: {name: b-from-a, namespace: demo}
      spec:
        endpointSelector: {matchLabels: {app: b}}
        ingress: [{fromEndpoints: [{matchLabels: {app: a}}], toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]
    probes:
      - {from: demo/a, to: demo/b, port: http, expect: allowed}
      - {from: demo/a, to: demo/b, port: 81, expect: dropped}
""")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_all_match_exits_0_with_json_report(tmp_path, capsys):
    assert main(["verify", write(tmp_path, "good.yaml", GOOD), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["passed"], report["failed"]) == (2, 0)
    probe = report["scenarios"][0]["probes"][0]
    assert set(probe) >= {"from", "to", "port", "protocol", "http", "dns", "expect", "observed", "ok", "reason"}
    assert (probe["from"], probe["to"], probe["port"], probe["observed"], probe["ok"]) == \
        ("demo/a", "demo/b", "http", "allowed", True)


def test_a_mismatch_exits_1_and_says_expected_and_observed(tmp_path, capsys):
    text = GOOD.replace("port: 81, expect: dropped", "port: 81, expect: allowed")
    assert main(["verify", write(tmp_path, "bad.yaml", text)]) == 1
    out = capsys.readouterr().out
    assert "FAIL demo/a -> demo/b:81/TCP: expected allowed, observed dropped" in out
    assert "ingress at demo/b: no rule allows it; default deny is on (CiliumNetworkPolicy demo/b-from-a)" in out
    assert out.strip().endswith("1 passed, 1 failed")


@pytest.mark.parametrize(("edit", "message"), [
    (("expect: dropped", "expect: blocked"), "probes[1].expect: unknown outcome 'blocked'"),
    (("to: demo/b, port: 81", "to: demo-b, port: 81"), "probes[1].to: target 'demo-b' is not understood"),
    (("name: two-pods", "nme: two-pods"), "unknown key 'nme'"),
    (("port: 81, expect", "protocol: ICMP, port: 81, expect"), "probes[1].port: ICMP probes have no port"),
    (("kind: CiliumNetworkPolicy", "kind: CiliumNetworkPolicy\n  apiVersion: cilium.io/v1"), "bad.yaml"),
], ids=["outcome-word", "target-form", "unknown-key", "icmp-port", "policy-problem"])
def test_invalid_input_exits_2_naming_file_line_and_field(tmp_path, capsys, edit, message):
    path = write(tmp_path, "bad.yaml", GOOD.replace(*edit))
    assert main(["verify", path]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "bad.yaml:" in err


def test_an_invalid_file_is_reported_and_the_valid_ones_still_run(tmp_path, capsys):
    """Issue 17: one invalid file no longer hides every other file's results; the exit is still 2."""
    good = write(tmp_path, "good.yaml", GOOD)
    bad = write(tmp_path, "bad.yaml", GOOD.replace("expect: dropped", "expect: nope"))
    assert main(["verify", good, bad, "--json"]) == 2
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert [s["file"] for s in report["scenarios"]] == [good]
    assert report["invalid"] == 1 and report["failed"] == 0 and report["passed"] > 0
    assert "bad.yaml: invalid, not run." in captured.err and "unknown outcome 'nope'" in captured.err
    assert main(["verify", bad, good]) == 2
    captured = capsys.readouterr()
    assert "1 invalid file" in captured.out.splitlines()[-1] and "bad.yaml" in captured.err


def test_policy_problem_points_at_the_scenario_line(tmp_path, capsys):
    text = GOOD.replace('port: "80", protocol: TCP', 'port: "80", protocol: ICMP')
    assert main(["verify", write(tmp_path, "p.yaml", text)]) == 2
    err = capsys.readouterr().err
    assert "p.yaml:16" in err and "ICMP" in err


@pytest.mark.parametrize(("edit", "message"), [
    (("{name: a, namespace: demo,", "{name: a, namespace: demo, node: [1, 2],"),
     "cluster.pods[0].node: expected a node name"),
    (("labels: {app: a}}", "labels: {app: [x]}}"), "cluster.pods[0].labels.app: expected text"),
], ids=["node-list", "label-list"])
def test_wrong_types_in_the_cluster_section_exit_2_without_traceback(tmp_path, capsys, edit, message):
    """Issue 17: `node: [1, 2]` crashed the simulated cluster; it is now a located problem."""
    path = write(tmp_path, "bad.yaml", GOOD.replace(*edit))
    assert main(["verify", path]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"name: x\nnotes: \xe9\n", b"name: \x00\n"], ids=["latin1", "nul"])
def test_unreadable_scenario_files_exit_2(tmp_path, capsys, content):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and ("not UTF-8" in err or "control character" in err)


def test_a_device_as_scenario_is_refused(capsys):
    assert main(["verify", "/dev/zero"]) == 2
    assert "larger than" in capsys.readouterr().err
