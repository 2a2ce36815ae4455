"""`sfnflow report`: one self-contained HTML page per run (graph, timeline, artifacts, logs),
and the flow drawings behind `sfnflow show --format svg|html|png`."""
from __future__ import annotations

from .collect import RunReport, collect
from .graph_svg import graph_svg
from .page import render

__all__ = ["RunReport", "collect", "graph_svg", "render"]
