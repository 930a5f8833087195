"""The views a Lab delegates to other parts of `labs/`: flows, graphs, explanations, widgets.

Each method imports its module when called, so a notebook that never draws a graph never loads
pyvis, and the Lab works on whatever backend it was given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from labs.course.views import FlowTable, IdentityTable, Message

if TYPE_CHECKING:
    from labs.cluster.base import Cluster
    from labs.course.grading import StepRun
    from labs.course.session import Lab
    from labs.course.spec import LabSpec, StepSpec
    from labs.course.views import MatrixResult

__all__ = ["LabExtras"]

_NO_FLOWS = ("No flows to show: nothing was probed yet in this session (run lab.matrix(...) or lab.check(...) "
             "first), or the filters match nothing, or Hubble is not reachable.")


class LabExtras:
    """Mixed into `Lab`; expects `spec`, `cluster`, `namespaces` and `_since`."""

    spec: LabSpec
    cluster: Cluster
    namespaces: tuple[str, ...]
    _since: Any
    last_step: str | None
    _matrices: dict[str, Any]
    _predictions: dict[str, dict[tuple[str, str], Any]]

    if TYPE_CHECKING:  # Lab's own methods, which these views call
        def step(self, step_id: str) -> StepSpec: ...
        def enter(self, step_id: str) -> StepRun: ...
        def cluster_for(self, step: StepSpec) -> Cluster: ...
        def matrix(self, step: str | None = None) -> MatrixResult: ...

    # ---- Hubble --------------------------------------------------------------------------------
    def flow_objects(self, *, since_last_probe: bool = True, **filters: Any) -> list[Any]:
        """Parsed flows (labs.flows.Flow) of this lab's namespaces, filtered like `hubble observe`."""
        from labs.flows import build_filter, parse_flow

        since = self._since if since_last_probe else None
        raw = self.cluster.flows(since=since)
        flows = [parse_flow(obj) for obj in raw]
        wanted = build_filter(filters)
        mine = set(self.namespaces)
        return [f for f in flows if wanted.match(f) and (f.source.namespace in mine or f.destination.namespace in mine)]

    def flows(self, *, since_last_probe: bool = True, **filters: Any) -> FlowTable:
        """The flows of the last probes as `hubble observe` prints them; keywords filter (verdict="DROPPED")."""
        from labs.flows import flow_line

        flows = self.flow_objects(since_last_probe=since_last_probe, **filters)
        return FlowTable(tuple(flow_line(f) for f in flows), _NO_FLOWS)

    def graph(self, *, since_last_probe: bool = True, **filters: Any) -> Any:
        """The flow graph (labs.viz) of the last probes: who talked to whom, and what was dropped."""
        from labs.viz import flow_graph

        flows = self.flow_objects(since_last_probe=since_last_probe, **filters)
        if not flows:
            return Message(_NO_FLOWS, ok=False, title="Nothing to draw")
        return flow_graph(flows, title=f"{self.spec.id}")

    # ---- identities and explanations ------------------------------------------------------------
    def endpoint(self, pod: str) -> Any:
        """The Cilium endpoint of pod `ns/name` and the agent to ask about it (`.id`, `.agent`), as
        `kubectl get cep` and `cilium-dbg endpoint list` show them; for `cilium-dbg endpoint config`."""
        from labs.commands.endpoint_ref import endpoint_ref

        return endpoint_ref(self.cluster, pod)

    def identities(self) -> IdentityTable:
        """Each pod of the lab, its security identity, and the labels Cilium derives it from."""
        from labs.policy.labels import pod_labels

        rows = []
        ns_labels = {ns.name: dict(ns.labels) for ns in self.cluster.namespaces()}
        for ns in self.namespaces:
            for pod in self.cluster.pods(ns):
                labels = pod_labels(pod.labels, ns, ns_labels.get(ns, {}), pod.service_account)
                identity = self.cluster.identity(pod.key)
                rows.append((pod.key, str(identity) if identity is not None else "?",
                             tuple(sorted(str(label) for label in labels))))
        return IdentityTable(tuple(rows))

    def explain(self, source: str, target: str | int | None = None, *, port: int | str | None = None,
                protocol: str = "TCP", http: tuple[str, str] | str | None = None, dns: str | None = None) -> Any:
        """Why traffic is allowed or denied, rule by rule, with the smallest fix for a denial (labs.explain).

        Either a probe: `lab.explain("frontend/client", "svc:backend/api", port=8080, http=("GET", "/"))`
        (targets as in lab.yaml: `ns/pod`, `svc:ns/name`, `fqdn:name`, `ip:addr`, `entity:world`;
        `dns="name"` alone for a lookup), or a step's probe: `lab.explain("step-id", 2)` (0-based, in
        lab.yaml order), explained in the state that step puts in force.
        """
        from labs.explain import explain
        from labs.probes import OUTSIDE_SOURCES

        if "/" not in source and source not in OUTSIDE_SOURCES:
            step = self.step(source)
            index = 0 if target is None else target
            if not isinstance(index, int) or not 0 <= index < len(step.probes):
                raise ValueError(f"lab.explain({source!r}, {target!r}): step {source!r} of lab {self.spec.id!r} has "
                                 f"{len(step.probes)} probes, numbered 0 to {len(step.probes) - 1}")
            cluster = self._in_force(step)
            return explain(cluster, step.probes[index].probe)
        if isinstance(target, int):
            raise ValueError(f"lab.explain({source!r}, {target!r}): a target is text such as 'backend/api' or "
                             "'svc:backend/api'; a number only follows a step id")
        probe = _probe_from_arguments(source, target, port, protocol, http, dns)
        return explain(self.cluster, probe)

    def explain_matrix(self, step: str | None = None, *, predicted: dict[tuple[str, str], Any] | None = None) -> Any:
        """Explain every surprising cell of a step's last matrix (run it first if there is none).

        Surprising: different from your prediction where you made one (the predict grid records it, or
        pass `predicted={(source, column): "allowed"}`), and otherwise denied.
        """
        from labs.course.explained import ExplainedCell, MatrixExplanations, empty_section_notes, surprising_cells
        from labs.explain import explain

        step_id = step or self.last_step or self.spec.steps[0].id
        spec = self.step(step_id)
        matrix = self._matrices.get(step_id)
        if matrix is None or self.last_step != step_id:
            matrix = self.matrix(step_id)
        wanted = predicted if predicted is not None else self._predictions.get(step_id)
        refused = self._refused_in(spec)
        cluster = self._in_force(spec)
        cells = tuple(ExplainedCell(check.spec.label, why, explain(cluster, check.spec.probe))
                      for check, why in surprising_cells(matrix.checks, wanted))
        notes = refused + empty_section_notes(cluster.policies(), [c.explanation for c in cells])
        return MatrixExplanations(matrix.title, cells, tuple(notes))

    def _refused_in(self, step: Any) -> list[str]:
        """The step's policies that the agent would refuse (so nothing of them is in force), one note each."""
        run = self.enter(step.id)
        found = [run.rejected] if run.rejected else []
        found += run.problems
        return [f"This step's policy is refused before it is applied (by the API server or the agent), so none "
                f"of it is in force: {text}" for text in found]

    def _in_force(self, step: Any) -> Cluster:
        """The step's cluster with the step's policies in force (entered again if another step is)."""
        if self.last_step != step.id:
            self.enter(step.id)
        return self.cluster_for(step)

    # ---- the lab's diagram and quiz ------------------------------------------------------------
    def diagram(self) -> Any:
        """The lab's "How Cilium decides here" diagram (manifests/<lab>/diagram.svg, drawn from diagram.dot)."""
        from labs.course.diagrams import diagram_view

        return diagram_view(self.spec.id)

    def quiz(self, answers: dict[str, int | str] | None = None) -> Any:
        """The lab's quiz: a widget that checks each choice on click, or the questions as text.

        `answers={"question-id": 1, ...}` grades choices given by index (0 is the first) or letter and
        returns the result instead; in solve mode (LABS_SOLVE=1) the quiz answers itself with its key.
        """
        from labs.course import trainee_files
        from labs.course.quiz import QuizText, grade_quiz, quiz_text
        from labs.course.quiz_spec import load_quiz

        quiz = load_quiz(self.spec.id)
        if answers is not None:
            return grade_quiz(quiz, answers)
        if trainee_files.solve_mode():
            return grade_quiz(quiz, quiz.answer_key)
        try:
            from labs.widgets.quiz import QuizWidget
        except ImportError:
            return QuizText(quiz)
        return QuizWidget(quiz, quiz_text(quiz))

    def doctor(self) -> Any:
        """The doctor's checks of this machine and cluster (labs.doctor), each with its fix."""
        try:
            from labs.doctor import doctor
        except ImportError:
            return Message("This version has no doctor; `python -m labs backend` says which backend is used.",
                           ok=False, title="Doctor")
        return doctor()

    def info(self) -> Any:
        """The cluster tour: backend and why, Cilium version and mode, nodes, Hubble."""
        info = self.cluster.info()
        lines = [f"backend: {info.backend} ({info.reason})",
                 f"cilium: {info.cilium_version or 'unknown'}; policy enforcement: {info.policy_enforcement}; "
                 f"kube-proxy replacement: {info.kube_proxy_replacement or 'unknown'}; "
                 f"L7 proxy: {'on' if info.l7_proxy else 'off'}",
                 f"hubble: {info.hubble or 'unknown'}", "nodes:"]
        lines += [f"  {n.name:<20} {n.internal_ip:<16} {'Ready' if n.ready else 'NotReady'} {','.join(n.roles)}"
                  for n in info.nodes]
        return Message("\n".join(lines), title="Your cluster")

    # ---- widgets -------------------------------------------------------------------------------
    def show(self, step_id: str) -> Any:
        """The YAML of the policies a step puts in force, to read (and predict from) before applying it.

        Nothing is applied: `lab.matrix(step)` does that.
        """
        from labs.course.views import PolicyFiles
        from labs.course.workshop_mode import course_text

        step = self.step(step_id)
        base = self.spec.source.rsplit("/", 1)[0]
        files = tuple((f"{base}/{rel}", _without_header(course_text(self.spec.path(rel))))
                      for rel in step.policies)
        note = ("Nothing is applied yet: predict, then lab.matrix() applies it and runs the probes."
                if step.kind != "exercise" else "Your answer is added to these when the step is checked.")
        return PolicyFiles(step_id, files, note)

    def editor(self, step_id: str) -> Any:
        """The policy editor for an exercise: Validate, Apply, Check (and lint) on your file."""
        from labs.course.widgets_glue import policy_editor

        return policy_editor(cast("Lab", self), step_id)  # LabExtras is only ever mixed into Lab

    def predict(self, step_id: str) -> Any:
        """The predict-the-matrix grid for a step: fill it in, then Check against what is observed."""
        from labs.course.widgets_glue import predict_grid

        return predict_grid(cast("Lab", self), step_id)  # as above


def _probe_from_arguments(source: str, target: str | None, port: int | str | None, protocol: str,
                          http: tuple[str, str] | str | None, dns: str | None) -> Any:
    """A Probe from lab.explain's arguments, checked like a lab.yaml probe (same messages)."""
    from labs.course.probe_spec import parse_probe

    raw: dict[str, Any] = {"from": source, "protocol": protocol, "expect": "allowed"}
    if target is not None:
        raw["to"] = target
    if port is not None:
        raw["port"] = port
    if dns is not None:
        raw["dns"] = dns
    if http is not None:
        method, _, path = http.partition(" ") if isinstance(http, str) else (http[0], "", http[1])
        raw["http"] = {"method": method, "path": path or "/"}
    try:
        return parse_probe(raw).probe
    except ValueError as exc:
        raise ValueError(f"lab.explain({source!r}, {target!r}): {exc}") from None


def _without_header(text: str) -> str:
    """YAML without its leading comment block (the lab's notes on a pitfall would give the answer away)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")), 0)
    return "".join(lines[start:])
