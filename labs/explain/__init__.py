"""`labs explain`: why traffic is allowed or denied, rule by rule, and the smallest fix."""

from labs.explain.suggest import suggest_fix
from labs.explain.trace import Explanation, explain, hubble_evidence, mirror_of

__all__ = ["Explanation", "explain", "hubble_evidence", "mirror_of", "suggest_fix"]
