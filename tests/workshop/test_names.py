"""Are trainee names and trainee lists checked before anything is created?"""

from __future__ import annotations

import pytest

from labs.workshop.names import TraineeError, load_trainees, trainee_from_env, validate_trainee


@pytest.mark.parametrize("name", ["alice", "team-7", "a", "b0b"], ids=str)
def test_valid_names_are_kept(name):
    assert validate_trainee(name) == name


@pytest.mark.parametrize(("name", "message"), [
    ("Alice", "The trainee name 'Alice' is not a DNS-1123 label; use lower-case letters, digits and '-', "
              "starting with a letter and ending with a letter or digit (for example 'alice' or 'team-7')."),
    ("al_ice", "is not a DNS-1123 label"),
    ("-alice", "is not a DNS-1123 label"),
    ("alice-", "is not a DNS-1123 label"),
    ("7up", "is not a DNS-1123 label"),
    ("", "The trainee name is empty; write a name such as 'alice'."),
    ("a" * 31, "has 31 characters; use at most 30"),
    ("kube-alice", "would produce namespaces that look like system ones"),
    ("default", "would produce namespaces that look like system ones"),
], ids=["upper", "underscore", "leading-dash", "trailing-dash", "digit-first", "empty", "too-long", "kube",
        "default"])
def test_invalid_names_say_why(name, message):
    with pytest.raises(TraineeError) as err:
        validate_trainee(name)
    assert message in str(err.value)


def test_env_unset_means_single_user_mode():
    assert trainee_from_env({}) is None
    assert trainee_from_env({"LABS_TRAINEE": "  "}) is None
    assert trainee_from_env({"LABS_TRAINEE": "bob"}) == "bob"


def test_env_value_is_validated_with_its_name():
    with pytest.raises(TraineeError, match="The LABS_TRAINEE value 'Bob!' is not a DNS-1123 label"):
        trainee_from_env({"LABS_TRAINEE": "Bob!"})


@pytest.mark.parametrize(("text", "names"), [
    ("alice\nbob\n", ["alice", "bob"]),
    ("# room 1\nalice  # front row\n\nbob\n", ["alice", "bob"]),
    ("- alice\n- bob\n", ["alice", "bob"]),
    ("trainees: [alice, bob, carol]\n", ["alice", "bob", "carol"]),
    ("alice\n", ["alice"]),
], ids=["text", "text-comments", "yaml-list", "yaml-mapping", "single"])
def test_trainee_lists(tmp_path, text, names):
    path = tmp_path / "trainees"
    path.write_text(text)
    assert load_trainees(path) == names


@pytest.mark.parametrize(("text", "message"), [
    ("alice\nbob\nalice\n",
     "The trainee 'alice' appears twice in {path} (lines 1 and 3); each trainee needs a unique name."),
    ("alice\nBob\n", "The trainee name in {path}:2 'Bob' is not a DNS-1123 label"),
    ("- alice\n- 42\n", "The trainee name in {path}:2 42 is not text"),
    ("people: [alice]\n", "is a YAML mapping without a 'trainees:' key"),
    ("# nobody\n", "names no trainee"),
], ids=["duplicate", "bad-name-line", "number", "wrong-key", "empty"])
def test_bad_trainee_lists_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "trainees.txt"
    path.write_text(text)
    with pytest.raises(TraineeError) as err:
        load_trainees(path)
    assert message.format(path=path) in str(err.value)


def test_missing_list_is_reported(tmp_path):
    with pytest.raises(TraineeError, match="Cannot read the trainee list"):
        load_trainees(tmp_path / "absent.txt")
