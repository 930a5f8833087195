"""Scenario files: what to set up, what to try and what should happen (DESIGN.md "Scenario format").

The same format describes a lab step's expectations (`lab.yaml`) and a test case. Parsing is strict:
unknown keys and wrong types are problems naming the file, line and field, and nothing runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labs.manifests.errors import ManifestError, Problem, shown
from labs.manifests.objects import ContainerPort, Namespace, Pod, Service, ServicePort, SourceRef, frozen_map
from labs.manifests.yaml_lines import LineMap, YamlSyntaxError, format_path, parse_documents
from labs.outcomes import Outcome
from labs.probe_entry import SCENARIO_RULES, read_probe_entry
from labs.probes import Probe

__all__ = ["Expectation", "Scenario", "load_scenario", "parse_probe_spec", "scenario_from_data"]

TOP_KEYS = {"name", "description", "source", "notes", "cluster", "manifests", "policies", "probes", "enforcement"}


@dataclass(frozen=True)
class Expectation:
    """A probe and the outcome it should have, with where it was written."""

    probe: Probe
    expect: Outcome | None
    line: int | None = None
    note: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Scenario:
    name: str
    file: str
    description: str = ""
    source: str = ""
    notes: str = ""
    enforcement: str = "default"
    namespaces: list[Namespace] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    external: dict[str, str] = field(default_factory=dict)
    manifests: list[Path] = field(default_factory=list)
    policies: str = ""
    policies_line: int = 1
    expectations: list[Expectation] = field(default_factory=list)

    @property
    def has_cluster_section(self) -> bool:
        return bool(self.namespaces or self.pods or self.services)


class _Reader:
    """Collects problems while reading one document; every message names file, line and field."""

    def __init__(self, file: str, lines: LineMap, document: int = 0):
        self.file, self.lines, self.document = file, lines, document
        self.problems: list[Problem] = []

    def problem(self, path: tuple, message: str) -> None:
        self.problems.append(Problem(message, self.file, self.document, self.lines.line(path), format_path(path)))

    def mapping(self, value: Any, path: tuple, allowed: set[str] | None = None) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping, found {type(value).__name__} {shown(value)}")
            return {}
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.problem((*path, key), f"unknown key {key!r}; expected one of: {', '.join(sorted(allowed))}")
        return value

    def sequence(self, value: Any, path: tuple) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"expected a list, found {type(value).__name__} {shown(value)}")
            return []
        return value

    def string(self, value: Any, path: tuple, required: bool = False) -> str:
        if value is None:
            if required:
                self.problem(path, "is required")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.problem(path, f"expected text, found {type(value).__name__} {shown(value)}")
            return ""
        return str(value)

    def labels(self, value: Any, path: tuple) -> dict[str, str]:
        return {str(k): self.string(v, (*path, k)) for k, v in self.mapping(value, path).items()}


def parse_probe_spec(data: Any, reader: _Reader, path: tuple) -> Expectation | None:
    """One probe entry of a scenario (`labs.probe_entry`, the one reader of the probe format)."""
    entry, problems = read_probe_entry(data, SCENARIO_RULES)
    for p in problems:
        reader.problem((*path, *p.path), p.message)
    if entry is None:
        return None
    return Expectation(entry.probe, entry.expect[0] if entry.expect else None, reader.lines.line(path), entry.note,
                       dict(data))


def load_scenario(path: str | Path) -> Scenario:
    """Read and check one scenario file; raise ManifestError listing every problem."""
    from labs.manifests.load import read_source

    file, text = read_source(Path(path))  # bounded read; unreadable, binary or huge files are a ManifestError
    try:
        docs = parse_documents(text)
    except YamlSyntaxError as exc:
        raise ManifestError([Problem(f"not valid YAML: {exc.message}", file, exc.document, exc.line)]) from None
    if len(docs) != 1:
        raise ManifestError([Problem(f"a scenario file holds exactly one YAML document, found {len(docs)}", file)])
    return scenario_from_data(docs[0].data, file, docs[0].lines, base=Path(path).parent)


def scenario_from_data(data: Any, file: str, lines: LineMap, *, base: Path | None = None) -> Scenario:
    r = _Reader(file, lines)
    top = r.mapping(data, (), TOP_KEYS)
    sc = Scenario(name=r.string(top.get("name"), ("name",), required=True), file=file,
                  description=r.string(top.get("description"), ("description",)),
                  source=r.string(top.get("source"), ("source",)), notes=r.string(top.get("notes"), ("notes",)))
    sc.enforcement = r.string(top.get("enforcement", "default"), ("enforcement",))
    if sc.enforcement not in ("default", "always", "never"):
        r.problem(("enforcement",), f"{sc.enforcement!r} is not an enforcement mode; use default, always or never")
    _read_cluster(r, top.get("cluster"), sc)
    for i, m in enumerate(r.sequence(top.get("manifests"), ("manifests",))):
        p = Path(r.string(m, ("manifests", i)))
        candidates = [p] if p.is_absolute() else [Path.cwd() / p] + ([base / p] if base else [])
        from labs.paths import repo_root

        candidates.append(repo_root() / p)
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            r.problem(("manifests", i), f"file {str(p)!r} not found (looked relative to the current folder, the "
                      "scenario file and the repository)")
        else:
            sc.manifests.append(found)
    sc.policies = r.string(top.get("policies"), ("policies",))
    sc.policies_line = lines.line(("policies",)) + (1 if "\n" in sc.policies else 0)
    probes = r.sequence(top.get("probes"), ("probes",))
    for i, item in enumerate(probes):
        exp = parse_probe_spec(item, r, ("probes", i))
        if exp is not None:
            sc.expectations.append(exp)
    if r.problems:
        raise ManifestError(r.problems)
    return sc


def _traffic_policy(r: _Reader, spec: dict[str, Any], path: tuple) -> str:
    value = spec.get("externalTrafficPolicy", "Cluster")
    if value not in ("Cluster", "Local"):
        r.problem((*path, "externalTrafficPolicy"), f"expected Cluster or Local, got {value!r}")
        return "Cluster"
    return str(value)


def _read_cluster(r: _Reader, value: Any, sc: Scenario) -> None:
    cluster = r.mapping(value, ("cluster",), {"namespaces", "pods", "services", "external"})
    ns_map = r.mapping(cluster.get("namespaces"), ("cluster", "namespaces"))
    for name, spec in ns_map.items():
        spec = r.mapping(spec, ("cluster", "namespaces", name), {"labels"})
        labels = r.labels(spec.get("labels"), ("cluster", "namespaces", name, "labels"))
        labels.setdefault("kubernetes.io/metadata.name", str(name))
        sc.namespaces.append(Namespace(str(name), frozen_map(labels), SourceRef(r.file, 0)))
    declared = {ns.name for ns in sc.namespaces}
    for i, spec in enumerate(r.sequence(cluster.get("pods"), ("cluster", "pods"))):
        path = ("cluster", "pods", i)
        spec = r.mapping(spec, path, {"name", "namespace", "labels", "ports", "node", "serviceAccount",
                                      "hostNetwork"})
        ports = []
        for j, p in enumerate(r.sequence(spec.get("ports"), (*path, "ports"))):
            p = r.mapping(p, (*path, "ports", j), {"name", "containerPort", "protocol"})
            if not isinstance(p.get("containerPort"), int):
                r.problem((*path, "ports", j, "containerPort"), "expected a port number")
                continue
            ports.append(ContainerPort(p["containerPort"], p.get("name"), str(p.get("protocol", "TCP")).upper()))
        if spec.get("node") is not None and not isinstance(spec["node"], str):
            r.problem((*path, "node"), f"expected a node name, found {shown(spec['node'])}")
            spec = {**spec, "node": None}
        ns = r.string(spec.get("namespace", "default"), (*path, "namespace"))
        if ns not in declared and ns not in ("default", "kube-system"):
            sc.namespaces.append(Namespace(ns, frozen_map({"kubernetes.io/metadata.name": ns})))
            declared.add(ns)
        sc.pods.append(Pod(r.string(spec.get("name"), (*path, "name"), required=True), ns,
                           frozen_map(r.labels(spec.get("labels"), (*path, "labels"))), tuple(ports),
                           node=spec.get("node"), service_account=str(spec.get("serviceAccount", "default")),
                           host_network=bool(spec.get("hostNetwork", False)),
                           source=SourceRef(r.file, 0, r.lines.line(path))))
    for i, spec in enumerate(r.sequence(cluster.get("services"), ("cluster", "services"))):
        path = ("cluster", "services", i)
        spec = r.mapping(spec, path, {"name", "namespace", "selector", "ports", "labels", "type",
                                      "externalTrafficPolicy"})
        svc_ports = []
        for j, p in enumerate(r.sequence(spec.get("ports"), (*path, "ports"))):
            p = r.mapping(p, (*path, "ports", j), {"name", "port", "targetPort", "protocol", "nodePort"})
            if not isinstance(p.get("port"), int):
                r.problem((*path, "ports", j, "port"), "expected a port number")
                continue
            svc_ports.append(ServicePort(p["port"], p.get("targetPort", p["port"]),
                                         str(p.get("protocol", "TCP")).upper(), p.get("name"), p.get("nodePort")))
        selector = spec.get("selector")
        sc.services.append(Service(r.string(spec.get("name"), (*path, "name"), required=True),
                                   r.string(spec.get("namespace", "default"), (*path, "namespace")), tuple(svc_ports),
                                   frozen_map(r.labels(selector, (*path, "selector"))) if selector is not None
                                   else None, str(spec.get("type", "ClusterIP")),
                                   labels=frozen_map(r.labels(spec.get("labels"), (*path, "labels"))),
                                   external_traffic_policy=_traffic_policy(r, spec, path)))
    for i, spec in enumerate(r.sequence(cluster.get("external"), ("cluster", "external"))):
        spec = r.mapping(spec, ("cluster", "external", i), {"fqdn", "ip"})
        name = r.string(spec.get("fqdn"), ("cluster", "external", i, "fqdn"), required=True)
        ip = r.string(spec.get("ip"), ("cluster", "external", i, "ip"), required=True)
        if name and ip:
            sc.external[name] = ip
