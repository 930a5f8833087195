from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labs.flows import aggregate, build_filter, parse_lines
from labs.outcomes import DENY_RULE_COLOR
from labs.viz import flow_graph
from labs.viz.offline import EXTERNAL_REFERENCE, strip_external

SAMPLE = Path(__file__).parents[1] / "flows" / "data" / "sample.jsonl"


@pytest.fixture(scope="module")
def flows():
    return parse_lines(SAMPLE.read_text().splitlines()).flows


@pytest.fixture(scope="module")
def graph(flows):
    return flow_graph(flows, title="Lab 4 <after>")


def _data(page: str, name: str) -> list[dict]:
    match = re.search(rf"{name} = new vis\.DataSet\((.*?)\);\n", page)
    assert match, f"no {name} DataSet in the page"
    return json.loads(match.group(1))


def test_page_is_offline_and_deterministic(graph, flows):
    page = graph.html
    assert EXTERNAL_REFERENCE.search(page) is None
    assert "bootstrap" not in page.lower()
    assert "vis-network" in page and "<h1></h1>" not in page
    assert '"randomSeed": 42' in page
    assert flow_graph(flows, title="Lab 4 <after>").html == page


def test_nodes_are_grouped_by_namespace_with_distinct_kinds(graph):
    nodes = {n["id"]: n for n in _data(graph.html, "nodes")}
    assert sorted(nodes) == ["backend/api", "backend/db", "fqdn:api.github.com", "fqdn:example.com",
                             "frontend/client", "host", "kube-system/coredns", "world:1.1.1.1"]
    shapes = {i: n["shape"] for i, n in nodes.items()}
    assert shapes["backend/api"] == "dot" and shapes["kube-system/coredns"] == "diamond"
    assert shapes["fqdn:api.github.com"] == "box" and shapes["world:1.1.1.1"] == "triangle"
    assert shapes["host"] == "square"
    assert nodes["backend/api"]["color"] == nodes["backend/db"]["color"] != nodes["frontend/client"]["color"]


def test_edges_are_coloured_by_outcome_and_name_the_policy(graph):
    edges = {(e["from"], e["to"], e["label"]): e for e in _data(graph.html, "edges")}
    allowed = edges[("frontend/client", "backend/api", "8080/TCP ×2")]
    assert allowed["color"]["color"] == "#2e7d32" and allowed["dashes"] is False
    assert "decided by CiliumNetworkPolicy backend/api-allow-client" in allowed["title"]
    default_deny = edges[("frontend/client", "backend/db", "5432/TCP ×2")]
    assert default_deny["dashes"] is True and "no rule allows it (default deny)" in default_deny["title"]
    deny_rule = edges[("backend/api", "backend/db", "5432/TCP ×1")]
    assert deny_rule["color"]["color"] == DENY_RULE_COLOR
    assert "decided by CiliumNetworkPolicy backend/db-deny-api" in deny_rule["title"]
    assert ("frontend/client", "backend/api", "DELETE /api/v1/products/7 ×1") in edges
    assert ("frontend/client", "kube-system/coredns", "DNS evil.example.com ×1") in edges


def test_title_and_labels_are_escaped(graph):
    assert "Lab 4 &lt;after&gt;" in graph.html
    assert "<after>" not in graph.html


def test_notebook_output_is_a_srcdoc_iframe(graph):
    shown = graph._repr_html_()
    assert shown.startswith('<div class="labs-flow-graph"><iframe srcdoc="')
    assert "<script" not in shown.split('srcdoc="', 1)[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"flows_or_edges": []}, "No flows in this window: nothing was observed yet. Run a probe, or widen the "
                                 "time window."),
        ({"flows_or_edges": None, "reason": "Hubble is unreachable: connection refused on 127.0.0.1:4245."},
         "Hubble is unreachable: connection refused on 127.0.0.1:4245."),
        ({"filters": build_filter(namespace="nowhere")},
         "No flow matches the filter (namespace nowhere); 14 flows were read. Loosen the filter to see them."),
    ],
    ids=["no-flows", "hubble-unreachable", "filtered-out"],
)
def test_nothing_to_draw_says_why_instead_of_an_empty_frame(flows, kwargs, message):
    kwargs.setdefault("flows_or_edges", flows)
    graph = flow_graph(title="Flows", **kwargs)
    assert graph.is_empty and graph.reason == message
    shown = graph._repr_html_()
    assert "iframe" not in shown and message.replace("'", "&#x27;") in shown
    assert str(graph) == f"Flows: {message}"


def test_filters_and_edges_are_accepted(flows):
    dropped = flow_graph(flows, filters=build_filter(verdict="DROPPED"))
    assert {e.outcome.value for e in dropped.edges} == {"dropped: default deny", "dropped: deny rule", "l7-denied",
                                                        "refused"}
    assert flow_graph(aggregate(flows)).edges == aggregate(flows)
    raw = [json.loads(line) for line in SAMPLE.read_text().splitlines()[:3]]
    assert len(flow_graph(raw).edges) == 1


def test_before_and_after_shows_what_changed(flows):
    before = [f for f in flows if f.destination.pod_name != "db-0"] + [
        f for f in parse_lines([SAMPLE.read_text().splitlines()[0].replace("api-5f7b8c9d6b-m4n7q", "db-0")
                                .replace('"app=api"', '"app=db"')]).flows]
    graph = flow_graph(flows, before=before)
    described = [c.describe() for c in graph.changes]
    assert "frontend/client -> backend/db 5432/TCP: not seen -> dropped: default deny" in described
    assert "backend/api -> backend/db 5432/TCP: not seen -> dropped: deny rule" in described
    page = graph.html
    assert "change(s):" in page
    labels = [e["label"] for e in _data(page, "edges")]
    assert "new: 5432/TCP ×1" in labels


def test_strip_external_refuses_pages_that_would_fetch():
    with pytest.raises(ValueError, match="references an external resource"):
        strip_external('<html><script src="https://cdn.example.com/x.js"></script></html>')
