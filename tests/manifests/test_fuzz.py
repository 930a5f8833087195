"""Whatever shape a policy document has, the loader answers with objects or located problems, never a crash."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labs.manifests import ManifestError, load_text

KEYS = st.sampled_from(["endpointSelector", "ingress", "egress", "egressDeny", "fromEndpoints", "toPorts", "ports",
                        "port", "protocol", "rules", "http", "dns", "matchLabels", "toCIDRSet", "cidr", "except",
                        "icmps", "fields", "type", "toFQDNs", "matchName", "nodeSelector", "x"])
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.sampled_from(["80", "TCP", "10.0.0.0/8", "*",
                                                                                      "", "a b", "world"]))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(KEYS, inner, max_size=3)), max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=VALUES)
def test_random_specs_give_problems_with_locations_or_a_policy(spec):
    doc = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "p"}, "spec": spec}
    try:
        result = load_text(yaml.safe_dump(doc))
    except ManifestError as exc:
        assert exc.problems
        assert all(p.line is not None and p.file == "<input>" and p.message.endswith((".", "?")) for p in exc.problems)
    else:
        assert len(result.policies) == 1
