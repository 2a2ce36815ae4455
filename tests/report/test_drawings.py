"""The SVG drawings behind the run report and `show --format svg`: layout and lanes."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from sfn_compiler.graph.builder import build_graph
from sfn_compiler.loader import load_flow
from sfnflow.report.graph_svg import graph_svg, layers
from sfnflow.report.timeline_svg import MAX_LANES, Bar, pack_lanes, timeline_svg

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SVG = "{http://www.w3.org/2000/svg}"


def graph_of(name: str):
    return build_graph(load_flow(str(EXAMPLES / name)))


def test_branches_sit_side_by_side_between_split_and_join() -> None:
    assert layers(graph_of("branch.py")) == [["start"], ["a", "b"], ["join"], ["end"]]


def test_foreach_body_is_one_layer_below_its_foreach() -> None:
    assert layers(graph_of("foreach.py")) == [["start"], ["double"], ["join"], ["end"]]


def test_graph_svg_is_well_formed_with_a_box_per_step_and_a_path_per_edge() -> None:
    graph = graph_of("nested_foreach.py")
    root = ET.fromstring(graph_svg(graph, {"start": "lambda"}, {"start": "FAILED"}))
    steps = root.findall(f"{SVG}g")
    assert sorted(g.get("data-step") for g in steps) == sorted(n.name for n in graph.steps)
    assert len(root.findall(f"{SVG}path")) == sum(len(n.out_edges) for n in graph.steps)
    failed = next(g for g in steps if g.get("data-step") == "start").find(f"{SVG}rect")
    assert failed.get("stroke") == "#c62828"


def test_overlapping_tasks_get_separate_lanes_and_wide_fanouts_share_a_bounded_number() -> None:
    bars = [Bar("s", str(i), 0, float(i), i + 1.5, "SUCCEEDED", "local") for i in range(4)]
    assert pack_lanes(bars, 10.0) == [0, 1, 0, 1]
    wide = [Bar("s", str(i), 0, 0.0, 1.0, "SUCCEEDED", "local") for i in range(1000)]
    assert max(pack_lanes(wide, 1.0)) == MAX_LANES - 1
    root = ET.fromstring(timeline_svg(wide, ["s"], 0.0, 1.0))
    assert len(root.findall(f"{SVG}rect")) == 1000 + 1  # the bars and the band


def test_show_draws_the_flow_as_svg_html_and_png(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sfnflow.cli import main

    runner = CliRunner()
    svg = runner.invoke(main, ["show", str(EXAMPLES / "branch.py"), "--format", "svg"])
    assert svg.exit_code == 0 and ET.fromstring(svg.output).tag == f"{SVG}svg"
    html = runner.invoke(main, ["show", str(EXAMPLES / "branch.py"), "--format", "html", "-o", str(tmp_path / "f.html")])
    assert html.exit_code == 0 and "<svg" in (tmp_path / "f.html").read_text()
    no_file = runner.invoke(main, ["show", str(EXAMPLES / "branch.py"), "--format", "png"])
    assert no_file.exit_code != 0 and "add -o flow.png" in no_file.output
    png = runner.invoke(main, ["show", str(EXAMPLES / "branch.py"), "--format", "png", "-o", str(tmp_path / "f.png")])
    assert png.exit_code == 0, png.output
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
