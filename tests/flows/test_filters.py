from __future__ import annotations

import pytest

from labs.flows import FilterOptionError, all_of, any_of, build_filter, negate, parse_lines
from labs.flows.filters import NamespaceFilter, VerdictFilter


@pytest.fixture(scope="module")
def flows(sample_lines):
    return parse_lines(sample_lines).flows


# Sample flow indexes: 0-1 client->api allowed, 2 reply, 3 GET, 4 DELETE l7-denied, 5-6 client->db default deny,
# 7 api->db deny rule, 8 DNS ok, 9 DNS refused, 10 api.github.com, 11 1.1.1.1 dropped, 12 audit, 13 ICMP host.
@pytest.mark.parametrize(
    ("options", "indexes", "description"),
    [
        ({}, list(range(14)), "all flows"),
        ({"verdict": "dropped"}, [4, 5, 6, 7, 9, 11], "verdict DROPPED"),
        ({"verdict": ["DROPPED", "AUDIT"]}, [4, 5, 6, 7, 9, 11, 12], "verdict DROPPED or AUDIT"),
        ({"namespace": "kube-system"}, [8, 9], "namespace kube-system"),
        ({"from_namespace": "backend"}, [2, 7, 12], "from-namespace backend"),
        ({"to_namespace": "backend", "verdict": "DROPPED"}, [4, 5, 6, 7],
         "to-namespace backend and verdict DROPPED"),
        ({"pod": "backend/db"}, [5, 6, 7], "pod backend/db"),
        ({"to_pod": "backend/api-"}, [0, 1, 3, 4], "to-pod backend/api-"),
        ({"pod": "client"}, [], "pod default/client"),
        ({"protocol": "udp"}, [8, 9], "protocol udp"),
        ({"protocol": ["http", "icmp"]}, [3, 4, 13], "protocol http or icmp"),
        ({"protocol": "dns"}, [8, 9], "protocol dns"),
        ({"type": "drop"}, [5, 6, 11], "type drop"),
        ({"type": ["policy-verdict"]}, [0, 7, 10, 12], "type policy-verdict"),
        ({"type": "l7"}, [3, 4, 8, 9], "type l7"),
        ({"http_method": "delete"}, [4], "http-method DELETE"),
        ({"http_path": "/api/v1/products"}, [3], "http-path /api/v1/products"),
        ({"to_port": 5432}, [5, 6, 7], "to-port 5432"),
        ({"fqdn": "*.github.com"}, [8, 10], "fqdn *.github.com"),
        ({"fqdn": "*.example.org"}, [], "fqdn *.example.org"),
        ({"fqdn": "api.github.com"}, [8, 10], "fqdn api.github.com"),
        ({"to_ip": "1.1.1.1"}, [11], "to-ip 1.1.1.1"),
        ({"label": "app=db"}, [5, 6, 7], "label app=db"),
        ({"to_label": "reserved:host"}, [13], "to-label reserved:host"),
        ({"traffic_direction": "egress", "verdict": "FORWARDED"}, [8, 10, 13],
         "traffic-direction egress and verdict FORWARDED"),
        ({"is_reply": "true"}, [2], "replies"),
    ],
    ids=lambda v: str(v) if not isinstance(v, (list, dict)) else None,
)
def test_hubble_like_options(flows, options, indexes, description):
    flow_filter = build_filter(options)
    assert [i for i, f in enumerate(flows) if flow_filter.match(f)] == indexes
    assert flow_filter.describe() == description


def test_http_status_matches_codes_and_classes():
    lines = [
        '{"flow": {"verdict": "FORWARDED", "l7": {"type": "RESPONSE", "http": {"code": 403}}}}',
        '{"flow": {"verdict": "FORWARDED", "l7": {"type": "RESPONSE", "http": {"code": 200}}}}',
        '{"flow": {"verdict": "FORWARDED", "l7": {"type": "RESPONSE", "http": {"code": 404}}}}',
    ]
    flows = parse_lines(lines).flows
    for spec, expected in (("403", [0]), ("4+", [0, 2]), ("40+", [0, 2]), ("2+", [1])):
        f = build_filter(http_status=spec)
        assert [i for i, flow in enumerate(flows) if f.match(flow)] == expected, spec


def test_composition_reads_as_a_sentence(flows):
    combined = all_of(NamespaceFilter(("backend",)), any_of(VerdictFilter(("DROPPED",)), VerdictFilter(("AUDIT",))))
    assert combined.describe() == "namespace backend and (verdict DROPPED or verdict AUDIT)"
    not_dropped = negate(VerdictFilter(("DROPPED",)))
    assert not_dropped.describe() == "not verdict DROPPED"
    assert negate(not_dropped) == VerdictFilter(("DROPPED",))
    assert sum(1 for f in flows if not_dropped.match(f)) == 8


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"verdict": "BLOCKED"}, "--verdict: verdict 'BLOCKED' is not one of FORWARDED, DROPPED, AUDIT, REDIRECTED, "
                                 "ERROR, TRACED, TRANSLATED"),
        ({"protocol": "quic"}, "--protocol: protocol 'quic' is not one of tcp, udp, sctp, icmp, icmpv4, icmpv6, "
                               "http, dns"),
        ({"http_status": "4xx"}, "--http-status: HTTP status '4xx' is not a code like 403, 4+ or 40+"),
        ({"to_port": "http"}, "--to-port: port 'http' is not a number from 1 to 65535"),
        ({"type": "dropped"}, "--type: event type 'dropped' is not one of drop, debug, capture, trace, "
                              "policy-verdict, trace-sock, l7, agent"),
        ({"http_path": "(["}, "--http-path: HTTP path pattern '([' is not a valid regular expression: "
                              "unterminated character set at position 1"),
        ({"colour": "red"}, "unknown flow filter option 'colour'; known options: namespace, from-namespace"),
    ],
    ids=["verdict", "protocol", "http-status", "port", "type", "regex", "unknown-option"],
)
def test_bad_options_are_named(options, message):
    with pytest.raises(FilterOptionError) as caught:
        build_filter(options)
    assert str(caught.value).startswith(message)
