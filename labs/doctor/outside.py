"""The lab's "outside" destinations as the course VM provides them (scripts/provision/outside-hosts).

Labs 06 and 08 probe names such as api.stripe.com and the address 198.51.100.66 as if they were on the
internet; the VM serves them itself (docs/vm.md, `outside.sh`). The doctor checks that a pod resolves one of
the names to the listed address and gets an HTTP answer there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labs.doctor.report import Check
from labs.paths import repo_root
from labs.probes import HttpRequest, Probe, Target

__all__ = ["outside_hosts", "outside_probes", "outside_checks", "HOSTS_FILE"]

HOSTS_FILE = Path("scripts") / "provision" / "outside-hosts"
_FIX = ("Labs 06 and 08 need the lab's outside network: re-run `vagrant provision` (scripts/provision/outside.sh "
        "sets it up; see docs/vm.md), or open those labs with backend=\"sim\".")


def outside_hosts(path: Path | None = None) -> dict[str, str]:
    """name -> address, from the hosts-format file provisioning gives CoreDNS."""
    names: dict[str, str] = {}
    for line in (path or repo_root() / HOSTS_FILE).read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            names.update({name: fields[0] for name in fields[1:]})
    return names


def outside_probes(client: str, name: str, address: str) -> list[Probe]:
    """A lookup of `name` and an HTTP request to `address` port 80, from the pod `client`."""
    return [Probe(client, None, dns=name), Probe(client, Target("ip", address), 80, http=HttpRequest())]


def outside_checks(dns: Any, http: Any, name: str, address: str) -> list[Check]:
    """Two checks from the results of `outside_probes` (ProbeResult-like: outcome, reason, detail)."""
    ips = list(dns.detail.get("ips") or ())
    if dns.outcome.value == "allowed" and address in ips:
        lookup = Check("outside-dns", "pass", f"{name} resolves to {address}, the lab's outside network.")
    else:
        said = f"resolved to {', '.join(ips)}" if ips else f"{dns.outcome.value}: {dns.reason}"
        lookup = Check("outside-dns", "warn", f"{name} does not resolve to {address} ({said}).", _FIX)
    if http.outcome.value == "allowed":
        reach = Check("outside-http", "pass", f"{address} answered: {http.reason}.")
    else:
        reach = Check("outside-http", "warn", f"{address} port 80 {http.outcome.value}: {http.reason}.", _FIX)
    return [lookup, reach]
