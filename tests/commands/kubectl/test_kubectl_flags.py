"""Does the parser accept kubectl's flag forms and refuse the rest in pflag's words?"""

from __future__ import annotations

import pytest

from labs.commands.kubectl.flags import Flag, FlagError, parse

FLAGS = (Flag("namespace", "n"), Flag("output", "o"), Flag("all-namespaces", "A", "bool"),
         Flag("filename", "f", "list"), Flag("grace-period", kind="int"))


@pytest.mark.parametrize("argv", [
    ["get", "pods", "-n", "x"], ["get", "pods", "-nx"], ["get", "pods", "-n=x"], ["-n", "x", "get", "pods"],
    ["get", "--namespace", "x", "pods"], ["get", "pods", "--namespace=x"],
])
def test_namespace_forms(argv):
    parsed = parse(argv, FLAGS)
    assert parsed.get("namespace") == "x"
    assert parsed.args == ["get", "pods"]


def test_output_glued_and_bools_and_lists():
    parsed = parse(["-oyaml", "-A", "-f", "a.yaml", "--filename=b.yaml", "--all-namespaces=false"], FLAGS)
    assert parsed.get("output") == "yaml"
    assert parsed.get("all-namespaces") is False
    assert parsed.get("filename") == ["a.yaml", "b.yaml"]


def test_double_dash_ends_the_flags():
    parsed = parse(["pod", "-n", "x", "--", "curl", "-s", "-o", "/dev/null"], FLAGS)
    assert parsed.args == ["pod"]
    assert parsed.after_dash == ["curl", "-s", "-o", "/dev/null"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--foo"], "unknown flag: --foo"),
    (["-x"], "unknown shorthand flag: 'x' in -x"),
    (["-n"], "flag needs an argument: 'n' in -n"),
    (["--namespace"], "flag needs an argument: --namespace"),
    (["--grace-period=abc"], 'invalid argument "abc" for "--grace-period" flag: strconv.ParseInt: parsing "abc": '
                             'invalid syntax'),
    (["--namesp", "x"], "unknown flag: --namesp"),
])
def test_errors_read_like_pflag(argv, message):
    with pytest.raises(FlagError) as exc:
        parse(argv, FLAGS)
    assert str(exc.value) == message
