"""kubectl's error lines and exit code (k8s.io/kubectl `pkg/cmd/util/helpers.go`, `CheckErr` /
`StandardErrorMessage`): API errors print `Error from server (<Reason>): <message>`, everything else
`error: <message>`; usage errors add `See 'kubectl <verb> --help' for usage.`; the exit code is 1.
"""

from __future__ import annotations

from labs.commands.kubectl.flags import Flag, FlagError, Parsed, parse
from labs.commands.result import CommandResult, unsupported

__all__ = ["KubectlError", "usage_error", "not_found", "server_error"]


class KubectlError(Exception):
    """Stops a command; `text` is the whole stderr it prints."""

    def __init__(self, text: str, exit_code: int = 1):
        super().__init__(text)
        self.text = text
        self.exit_code = exit_code

    def result(self, stdout: str = "") -> CommandResult:
        return CommandResult(stdout=stdout, stderr=self.text, exit_code=self.exit_code)


def usage_error(verb: str, message: str) -> KubectlError:
    return KubectlError(f"error: {message}\nSee 'kubectl {verb} --help' for usage.\n")


def server_error(reason: str, message: str) -> str:
    return f"Error from server ({reason}): {message}\n"


def not_found(group_resource: str, name: str) -> str:
    """`Error from server (NotFound): pods "x" not found` (apimachinery errors.NewNotFound)."""
    return server_error("NotFound", f'{group_resource} "{name}" not found')


def parse_verb(verb: str, argv: list[str], flags: tuple[Flag, ...],
               unmodelled: tuple[str, ...]) -> Parsed | CommandResult:
    """Parse one verb's flags: the parsed line, or the reply when a flag is wrong or not modelled.

    Every verb starts the same way (pflag's usage error, then the note for flags the simulation lacks).
    """
    try:
        parsed = parse(argv, flags)
    except FlagError as exc:
        return usage_error(verb, str(exc)).result()
    for name in unmodelled:
        if name in parsed.given:
            return unsupported("kubectl", f"kubectl {verb} --{name} is not available on the simulated cluster")
    return parsed
