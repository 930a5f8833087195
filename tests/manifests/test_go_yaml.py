"""YAML is read as the API server reads it: sigs.k8s.io/yaml over its copy of go-yaml v2.

Rules cited from kubernetes-sigs/yaml `goyaml.v2/resolve.go` (`resolve`, `resolveMapList`,
`yamlStyleFloat`), `goyaml.v2/decode.go` (`allowedAliasRatio`, timestamps decoded into an
interface{} keep their text) and `yaml.go` (`convertToJSONableObject`: int, float and bool keys
become strings).
"""

from __future__ import annotations

import re

import pytest

from labs.manifests import ManifestError, load_text
from labs.manifests.go_yaml import allowed_alias_ratio, json_key, resolve_plain
from labs.manifests.yaml_lines import MAX_DEPTH, YamlSyntaxError, parse_documents, parse_documents_lenient


@pytest.mark.parametrize(("text", "value"), [
    # resolveMapList: YAML 1.1 booleans, including y/Y/n/N that PyYAML does not know
    ("y", True), ("Y", True), ("yes", True), ("on", True), ("ON", True), ("true", True),
    ("n", False), ("no", False), ("off", False), ("False", False),
    ("~", None), ("null", None), ("", None),
    # base 60 is "purposefully unsupported" (resolve.go): a string, where PyYAML gives 90
    ("1:30", "1:30"), ("190:20:30", "190:20:30"),
    # timestamps reach JSON as the text written (decode.go keeps n.value for a timestamp in interface{})
    ("2024-01-01", "2024-01-01"), ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    # strconv.ParseInt(plain, 0, 64) after removing "_"
    ("017", 15), ("0o17", 15), ("0x1F", 31), ("0b101", 5), ("1_000", 1000), ("+5", 5), ("-0", 0),
    ("9223372036854775808", 9223372036854775808),
    # then yamlStyleFloat + ParseFloat: "08" and "1e3" are numbers (PyYAML keeps them as strings)
    ("08", 8.0), ("1e3", 1000.0), ("1.5", 1.5), (".5", 0.5), ("-.5e1", -5.0), ("1.", 1.0),
    # not numbers in go-yaml
    ("0x", "0x"), ("1e400", "1e400"), ("1_0.5.1", "1_0.5.1"), ("+", "+"), ("-", "-"), (".", "."),
    ("0b-1", -1),  # go-yaml's own fallback ParseInt(plain[2:], 2, 64) takes the sign
    ("yes please", "yes please"), ("Yes!", "Yes!"), ("tRue", "tRue"), ("NaN", "NaN"),
])
def test_plain_scalars_resolve_as_go_yaml_v2(text, value):
    got = resolve_plain(text)
    assert got == value and type(got) is type(value)


def test_special_floats_are_refused_as_json_cannot_carry_them():
    assert resolve_plain(".inf") == float("inf") and resolve_plain(".nan") != resolve_plain(".nan")
    with pytest.raises(YamlSyntaxError, match="cannot be written as JSON"):
        parse_documents("a: .inf\n")


def test_json_keys_follow_convert_to_jsonable_object():
    assert [json_key(v) for v in (True, False, 8, "x")] == ["true", "false", "8", "x"]
    assert json_key(None) is None
    doc = parse_documents("y: 1\non: 2\n8: 3\n")[0]
    assert doc.data == {"true": 2, "8": 3}
    assert doc.duplicate_keys == [(("true",), "true")]  # `y` and `on` are the same JSON key


def test_document_values_and_their_written_text():
    doc = parse_documents("a: 2024-01-01\nb: 1:30\nc: y\nd: 08\ne: 8.0\nf: '08'\ng: !!str 12\n")[0]
    assert doc.data == {"a": "2024-01-01", "b": "1:30", "c": True, "d": 8, "e": 8, "f": "08", "g": "12"}
    # JSON has one number type: 8.0 reaches the API server as 8, a valid int32.
    assert type(doc.data["e"]) is int
    assert doc.lines.plain == {("c",): "y", ("d",): "08", ("e",): "8.0"}


def test_merge_keys_may_be_overridden_and_earlier_merges_win():
    text = ("base: &base {team: web, tier: front}\nother: &other {tier: db, zone: a}\n"
            "x:\n  <<: [*base, *other]\n  tier: back\n")
    doc = parse_documents(text)[0]
    assert doc.data["x"] == {"team": "web", "tier": "back", "zone": "a"}
    assert doc.duplicate_keys == []  # an override of a merged key is not a duplicate
    twice = parse_documents("x:\n  a: 1\n  a: 2\n")[0]
    assert twice.duplicate_keys == [(("x", "a"), "a")]  # a key written twice still is


