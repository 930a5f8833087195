"""ciliumlab's helper package: what the notebooks import.

Layers, bottom up: `manifests` (load and validate YAML), `policy` (the Cilium policy engine),
`cluster` (the `Cluster` interface with a simulated and a live backend), `probes`, `flows`
(Hubble flows), `checks` (lab.yaml expectations), `viz` and `widgets`, and `course` (one Lab session
per notebook). Heavy imports happen lazily, so `import labs` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

from labs.outcomes import Outcome

__all__ = ["Outcome", "__version__"]
