"""Small pieces every kubectl verb shares: the namespace in effect, the cluster's clock, `-o` checks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from labs.commands.kubectl.flags import Parsed
from labs.commands.result import CommandResult

if TYPE_CHECKING:
    from labs.cluster.sim import SimCluster

__all__ = ["DEFAULT_NAMESPACE", "namespace_flag", "now_of", "GET_OUTPUTS", "output_error"]

DEFAULT_NAMESPACE = "default"
"""The course kubeconfig's context sets no namespace, so kubectl uses `default`."""

GET_OUTPUTS = ("custom-columns", "custom-columns-file", "go-template", "go-template-file", "json", "jsonpath",
               "jsonpath-as-json", "jsonpath-file", "kyaml", "name", "template", "templatefile", "wide", "yaml")
"""The formats kubectl 1.35 accepts for `get -o` (cli-runtime `PrintFlags.AllowedFormats`)."""


def namespace_flag(parsed: Parsed) -> str:
    return str(parsed.get("namespace") or DEFAULT_NAMESPACE)


def now_of(cluster: SimCluster) -> datetime:
    """The simulated cluster's clock (injectable, so ages in tests are fixed)."""
    return cluster.now()


def output_error(output: str, allowed: tuple[str, ...] = GET_OUTPUTS) -> CommandResult:
    base = output.split("=", 1)[0]
    if base in allowed:
        return CommandResult()
    return CommandResult(stderr=f'error: unable to match a printer suitable for the output format "{output}", '
                                f'allowed formats are: {",".join(allowed)}\n', exit_code=1)
