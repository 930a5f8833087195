"""What running one command line produced: its output streams and exit code, as a shell would see them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandResult:
    """stdout, stderr and exit code of one command line (real or simulated)."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


SIM_NOTE = "note: the simulated cluster does not model this"


def unsupported(tool: str, what: str, *, exit_code: int = 1) -> CommandResult:
    """A command line outside the simulated subset: the tool's error style plus one line saying why.

    Never a guessed answer: the trainee learns the simulation stops here, not a wrong fact. When the error
    line already says the simulation does not model it, the note adds where it does run instead of saying
    the same thing twice (seen in the browser: two lines with one message).
    """
    if "not modelled" in what:
        return CommandResult(stderr=f"error: {what}\n{SIM_NOTE} ({tool}); on a live cluster the real {tool} runs it.\n",
                             exit_code=exit_code)
    return CommandResult(stderr=f"error: {what}\n{SIM_NOTE} ({tool}).\n", exit_code=exit_code)
