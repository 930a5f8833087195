"""Single-value checks: names, labels, CIDRs, ports, Go regexes."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labs.manifests import values


@pytest.mark.parametrize(("pattern", "ok"), [
    ("/api/v1/.*", True), ("GET|POST", True), ("[[:alpha:]]+", True), (r"\pL+", True), (r"/x\z", True),
    ("(?P<id>[0-9]+)", True), ("(?<id>[0-9]+)", True), ("/a(b", False), ("[a-", False), ("(?=x)", False),
    ("(?<!x)y", False), (r"(a)\1", False), ("a*+", False), ("(?>a)", False),
], ids=lambda v: str(v))
def test_go_regex(pattern, ok):
    assert (values.go_regex(pattern) is None) == ok


@pytest.mark.parametrize(("port", "ok"), [
    ("80", True), ("0", True), ("65535", True), ("65536", False), ("http", True), ("HTTP", True),
    ("dns-tcp", True), ("080", False), ("-http", False), ("a--b", False), ("thisnameistoolong", False),
    ("8o", True), ("", False),
], ids=lambda v: str(v))
def test_port_string(port, ok):
    assert (values.port_string(port) is None) == ok


@given(st.integers(min_value=0, max_value=65535))
def test_every_port_number_is_accepted(number):
    assert values.port_string(str(number)) is None


@given(st.integers(min_value=65536, max_value=10**7))
def test_ports_above_the_range_are_rejected(number):
    assert "out of range" in values.port_string(str(number))


@given(st.one_of(st.ip_addresses(v=4).map(lambda a: ipaddress.ip_network(f"{a}/{32}")),
                 st.ip_addresses(v=6).map(lambda a: ipaddress.ip_network(f"{a}/128"))),
       st.integers(min_value=0, max_value=32))
def test_any_network_is_a_cidr(network, length):
    prefix = min(length, network.max_prefixlen)
    supernet = network.supernet(new_prefix=prefix)
    assert values.cidr_or_ip(str(supernet)) is None
    assert values.parse_cidr(str(supernet)) == supernet


@pytest.mark.parametrize(("text", "ok"), [
    ("10.0.0.0/8", True), ("10.0.0.1", True), ("2001:db8::/32", True), ("10.0.0.0/33", False),
    ("10.0.0", False), ("any", False),
], ids=lambda v: str(v))
def test_cidr_or_ip(text, ok):
    assert (values.cidr_or_ip(text) is None) == ok


@pytest.mark.parametrize(("key", "ok"), [
    ("app", True), ("app.kubernetes.io/name", True), ("-app", False), ("a/b/c", False), ("x" * 64, False),
    ("example.com/", False),
], ids=lambda v: str(v)[:20])
def test_label_key(key, ok):
    assert (values.label_key(key) is None) == ok


@given(st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z"))
def test_generated_dns_labels_are_valid_names(name):
    assert values.dns1123_label(name) is None
    assert values.dns1123_label(name.upper() + "A") is not None or not any(c.isalpha() for c in name)
