"""Read install scripts for lint: the shell command lines a blog post tells you to type.

Where it sits: `labs.lint.source.read_source` calls `shell_documents` for a `.sh` file (or a text that
starts with `#!`). Each simple command becomes a `shell` document (its words, the pipeline it belongs
to, its line), so the install checks (`labs.lint.checks.install`) can name the line. Two commands are
also turned into the documents the other checks already read:

- `helm install|upgrade|template ... --set k=v` and `cilium install|upgrade ... --set k=v` give a
  `helm-values` document (`--set a.b=c` is `{a: {b: c}}`, typed the way Helm's strvals parser types
  it: true/false, integers, else strings), so `--set kubeProxyReplacement=strict` meets CL602;
- `kubeadm init --pod-network-cidr=... [--service-cidr=...]` gives a `kubeadm` document shaped like a
  ClusterConfiguration's `networking` section, so the flags and a kubeadm config file are checked alike.

Only the subset of shell a tutorial uses is understood: backslash continuations, comments, `|`, `&&`,
`||` and `;`. Anything else is kept as words; nothing is ever run.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from labs.manifests.yaml_lines import LineMap

__all__ = ["ShellCommand", "parse_commands", "helm_set_values", "kubeadm_networking", "is_shell_source"]

_SEPARATORS = {"&&", "||", ";", "&", "\n"}


@dataclass(frozen=True)
class ShellCommand:
    """One simple command: its words, its place in a pipeline, and the line it starts on."""

    words: tuple[str, ...]
    line: int
    pipeline: tuple[tuple[str, ...], ...]
    """Every stage of the pipeline this command is part of (itself included), in order."""
    stage: int

    @property
    def text(self) -> str:
        return " ".join(shlex.quote(w) for w in self.words)

    def data(self) -> dict[str, Any]:
        return {"words": list(self.words), "pipeline": [list(s) for s in self.pipeline], "stage": self.stage}


def is_shell_source(name: str, text: str) -> bool:
    """A `.sh` file, or a text whose first line is a shell shebang."""
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return name.endswith(".sh") or bool(re.match(r"#!\s*\S*(ba|z|da)?sh\b", first))


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first physical line."""
    out: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        if raw.rstrip().endswith("\\"):
            buffer += raw.rstrip()[:-1] + " "
            continue
        out.append((start, buffer + raw))
        buffer = ""
    if buffer:
        out.append((start, buffer))
    return out


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: fall back to plain words
        return line.split()


def parse_commands(text: str) -> list[ShellCommand]:
    """Every simple command of a script, in order."""
    commands: list[ShellCommand] = []
    for line_no, line in _logical_lines(text):
        stages: list[list[str]] = [[]]
        groups: list[list[list[str]]] = []
        for token in _tokens(line):
            if token == "|":
                stages.append([])
            elif token in _SEPARATORS or set(token) <= set("|&;"):
                groups.append(stages)
                stages = [[]]
            else:
                stages[-1].append(token)
        groups.append(stages)
        for group in groups:
            pipeline = tuple(tuple(s) for s in group if s)
            for index, stage in enumerate(pipeline):
                commands.append(ShellCommand(stage, line_no, pipeline, index))
    return commands


def _strip_sudo(words: tuple[str, ...]) -> tuple[str, ...]:
    while words and words[0] in ("sudo", "env", "exec", "time"):
        words = words[1:]
    return words


def program(command: ShellCommand) -> tuple[str, ...]:
    """The command's words without a leading `sudo`, and with the program's base name."""
    words = _strip_sudo(command.words)
    if not words:
        return ()
    return (words[0].rsplit("/", 1)[-1],) + words[1:]


def _flag_values(words: tuple[str, ...], *names: str) -> list[str]:
    """Every value of `--name=value` / `--name value` for any of `names`."""
    found: list[str] = []
    for i, word in enumerate(words):
        for name in names:
            if word.startswith(name + "="):
                found.append(word[len(name) + 1:])
            elif word == name and i + 1 < len(words):
                found.append(words[i + 1])
    return found


def _helm_scalar(text: str) -> Any:
    """Helm's strvals typing of `--set` values: booleans, integers (without leading zeros), else strings."""
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if re.fullmatch(r"-?(0|[1-9]\d*)", text):
        return int(text)
    return text


def helm_set_values(command: ShellCommand) -> dict[str, Any] | None:
    """The values a `helm`/`cilium` install command sets with `--set`, nested; None for other commands."""
    words = program(command)
    if len(words) < 2 or (words[0], words[1]) not in {("helm", "install"), ("helm", "upgrade"),
                                                         ("helm", "template"), ("cilium", "install"),
                                                         ("cilium", "upgrade")}:
        return None
    values: dict[str, Any] = {}
    for assignment in _flag_values(words, "--set", "--set-string"):
        for part in assignment.split(","):
            key, sep, raw = part.partition("=")
            if not sep or not key:
                continue
            node = values
            keys = key.split(".")
            for k in keys[:-1]:
                child = node.get(k)
                node = node.setdefault(k, {}) if not isinstance(child, dict) else child
            node[keys[-1]] = _helm_scalar(raw)
    return values


def kubeadm_networking(command: ShellCommand) -> dict[str, Any] | None:
    """`kubeadm init` flags as a ClusterConfiguration `networking` section; None for other commands.

    The service subnet is left out when the flag is not given: the check then uses kubeadm's default.
    """
    words = program(command)
    if words[:2] != ("kubeadm", "init"):
        return None
    networking: dict[str, Any] = {}
    for flag, key in (("--pod-network-cidr", "podSubnet"), ("--service-cidr", "serviceSubnet")):
        values = _flag_values(words, flag)
        if values:
            networking[key] = values[-1]
    return {"networking": networking}


def line_map(data: Any, line: int) -> LineMap:
    """A line map that puts every field of `data` on one line (a command's fields are all on its line)."""
    lines: dict[tuple[str | int, ...], int] = {(): line}

    def walk(value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                lines[(*path, k)] = line
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                lines[(*path, i)] = line
                walk(v, (*path, i))

    walk(data, ())
    return LineMap(lines=lines, start=line)
