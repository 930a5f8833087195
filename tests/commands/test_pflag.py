"""The shared flag reader reads and refuses command lines as spf13/pflag v1.0.10 does.

Expected texts are pflag's `errors.go` (NotExistError, ValueRequiredError, InvalidValueError,
InvalidSyntaxError) and strconv's / time's error strings; the accepted forms follow `flag.go`
(`parseArgs`, `parseLongArg`, `parseSingleShortArg`). kubectl, hubble and cilium read their flags with it.
"""

from __future__ import annotations

import pytest

from labs.commands.pflag import Flag, FlagError, parse

FLAGS = (Flag("namespace", "n"), Flag("all", "A", "bool"), Flag("follow", "f", "bool"), Flag("file", "F", "list"),
         Flag("count", "c", "int"), Flag("last", kind="uint"), Flag("wait", kind="duration"),
         Flag("not", kind="switch"), Flag("output", "o", default="compact"))


@pytest.mark.parametrize("argv", [
    ["-n", "x"], ["-nx"], ["-n=x"], ["--namespace", "x"], ["--namespace=x"], ["-An", "x"], ["-Anx"], ["-fAn=x"],
])
def test_value_forms(argv):
    parsed = parse(["a", *argv, "b"], FLAGS)
    assert parsed.get("namespace") == "x"
    assert parsed.args == ["a", "b"]


def test_pflag_quirk_short_flag_then_bare_equals_is_the_value():
    """`-n=` has no text after '=' so pflag takes the rest of the group ("=") as the value (flag.go '-farg')."""
    assert parse(["-n="], FLAGS).get("namespace") == "="


@pytest.mark.parametrize(("argv", "value"), [
    (["--all"], True), (["-A"], True), (["--all=false"], False), (["-A=false"], False), (["--all=0"], False),
    (["--all=T"], True), (["-A", "--all=f"], False), (["--all=False", "-A"], True),
])
def test_bool_values_are_parsebool(argv, value):
    parsed = parse(argv, FLAGS)
    assert parsed.get("all") is value and parsed.args == []


def test_a_bool_flag_does_not_eat_the_next_word():
    assert parse(["-A", "false"], FLAGS).args == ["false"]


@pytest.mark.parametrize(("text", "number"), [("10", 10), ("-3", -3), ("0x1f", 31), ("017", 15), ("0o17", 15),
                                              ("0b101", 5), ("1_000", 1000), ("0", 0)])
def test_integers_are_base_zero(text, number):
    assert parse(["-c", text], FLAGS).get("count") == number


def test_lists_keep_every_value_in_order_and_replace_a_default():
    flags = (Flag("file", "F", "list", default=["d"]),)
    assert parse([], flags).get("file") == ["d"]
    assert parse(["-F", "a", "--file=b", "-Fc"], flags).get("file") == ["a", "b", "c"]


def test_occurrences_keep_the_command_line_order():
    parsed = parse(["--not", "-n", "a", "--not=x", "--namespace", "b"], FLAGS)
    assert parsed.occurrences == [("not", "true"), ("namespace", "a"), ("not", "x"), ("namespace", "b")]
    assert parsed.get("namespace") == "b" and parsed.given == {"not", "namespace"}


def test_defaults_and_what_was_given():
    parsed = parse(["-A"], FLAGS)
    assert parsed.get("output") == "compact" and "output" not in parsed.given and parsed.given == {"all"}


def test_double_dash_ends_the_flags_and_a_lone_dash_is_an_argument():
    parsed = parse(["pod", "-", "-n", "x", "--", "curl", "-s", "--", "-o"], FLAGS)
    assert parsed.args == ["pod", "-"]
    assert parsed.after_dash == ["curl", "-s", "--", "-o"]
    assert parse(["pod"], FLAGS).after_dash is None


@pytest.mark.parametrize(("argv", "message"), [
    (["--bogus"], "unknown flag: --bogus"),
    (["--bogus=1"], "unknown flag: --bogus"),
    (["--name", "x"], "unknown flag: --name"),  # no abbreviations
    (["-z"], "unknown shorthand flag: 'z' in -z"),
    (["-Az"], "unknown shorthand flag: 'z' in -z"),  # the shorthands left when the letter is read
    (["-zA"], "unknown shorthand flag: 'z' in -zA"),
    (["-A="], "unknown shorthand flag: '=' in -="),
    (["-n"], "flag needs an argument: 'n' in -n"),
    (["-An"], "flag needs an argument: 'n' in -n"),
    (["--namespace"], "flag needs an argument: --namespace"),
    (["---x"], "bad flag syntax: ---x"),
    (["--=x"], "bad flag syntax: --=x"),
    (["--all=yes"], 'invalid argument "yes" for "-A, --all" flag: strconv.ParseBool: parsing "yes": invalid syntax'),
    (["-A=2"], 'invalid argument "2" for "-A, --all" flag: strconv.ParseBool: parsing "2": invalid syntax'),
    (["-c", "x"], 'invalid argument "x" for "-c, --count" flag: strconv.ParseInt: parsing "x": invalid syntax'),
    (["-c", "99999999999999999999"], 'invalid argument "99999999999999999999" for "-c, --count" flag: '
                                     'strconv.ParseInt: parsing "99999999999999999999": value out of range'),
    (["--last", "-1"], 'invalid argument "-1" for "--last" flag: strconv.ParseUint: parsing "-1": invalid syntax'),
    (["--last=1.5"], 'invalid argument "1.5" for "--last" flag: strconv.ParseUint: parsing "1.5": invalid syntax'),
    (["--wait", "5"], 'invalid argument "5" for "--wait" flag: time: missing unit in duration "5"'),
    (["--wait", "5x"], 'invalid argument "5x" for "--wait" flag: time: unknown unit "x" in duration "5x"'),
    (["--wait", "soon"], 'invalid argument "soon" for "--wait" flag: time: invalid duration "soon"'),
])
def test_errors_read_like_pflag(argv, message):
    with pytest.raises(FlagError) as exc:
        parse(argv, FLAGS)
    assert str(exc.value) == message


@pytest.mark.parametrize("text", ["0", "90s", "1h30m", "1.5s", ".5s", "-3m", "300ms", "2µs"])
def test_go_durations_are_accepted_as_written(text):
    assert parse(["--wait", text], FLAGS).get("wait") == text


def test_a_table_with_a_bad_kind_or_shorthand_is_refused():
    with pytest.raises(ValueError):
        Flag("x", kind="float")
    with pytest.raises(ValueError):
        Flag("x", "xy")

