"""What every check sees: the raw documents, the loaded policies and pods, and the lab's probes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from labs.lint.finding import Finding
from labs.lint.registry import REGISTRY
from labs.lint.source import RawDoc, SourceFile
from labs.manifests.yaml_lines import FieldPath, format_path
from labs.policy.model import SECTIONS, CiliumPolicy, KubeNetworkPolicy, PeerRule, Rule, Section

__all__ = ["LintContext", "probe_fqdns", "probe_http_paths"]


@dataclass
class LintContext:
    """Input of one lint run. `policies` is empty when the manifest loader rejected the input."""

    files: list[SourceFile] = field(default_factory=list)
    policies: list[Any] = field(default_factory=list)
    pods: list[Any] = field(default_factory=list)
    probes: list[dict[str, Any]] = field(default_factory=list)

    # ---- documents -------------------------------------------------------------------------------
    def documents(self, kind: str | None = None) -> Iterator[RawDoc]:
        """Raw documents; `kind` is "manifest" or "helm-values"."""
        for source in self.files:
            for doc in source.docs:
                if kind is None or doc.kind == kind:
                    yield doc

    def manifests_of_kind(self, *kinds: str) -> Iterator[RawDoc]:
        for doc in self.documents("manifest"):
            if isinstance(doc.data, dict) and doc.data.get("kind") in kinds:
                yield doc

    def doc_of(self, policy: Any) -> RawDoc | None:
        """The raw document a loaded policy came from: same file, kind and name (index breaks ties).

        Matching by name rather than by index alone keeps lines right when Helm values documents were
        blanked out before loading (a comment-only first document is no document to the loader).
        """
        source = getattr(policy, "source", None)
        if source is None:
            return None
        candidates = [doc for doc in self.documents("manifest") if doc.file == source.file
                      and isinstance(doc.data, dict) and doc.data.get("kind") == policy.kind
                      and (doc.get("metadata", "name") == policy.name)]
        for doc in candidates:
            if doc.index == source.document:
                return doc
        return candidates[0] if candidates else None

    # ---- policies --------------------------------------------------------------------------------
    @property
    def cilium_policies(self) -> list[CiliumPolicy]:
        return [p for p in self.policies if isinstance(p, CiliumPolicy)]

    @property
    def network_policies(self) -> list[KubeNetworkPolicy]:
        return [p for p in self.policies if isinstance(p, KubeNetworkPolicy)]

    def rules(self) -> Iterator[tuple[CiliumPolicy, Rule]]:
        for policy in self.cilium_policies:
            for rule in policy.rules:
                yield policy, rule

    def peer_rules(self, *sections: Section) -> Iterator[tuple[CiliumPolicy, Rule, PeerRule]]:
        """Every item of the named sections (all four when none is named)."""
        wanted = sections or SECTIONS
        for policy, rule in self.rules():
            for section in wanted:
                for peer in rule.section(section) or ():
                    yield policy, rule, peer

    # ---- findings --------------------------------------------------------------------------------
    def finding(self, code: str, message: str, *, doc: RawDoc | None = None, policy: Any = None,
                path: FieldPath | str = "", fix: str = "") -> Finding:
        """A finding of a registered check, located by document (or policy) and field path."""
        if doc is None and policy is not None:
            doc = self.doc_of(policy)
        path_text = format_path(path) if isinstance(path, tuple) else path
        line = doc.line(path) if doc is not None else None
        source = getattr(policy, "source", None)
        file = doc.file if doc is not None else getattr(source, "file", None)
        document = doc.index if doc is not None else getattr(source, "document", None)
        if line is None and source is not None:
            line = source.line
        return Finding(code=code, severity=REGISTRY[code].severity, message=message, file=file, line=line,
                       path=path_text, fix=fix.rstrip("\n"), document=document)


def probe_fqdns(probes: Iterable[dict[str, Any]]) -> set[str]:
    """Names the probes reach (`to: fqdn:NAME`) or look up (`dns: NAME`), lower case, no trailing dot."""
    names: set[str] = set()
    for probe in probes:
        target = str(probe.get("to") or "")
        if target.startswith("fqdn:"):
            names.add(target[5:].strip().lower().rstrip("."))
        if probe.get("dns"):
            names.add(str(probe["dns"]).strip().lower().rstrip("."))
    return names


def probe_http_paths(probes: Iterable[dict[str, Any]]) -> set[str]:
    paths: set[str] = set()
    for probe in probes:
        http = probe.get("http")
        if isinstance(http, dict) and http.get("path"):
            paths.add(str(http["path"]))
    return paths
