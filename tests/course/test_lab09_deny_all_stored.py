"""Lab 09's deny-all pitfall: after its check, `kubectl get cnp` still lists the policy, VALID False.

Found walking lab 09: the check said the policy was "refused before it is applied" and removed it, so
`kubectl get cnp` showed nothing, while the lab's text (and a real cluster) say the API server stores it.
"""

from __future__ import annotations

import re

from labs.commands.kubectl import run as kubectl


def test_lab_09_check_leaves_the_deny_all_stored_and_listed(open_sim):
    lab = open_sim("09-fix-the-blog")
    result = lab.check("pitfall-deny-all")
    assert result.passed
    assert "the API server stores this policy" in result.summary and "refused before" not in result.summary
    assert any("VALID False: rule must have at least one of Ingress" in n for n in result.notes)
    listed = kubectl(["get", "cnp", "-n", "blog"], lab.cluster, None).stdout
    assert re.search(r"^deny-all\s+\S+\s+False$", listed, re.M), listed
    curl = kubectl(["exec", "-n", "blog", "other", "--", "curl", "-s", "-m", "3", "-o", "/dev/null", "-w",
                    "%{http_code}", "http://test-app"], lab.cluster, None)
    assert curl.stdout == "200"
