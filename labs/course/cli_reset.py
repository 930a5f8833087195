"""`python -m labs reset LAB [--backend B]`: delete a lab's namespaces and policies; your files are kept."""

from __future__ import annotations

import argparse

from labs.course.spec import LabSpecError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lab", help="lab id, e.g. 02-segregation")
    parser.add_argument("--backend", choices=("auto", "live", "sim"), help="backend (default: LABS_BACKEND or auto)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for deletion (default 180)")


def run(args: argparse.Namespace) -> int:
    from labs.course.session import open_lab

    try:
        lab = open_lab(args.lab, backend=args.backend)
    except LabSpecError as exc:
        print(f"labs reset: {exc}")
        return 2
    message = lab.reset(confirm=True, timeout=args.timeout)
    print(repr(message))
    return 0 if message.ok else 1
