"""`labs.doctor()`: check this machine and the cluster, one line per check with the fix.

In a notebook the returned report displays as a table; `print(report)` gives the same lines as
`python -m labs doctor`.
"""

from __future__ import annotations

import sys
import types

from labs.doctor.report import Check, DoctorReport

__all__ = ["doctor", "Check", "DoctorReport"]


def doctor(*, host: bool = True, cluster: bool = True, workload: bool = True, timeout: float = 5.0,
           wait: float = 120.0) -> DoctorReport:
    """Run the checks; `timeout` bounds each API call, `wait` the test pods' start."""
    checks: list[Check] = []
    if host:
        from labs.doctor.host import gather_host, host_checks

        checks += host_checks(gather_host())
    if cluster:
        from labs.doctor.cluster import cluster_checks

        checks += cluster_checks(timeout=timeout, workload=workload, wait=wait)
    return DoctorReport(tuple(checks))


class _CallablePackage(types.ModuleType):
    """Lets notebooks write `labs.doctor()`, as the course promises, while `labs.doctor` stays a package."""

    def __call__(self, **options: object) -> DoctorReport:
        return doctor(**options)  # type: ignore[arg-type]


sys.modules[__name__].__class__ = _CallablePackage
