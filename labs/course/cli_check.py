"""`python -m labs check LAB [--step ID] [--backend B] [--solve] [--json]`: check a lab's steps.

The lab's workloads are deployed first (on the simulated backend they always are; on a live cluster
only when `--deploy` is given or they are missing). Exit 0 when every checked step passes, 1 when
one does not, 2 for an unknown lab or step.
"""

from __future__ import annotations

import argparse
import json
import os

from labs.course.spec import LabSpecError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lab", help="lab id, e.g. 02-segregation")
    parser.add_argument("--step", action="append", help="step id (repeat for several; default: every step)")
    parser.add_argument("--backend", choices=("auto", "live", "sim"), help="backend (default: LABS_BACKEND or auto)")
    parser.add_argument("--solve", action="store_true", help="check exercises with their solutions (LABS_SOLVE=1)")
    parser.add_argument("--deploy", action="store_true", help="deploy the lab's workloads first")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def run(args: argparse.Namespace) -> int:
    from labs.course.session import open_lab

    if args.solve:
        os.environ["LABS_SOLVE"] = "1"
    try:
        lab = open_lab(args.lab, backend=args.backend)
        steps = args.step or [s.id for s in lab.spec.steps]
        for step in steps:
            lab.step(step)
    except (LabSpecError, KeyError) as exc:
        print(f"labs check: {exc.args[0] if isinstance(exc, KeyError) else exc}")
        return 2
    present = {p.namespace for p in lab.cluster.pods()}
    if args.deploy or lab.cluster.backend == "sim" or not set(lab.namespaces) <= present:
        message = lab.deploy()
        if not message.ok:
            print(repr(message))
            return 1
    results = [lab.check(step) for step in steps]
    if args.json:
        print(json.dumps({"lab": lab.id, "backend": lab.cluster.backend, "results": [r.to_json() for r in results]},
                         indent=2))
    else:
        print("\n\n".join(r.text() for r in results))
    return 0 if all(r.passed for r in results) else 1
