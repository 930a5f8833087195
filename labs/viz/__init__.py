"""Pictures of flows and verdicts: a pyvis flow graph, a matplotlib matrix and a verdict timeline.

Everything renders offline: the graph inlines its JavaScript, the plots are PNG images.
"""

from __future__ import annotations

from labs.viz.graph import EdgeChange, FlowGraph, flow_graph
from labs.viz.matrix import MatrixRow, matrix_plot
from labs.viz.timeline import verdict_timeline

__all__ = ["EdgeChange", "FlowGraph", "MatrixRow", "flow_graph", "matrix_plot", "verdict_timeline"]
