"""`hubble observe --print-raw-filters`: the request's filters, printed as hubble prints them, nothing fetched.

Goldens: Cilium's documentation prints `hubble observe --verdict DROPPED --verdict ERROR --print-raw-filters`
as `allowlist:` and `- '{"verdict":["DROPPED","ERROR"]}'` (Documentation/observability/hubble/configuration/
export.rst, "Filters"); hubble CLI 1.17+ marshals with gopkg.in/yaml.v3 (`hubble/cmd/observe/flows.go`
imports it), whose default indent is four spaces, the form published outputs of current releases show for
`--namespace kube-system` (one filter per side, `"source_pod":["kube-system/"]`). FlowFilter fields come
in flow.proto declaration order (source_pod, then verdict, then protocol).
"""

from __future__ import annotations

import shlex

import pytest

from labs.commands import hubble


def raw(line: str, cluster):
    return hubble.run(["observe", *shlex.split(line), "--print-raw-filters"], cluster)


@pytest.mark.parametrize(("line", "expected"), [
    ("--verdict DROPPED --verdict ERROR", "allowlist:\n    - '{\"verdict\":[\"DROPPED\",\"ERROR\"]}'\n"),
    ("--namespace kube-system", "allowlist:\n    - '{\"source_pod\":[\"kube-system/\"]}'\n"
                                "    - '{\"destination_pod\":[\"kube-system/\"]}'\n"),
    ("--not --namespace kube-system", "denylist:\n    - '{\"source_pod\":[\"kube-system/\"]}'\n"
                                      "    - '{\"destination_pod\":[\"kube-system/\"]}'\n"),
    ("-n payments --verdict DROPPED --protocol tcp",
     "allowlist:\n    - '{\"source_pod\":[\"payments/\"],\"verdict\":[\"DROPPED\"],\"protocol\":[\"tcp\"]}'\n"
     "    - '{\"destination_pod\":[\"payments/\"],\"verdict\":[\"DROPPED\"],\"protocol\":[\"tcp\"]}'\n"),
    ("--from-pod store/web --verdict AUDIT --not --to-port 53",
     "allowlist:\n    - '{\"source_pod\":[\"store/web\"],\"verdict\":[\"AUDIT\"]}'\n"
     "denylist:\n    - '{\"destination_port\":[\"53\"]}'\n"),
    ("--type trace:to-endpoint --type l7 --http-status 403 --traffic-direction ingress",
     "allowlist:\n    - '{\"traffic_direction\":[\"INGRESS\"],\"event_type\":[{\"type\":4,\"match_sub_type\":true},"
     "{\"type\":129}],\"http_status_code\":[\"403\"]}'\n"),
    ("", "{}\n"),
])
def test_print_raw_filters(sim, line, expected):
    before = len(sim.flows())
    result = raw(line, sim)
    assert (result.stdout, result.stderr, result.exit_code) == (expected, "", 0)
    assert len(sim.flows()) == before


def test_the_filters_are_checked_before_printing(sim):
    result = raw("--pod store/web --to-pod store/api", sim)
    assert (result.stdout, result.exit_code) == ("", 1)
    assert result.stderr.startswith("Error: filters --")
    bad = raw("--verdict NOPE", sim)
    assert bad.exit_code == 1 and "invalid --verdict value: NOPE" in bad.stderr


def test_a_quote_in_a_value_is_doubled_as_yaml_single_quotes_need(sim):
    result = raw("--http-path \"/it's\"", sim)
    assert result.stdout == "allowlist:\n    - '{\"http_path\":[\"/it''s\"]}'\n"
