"""Checks for single values: names, label keys and values, CIDRs, ports, Go regular expressions.

Each check returns None when the value is fine, or the sentence saying what is wrong and what is
expected (the caller adds the field path and line).
"""

from __future__ import annotations

import ipaddress
import re

from labs.manifests.errors import shown

__all__ = [
    "dns1123_label", "dns1123_subdomain", "label_key", "label_value", "parse_cidr", "cidr_or_ip",
    "iana_service_name", "port_string", "go_regex", "compile_re2", "re2_fullmatch", "ICMP_TYPE_NAMES",
]

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def dns1123_label(value: str) -> str | None:
    """Names of Namespaces and Services: lower case letters, digits and '-', at most 63."""
    if len(value) > 63:
        return f"{value!r} is {len(value)} characters long; at most 63 are allowed."
    if not _LABEL.fullmatch(value):
        return (f"{value!r} is not a valid name: use lower case letters, digits and '-', "
                "starting and ending with a letter or digit (for example 'my-app').")
    return None


def dns1123_subdomain(value: str) -> str | None:
    """Names of most objects: like a label but dots allowed, at most 253."""
    if len(value) > 253:
        return f"{value!r} is {len(value)} characters long; at most 253 are allowed."
    if not _SUBDOMAIN.fullmatch(value):
        return (f"{value!r} is not a valid name: use lower case letters, digits, '-' and '.', "
                "starting and ending with a letter or digit (for example 'web-1').")
    return None


def label_key(key: str) -> str | None:
    """A label key: optional DNS subdomain prefix and '/', then a name of at most 63 characters."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or dns1123_subdomain(prefix)):
        return f"The label key {key!r} has an invalid prefix {prefix!r}; it must be a DNS name such as 'example.com'."
    if not name or len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return (f"The label key {key!r} is not valid: the name part must be 1-63 letters, digits, '-', '_' "
                "or '.', starting and ending with a letter or digit.")
    return None


def label_value(value: str) -> str | None:
    if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        return (f"The label value {value!r} is not valid: at most 63 letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit (or empty).")
    return None


def parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A prefix in `<address>/<length>` form (host bits may be set, as Go's netip allows), or None."""
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def cidr_or_ip(text: str) -> str | None:
    """fromCIDR/toCIDR entries: a prefix or a bare address."""
    if parse_cidr(text) is not None:
        return None
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        return f"{text!r} is not a CIDR; expected an address with prefix length such as '10.0.0.0/8' or '192.0.2.1/32'."


_IANA = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def iana_service_name(value: str) -> bool:
    """IANA service name (RFC 6335): 1-15 of [a-z0-9-], a letter, no leading/trailing/double '-'."""
    value = value.lower()
    return (0 < len(value) <= 15 and bool(_IANA.fullmatch(value)) and "--" not in value
            and any(c.isalpha() for c in value))


def port_string(value: str) -> str | None:
    """A Cilium port: a decimal number 0-65535 or a named port (IANA service name)."""
    if iana_service_name(value):
        return None
    if value.isdigit():
        if len(value) > 1 and value.startswith("0"):
            return f"The port {value!r} has a leading zero, which Cilium reads as octal; write it without the zero."
        if int(value) > 65535:
            return f"The port {value!r} is out of range; expected a number from 0 to 65535 or a port name."
        return None
    return (f"The port {value!r} is neither a number from 0 to 65535 nor a port name (1-15 lower case letters, "
            "digits and '-', at least one letter).")


ICMP_TYPE_NAMES: tuple[str, ...] = (
    "EchoReply", "DestinationUnreachable", "Redirect", "Echo", "RouterAdvertisement", "RouterSelection",
    "TimeExceeded", "ParameterProblem", "Timestamp", "TimestampReply", "Photuris", "ExtendedEchoRequest",
    "ExtendedEcho Reply", "PacketTooBig", "EchoRequest", "MulticastListenerQuery", "MulticastListenerReport",
    "MulticastListenerDone", "RouterSolicitation", "NeighborSolicitation", "NeighborAdvertisement",
    "RedirectMessage", "RouterRenumbering", "ICMPNodeInformationQuery", "ICMPNodeInformationResponse",
    "InverseNeighborDiscoverySolicitation", "InverseNeighborDiscoveryAdvertisement",
    "HomeAgentAddressDiscoveryRequest", "HomeAgentAddressDiscoveryReply", "MobilePrefixSolicitation",
    "MobilePrefixAdvertisement", "DuplicateAddressRequestCodeSuffix", "DuplicateAddressConfirmationCodeSuffix",
)
"""The names the CRD's pattern for `icmps[].fields[].type` accepts (spelled as the CRD spells them)."""

def _re2_options():
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print every syntax error on stderr
    return options


def compile_re2(pattern: str):
    """`pattern` compiled with RE2 (the engine Envoy matches HTTP rules with): linear-time matching.

    Raises ValueError with RE2's own reason when the pattern is not RE2 syntax. Go's regexp (which
    Cilium validates with) has RE2's syntax except `\\C` (any byte), refused here as Go refuses it.
    """
    import re2

    if "\\C" in pattern.replace("\\\\", ""):
        raise ValueError("\\C (any byte) is not supported by Go's regexp, which Cilium checks patterns with")
    try:
        return re2.compile(pattern, _re2_options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        raise ValueError(reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)) from None
    except UnicodeError:
        raise ValueError("it holds characters that are not valid Unicode text") from None


_NOT_RE2 = [
    (re.compile(r"\(\?<?[=!]"), "lookahead and lookbehind assertions"),
    (re.compile(r"(?<!\\)\\[1-9]"), "back references such as \\1"),
    (re.compile(r"\(\?P=[A-Za-z_]"), "named back references"),
    (re.compile(r"[*+?}]\+"), "possessive quantifiers such as a*+"),
    (re.compile(r"\(\?>"), "atomic groups"),
]
"""Perl features RE2 leaves out, named in the message next to RE2's own reason."""


def re2_fullmatch(compiled, text: str) -> bool:
    """Whether RE2 matches all of `text`; text that is not valid Unicode (undecodable bytes from a
    command line) is matched with those bytes shown as U+FFFD, instead of failing."""
    try:
        return compiled.fullmatch(text) is not None
    except UnicodeEncodeError:
        return compiled.fullmatch(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")) is not None


def go_regex(pattern: str) -> str | None:
    """Check a regex the way Cilium and Envoy do (RE2 syntax): None when it compiles.

    RE2 has no lookaround, back references, possessive quantifiers or atomic groups, has POSIX
    classes (`[[:alpha:]]`), Unicode classes (`\\pL`), `\\z`, and refuses repeat counts above 1000.
    """
    try:
        compile_re2(pattern)
    except ValueError as exc:
        what = next((f" It uses {name}, which RE2 does not have." for finder, name in _NOT_RE2
                     if finder.search(pattern)), "")
        return (f"The regular expression {shown(pattern)} is not valid RE2 syntax (used by Cilium and Envoy): "
                f"{exc}.{what}")
    return None