def test_merge_needs_mappings():
    with pytest.raises(YamlSyntaxError, match="merge key"):
        parse_documents("x:\n  <<: 3\n")


def test_anchors_may_be_redefined_and_the_latest_wins():
    assert parse_documents("a: &x 1\nb: &x 2\nc: *x\n")[0].data == {"a": 1, "b": 2, "c": 2}


BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


def test_billion_laughs_is_refused_after_a_few_thousand_nodes():
    """decode.go: more than 1000 nodes, more than 100 of them through aliases, above 99% aliased."""
    assert len(BILLION_LAUGHS) < 450
    with pytest.raises(YamlSyntaxError) as caught:
        parse_documents(BILLION_LAUGHS)
    message = caught.value.message
    assert "excessive aliasing" in message
    built = int(re.search(r"more than (\d+) nodes", message).group(1))
    assert 1000 < built < 10_000  # 9**9 nodes would be ~387 million: the walk stopped early


def test_ordinary_aliasing_is_accepted_and_not_walked_for_lines():
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [" + ", ".join(["*a"] * 150) + "]\n"
    doc = parse_documents(text)[0]
    assert len(doc.data["b"]) == 150 and doc.data["b"][149] == list(range(1, 11))
    # lines are recorded for what is written, never again for what an alias expands to; an alias
    # takes its line from the field holding it
    assert ("b", 0) not in doc.lines.lines and ("b", 0, 0) not in doc.lines.lines
    assert len(doc.lines.lines) == 1 + 1 + 10 + 1 and doc.lines.line(("b", 149, 3)) == 2


def test_alias_ratio_follows_go_yaml():
    assert allowed_alias_ratio(1000) == 0.99 and allowed_alias_ratio(4_000_000) == 0.10
    assert allowed_alias_ratio(2_200_000) == pytest.approx(0.99 - 0.89 * 0.5)


def test_an_anchor_containing_itself_is_refused():
    with pytest.raises(YamlSyntaxError, match="contains an alias to itself"):
        parse_documents("a: &a {b: *a}\n")


@pytest.mark.parametrize("text", [
    "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "a: " + "{a: " * 10_000 + "}" * 10_000 + "\n",
    "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 1000)),
], ids=["flow-sequences", "flow-mappings", "block-mappings"])
def test_deep_nesting_is_refused_with_its_line(text):
    with pytest.raises(YamlSyntaxError, match=f"deeper than {MAX_DEPTH} levels") as caught:
        parse_documents(text)
    assert caught.value.line is not None


def test_nesting_within_the_limit_is_read():
    data = parse_documents("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")[0].data
    depth = 0
    node = data["a"]
    while isinstance(node, list) and node:
        node, depth = node[0], depth + 1
    assert depth == MAX_DEPTH - 2


@pytest.mark.parametrize(("text", "line"), [("a: 1\nb: \x00\n", 2), ("a: \x07\n", 1), ("a: 1\n---\nb: \x1b[0m\n", 3)])
def test_control_characters_are_refused_with_their_line(text, line):
    _documents, errors = parse_documents_lenient(text)
    assert [e.line for e in errors] == [line]
    assert "control character" in errors[0].message


def test_y_label_is_rejected_naming_the_yaml_difference():
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n  labels:\n    enabled: y\n"
    with pytest.raises(ManifestError) as caught:
        load_text(text)
    (problem,) = caught.value.problems
    assert problem.line == 6 and problem.path == "metadata.labels.enabled"
    assert "YAML 1.1" in problem.message and 'quote it: "y"' in problem.message


def test_base_60_and_dates_stay_strings_in_configmap_data():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  at: 1:30\n  day: 2024-01-01\n"
    assert load_text(text).documents[0].obj["data"] == {"at": "1:30", "day": "2024-01-01"}


@pytest.mark.parametrize("value", ["2024-01-01", "1.2.3", "v1"])
def test_values_that_stay_strings_are_accepted_as_labels(value):
    text = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n  labels:\n    v: {value}\n"
    assert dict(load_text(text).namespaces[0].labels)["v"] == value


def test_merged_labels_with_an_override_are_accepted():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    <<: &l {team: web, tier: a}\n"
            "    tier: b\ndata: {x: y1}\n")
    doc = load_text(text).documents[0]
    assert doc.obj["metadata"]["labels"] == {"team": "web", "tier": "b"}
