"""What exactly does a trainee read after `lab.check(...)`, `lab.hint(...)` and `lab.solution(...)`?"""

from __future__ import annotations

import pytest

from labs.course.checks import CHECK_MIMETYPE


def test_an_unanswered_exercise_reads_not_yet_with_each_wrong_probe(open_sim):
    lab = open_sim("00-environment")
    text = lab.check("first-policy").text()
    path = lab.exercise_path("first-policy")
    assert text.splitlines()[:3] == [
        "NOT YET  00-environment / first-policy: A first policy - only `client` may reach `web` on port 80",
        '  Not yet: 2 of 4 probes are not as required. lab.hint("first-policy") gives a hint.',
        "  [!!] tour/other -> tour/web:80/TCP: expected dropped, observed allowed (egress: no policy selects "
        "tour/other for egress; ingress: no policy selects tour/web for ingress)",
    ]
    assert f"  Your file {path} holds no policy yet: write one there (or in the editor)." in text
    assert text.endswith("(expectations: manifests/00-environment/lab.yaml:23 (step first-policy))")


def test_an_invalid_answer_is_not_applied_and_its_problem_is_named(open_sim):
    lab = open_sim("00-environment")
    lab.exercise_path("first-policy").write_text("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
                                                  "metadata: {name: x, namespace: tour}\nspec:\n"
                                                  "  endpointSelector: {}\n  ingres: [{}]\n")
    result = lab.check("first-policy")
    assert result.status == "not-yet"
    assert "Not yet: " in result.summary
    assert "Your file does not validate, so it was not applied:" in result.notes
    assert any("ingres" in note for note in result.notes)


def test_a_correct_answer_passes_and_the_html_is_escaped(open_sim):
    lab = open_sim("00-environment")
    solution = lab.spec.path("solutions/first-policy.yaml").read_text()
    lab.exercise_path("first-policy").write_text(solution)
    result = lab.check("first-policy")
    assert result.passed, result.text()
    assert result.summary == "Well done: all 4 probes behave as required."
    page = result._repr_html_()
    assert "<code>client</code>" in page and "`client`" not in page and "<script" not in page
    assert '<td style="text-align:left' in page and "<td>" not in page
    assert result._repr_mimebundle_()[CHECK_MIMETYPE]["status"] == "pass"


def test_hints_come_one_at_a_time_then_point_to_the_solution(open_sim):
    lab = open_sim("02-segregation")
    shown = [repr(lab.hint("isolate-a")) for _ in range(4)]
    assert [s.split(":")[0] for s in shown[:3]] == [f"Hint {i} of 3 for 'isolate-a'" for i in (1, 2, 3)]
    assert shown[3] == ("No more hints for 'isolate-a' (there were 3). "
                        "lab.solution('isolate-a') shows the solution.")


def test_loading_a_solution_keeps_the_trainees_text(open_sim):
    lab = open_sim("02-segregation")
    mine = lab.exercise_path("isolate-a")
    mine.write_text("# my attempt\n")
    view = lab.solution("isolate-a", apply=True)
    backups = list(mine.parent.glob("isolate-a.yaml.*.bak"))
    assert [b.read_text() for b in backups] == ["# my attempt\n"]
    assert "loaded into" in view.note and lab.check("isolate-a").passed


def test_reset_removes_the_lab_and_keeps_the_trainees_files(open_sim, private_home):
    lab = open_sim("03-identity-default-deny")
    mine = lab.exercise_path("allow-busybox")
    mine.write_text("# mine\n")
    message = lab.reset(confirm=True)
    assert message.ok and "are kept" in message.text
    assert lab.cluster.pods("identity") == []
    assert mine.read_text() == "# mine\n"


def test_reset_needs_confirmation_and_says_what_it_deleted(open_sim):
    lab = open_sim("02-segregation")
    lab.check("north-south")  # puts isolate-a's solution in force
    message = lab.reset()
    assert "Nothing was deleted" in message.text and "lab.reset(confirm=True)" in message.text
    assert lab.cluster.pods("segregation")
    message = lab.reset(confirm=True)
    assert message.ok and message.text.startswith("Deleted namespace segregation and 1 policy.")
    assert "lab.deploy() starts the lab again" in message.text


def test_every_entry_point_says_to_deploy_when_the_lab_is_not_deployed(tmp_path):
    from labs.cluster.base import ClusterError
    from labs.course import open_lab
    from labs.course.widgets_glue import editor_callbacks

    lab = open_lab("02-segregation", backend="sim")
    result = lab.check("isolate-a")
    assert result.status == "error" and "run lab.deploy()" in result.summary
    with pytest.raises(ClusterError, match=r"Lab 02-segregation is not deployed .*run lab.deploy\(\)"):
        lab.matrix("before")
    grid = lab.predict("before")
    grid.predict("segregation/client-a", "segregation/server-a:80", "allowed")
    grid.check()
    assert "run lab.deploy()" in grid.output.value
    with pytest.raises(ValueError, match="run lab.deploy"):
        editor_callbacks(lab, "isolate-a")["apply"]("apiVersion: cilium.io/v2\n")


def test_deploying_is_said_on_stdout_not_stderr(capsys):
    from labs.course import open_lab

    open_lab("02-segregation", backend="sim").deploy()
    out, err = capsys.readouterr()
    assert out.startswith("Deploying 02-segregation on the sim backend") and err == ""


def test_north_south_says_which_other_policy_is_in_force(open_sim):
    result = open_sim("02-segregation").check("north-south")
    assert any("Also in force in this step, with your answer: solutions/isolate-a.yaml" in n for n in result.notes)


def test_explain_matrix_says_why_an_empty_ingress_list_selects_nothing(open_sim):
    lab = open_sim("03-identity-default-deny")
    text = repr(lab.explain_matrix("pitfall-empty-ingress"))
    assert "test-app-deny-all selects identity/test-app, but its `ingress: []` is an empty list" in text
    assert "such a policy is refused by the agent" in text
    refused = repr(open_sim("00-environment").explain_matrix("pitfall-missing-v2"))
    assert "This step's policy is refused before it is applied" in refused


def test_a_drop_is_listed_once_as_the_verdict_and_once_as_the_drop(open_sim):
    lab = open_sim("02-segregation")
    lab.matrix("north-south")  # isolate-a's solution is in force: client-b -> server-a is dropped
    lines = [line.split(" ", 1)[1] for line in repr(lab.flows()).splitlines()]
    drops = [line for line in lines if "client-b" in line and "server-a:80 " in line and "DROPPED" in line]
    assert len(drops) >= 2 and len(set(lines)) == len(lines), "\n".join(lines)
    assert any("policy-verdict DROPPED" in line for line in drops)
    assert any("SYN DROPPED" in line for line in drops)
