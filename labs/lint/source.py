"""Read lint input: files or texts, every YAML document with the line of every field.

Lint reads the YAML itself (with `labs.manifests.yaml_lines`) before the manifest loader does, for
two reasons: Helm values files are not manifests and must not reach the loader, and checks on
documents the loader rejects (a Service with `nodePort: 4245`, `protocol: ICMP`) still need the raw
data to explain the fix. `loader_text` is the text handed to the loader: the same lines, with Helm
values documents replaced by comments so line numbers and document indexes stay the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal

from labs.manifests.errors import Problem
from labs.manifests.yaml_lines import FieldPath, LineMap, YamlSyntaxError, parse_documents

__all__ = ["RawDoc", "SourceFile", "read_source", "read_sources", "parse_path", "HELM_VALUES_KEYS",
           "LintInputError"]

DocKind = Literal["manifest", "helm-values", "kubeadm", "shell"]
"""`manifest` goes to the manifest loader; `helm-values` (a Cilium values file, or the `--set` values of
an install command), `kubeadm` (a kubeadm config document, or `kubeadm init` flags) and `shell` (one
command of an install script, `labs.lint.shell`) are read by the checks only."""

HELM_VALUES_KEYS = frozenset({
    "kubeProxyReplacement", "k8sServiceHost", "k8sServicePort", "hubble", "ipam", "operator", "l7Proxy",
    "routingMode", "tunnelProtocol", "policyEnforcementMode", "envoy", "rollOutCiliumPods", "bpf",
    "cluster", "clustermesh", "encryption", "gatewayAPI", "ingressController", "loadBalancer", "k8s",
    "socketLB", "nodePort", "hostPort", "bandwidthManager", "debug", "image", "prometheus",
})
"""Top-level keys of the Cilium chart's values.yaml that mark a document as Helm values."""


class LintInputError(ValueError):
    """The input cannot be read at all (missing file, not YAML); `problems` says where."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class RawDoc:
    """One document as written: data, where it is, the line of each field, and what it looks like."""

    file: str
    index: int
    data: Any
    lines: LineMap
    kind: DocKind

    def line(self, path: FieldPath | str) -> int:
        return self.lines.line(parse_path(path) if isinstance(path, str) else path)

    def get(self, *keys: str | int, default: Any = None) -> Any:
        value = self.data
        for key in keys:
            in_list = isinstance(key, int) and isinstance(value, list) and -len(value) <= key < len(value)
            in_dict = isinstance(key, str) and isinstance(value, dict) and key in value
            if not (in_list or in_dict):
                return default
            value = value[key]
        return value


@dataclass
class SourceFile:
    """One input (file or text) and the documents it holds."""

    name: str
    text: str
    docs: list[RawDoc] = field(default_factory=list)
    loader_text: str = ""

    @property
    def has_manifests(self) -> bool:
        return any(d.kind == "manifest" for d in self.docs)


def _classify(data: Any) -> DocKind:
    if isinstance(data, dict) and str(data.get("apiVersion", "")).startswith("kubeadm.k8s.io/"):
        return "kubeadm"
    if isinstance(data, dict) and "apiVersion" not in data and "kind" not in data \
            and any(isinstance(k, str) and k in HELM_VALUES_KEYS for k in data):
        return "helm-values"
    return "manifest"


_DOC_START = re.compile(r"^---(\s|$)")


def _blank_documents(text: str, docs: list[RawDoc]) -> str:
    """The text with every Helm values and kubeadm document turned into comment lines (same line count)."""
    values_starts = {d.lines.start for d in docs if d.kind in ("helm-values", "kubeadm")}
    if not values_starts:
        return text
    lines = text.splitlines(keepends=True)
    blanking = False
    out = []
    for number, line in enumerate(lines, start=1):
        if _DOC_START.match(line):
            blanking = False
        if number in values_starts:
            blanking = True
        out.append(("#" + "\n") if blanking and not _DOC_START.match(line) else line)
    return "".join(out)


def _shell_source(text: str, name: str) -> SourceFile:
    """An install script: one `shell` document per command, plus the values and flags it sets."""
    from labs.lint.shell import helm_set_values, kubeadm_networking, line_map, parse_commands

    source = SourceFile(name=name, text=text, loader_text="")
    for command in parse_commands(text):
        docs: list[tuple[Any, DocKind]] = [(command.data(), "shell")]
        values = helm_set_values(command)
        if values:
            docs.append((values, "helm-values"))
        networking = kubeadm_networking(command)
        if networking:
            docs.append((networking, "kubeadm"))
        for data, kind in docs:
            source.docs.append(RawDoc(name, len(source.docs), data, line_map(data, command.line), kind))
    return source


def read_source(text: str, name: str) -> SourceFile:
    """Parse one text named `name`; raises LintInputError when it is not YAML (nor a shell script)."""
    from labs.lint.shell import is_shell_source

    if is_shell_source(name, text):
        return _shell_source(text, name)
    try:
        parsed = parse_documents(text)
    except YamlSyntaxError as exc:
        raise LintInputError([Problem(exc.message, file=name, document=exc.document, line=exc.line)]) from None
    source = SourceFile(name=name, text=text)
    source.docs = [RawDoc(name, d.index, d.data, d.lines, _classify(d.data)) for d in parsed]
    source.loader_text = _blank_documents(text, source.docs)
    return source


def read_sources(sources: Iterable[str | Path]) -> tuple[list[SourceFile], list[Problem]]:
    """Read paths and/or YAML texts (same rule as `labs.manifests.load_sources`).

    Returns the sources that could be read and the problems of those that could not (missing file,
    not UTF-8, not YAML), so one broken file does not hide the findings in the others.
    """
    files: list[SourceFile] = []
    problems: list[Problem] = []
    from labs.manifests.errors import ManifestError
    from labs.manifests.load import is_yaml_text
    from labs.manifests.load import read_source as read_manifest_source

    for item in sources:
        if not (isinstance(item, str) and is_yaml_text(item)) and not Path(item).exists():
            problems.append(Problem("The file cannot be read (No such file or directory); "
                                    "check the path and its permissions.", file=str(item)))
            continue
        try:  # the loader's reading: bounded, and a name such as kind-policy.yaml is a file
            name, text = read_manifest_source(item)
        except ManifestError as exc:
            problems.extend(exc.problems)
            continue
        try:
            files.append(read_source(text, name))
        except LintInputError as exc:
            problems.extend(exc.problems)
    return files, problems


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> FieldPath:
    """`spec.ingress[0].toPorts` -> `("spec", "ingress", 0, "toPorts")` (keys must not contain dots)."""
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall(path):
        parts.append(int(index) if index else name)
    return tuple(parts)
