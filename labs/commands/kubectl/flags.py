"""kubectl's flags: read by the shared pflag reader, plus the persistent flags every verb accepts.

kubectl reports a flag error as `error: <pflag's message>` followed by `See 'kubectl <verb> --help' for
usage.` (k8s.io/kubectl pkg/cmd/util/helpers.go, `UsageErrorf`, and the cobra flag-error function set in
pkg/cmd/cmd.go); `labs.commands.kubectl.errors.parse_verb` adds both.
"""

from __future__ import annotations

from labs.commands.pflag import Flag, FlagError, Parsed, parse

__all__ = ["Flag", "FlagError", "Parsed", "parse", "GLOBAL_FLAGS"]

GLOBAL_FLAGS = (
    Flag("namespace", "n"),
    Flag("kubeconfig"),
    Flag("context"),
    Flag("request-timeout"),
)
"""kubectl's persistent flags the simulated cluster accepts (the kubeconfig ones are ignored there)."""
