"""The flow drawn as SVG from the graph IR: one box per step, layered top to bottom.

Used by `sfnflow show --format svg|html|png` and by the run report (which colours each
box by how its tasks ended). No dependency: the layout is a longest-path layering, which
reads well for the shapes flows have (chains, fans, diamonds, nested ones).
"""
from __future__ import annotations

from html import escape
from typing import Mapping

from sfn_compiler.graph.model import FlowGraph

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 196, 46, 28, 56, 20
STATUS_COLOURS = {"SUCCEEDED": "#2e7d32", "FAILED": "#c62828", "RUNNING": "#1565c0",
                  "CAUGHT": "#ef6c00", "REUSED": "#6a1b9a", "NOT RUN": "#9e9e9e"}


def layers(graph: FlowGraph) -> list[list[str]]:
    """Steps grouped by their longest distance from the start; edges back up a loop are ignored."""
    order = {node.name: i for i, node in enumerate(graph.steps)}
    edges = {node.name: node.out_edges for node in graph.steps}
    depth: dict[str, int] = {}
    on_path: set[str] = set()

    def visit(name: str, level: int) -> None:
        if name in on_path or depth.get(name, -1) >= level:
            return
        depth[name] = level
        on_path.add(name)
        for target in edges.get(name, ()):
            visit(target, level + 1)
        on_path.discard(name)

    if graph.steps:
        visit(graph.steps[0].name if "start" not in order else "start", 0)
    for node in graph.steps:  # anything unreachable still gets drawn
        depth.setdefault(node.name, max(depth.values(), default=-1) + 1)
    grouped: dict[int, list[str]] = {}
    for name, level in depth.items():
        grouped.setdefault(level, []).append(name)
    return [sorted(grouped[level], key=order.get) for level in sorted(grouped)]


def graph_svg(graph: FlowGraph, compute: Mapping[str, str] | None = None,
              status: Mapping[str, str] | None = None, counts: Mapping[str, str] | None = None) -> str:
    """SVG markup of the flow. `status` colours a step's box; `counts` adds a line such as '12/12 ok'."""
    compute, status, counts = compute or {}, status or {}, counts or {}
    rows = layers(graph)
    width = max(len(r) for r in rows) * (BOX_W + GAP_X) - GAP_X + 2 * MARGIN if rows else 2 * MARGIN
    height = len(rows) * (BOX_H + GAP_Y) - GAP_Y + 2 * MARGIN if rows else 2 * MARGIN
    where: dict[str, tuple[float, float]] = {}
    for level, names in enumerate(rows):
        row_w = len(names) * (BOX_W + GAP_X) - GAP_X
        x0 = (width - row_w) / 2
        for i, name in enumerate(names):
            where[name] = (x0 + i * (BOX_W + GAP_X), MARGIN + level * (BOX_H + GAP_Y))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-graph" width="{width:.0f}" '
           f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
           f'aria-label="{escape(graph.name)} graph">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>'
           '</marker></defs>']
    for node in graph.steps:
        for target in node.out_edges:
            out.append(_edge(where[node.name], where[target], node.foreach_var))
    for node in graph.steps:
        out.append(_box(node.name, where[node.name], compute.get(node.name, ""),
                        status.get(node.name), counts.get(node.name, "")))
    out.append("</svg>")
    return "\n".join(out)


def _edge(src: tuple[float, float], dst: tuple[float, float], foreach: str | None) -> str:
    x1, y1 = src[0] + BOX_W / 2, src[1] + BOX_H
    x2, y2 = dst[0] + BOX_W / 2, dst[1]
    if y2 <= y1:  # a loop back up: go round the right-hand side
        right = max(src[0], dst[0]) + BOX_W + GAP_X / 2
        path = (f"M{src[0] + BOX_W:.0f},{src[1] + BOX_H / 2:.0f} H{right:.0f} "
                f"V{dst[1] + BOX_H / 2:.0f} H{dst[0] + BOX_W:.0f}")
    else:
        mid = (y1 + y2) / 2
        path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2:.0f}"
    dash = ' stroke-dasharray="5,3"' if foreach else ""
    label = (f'<text x="{(x1 + x2) / 2 + 4:.0f}" y="{(y1 + y2) / 2:.0f}" class="edge-label">'
             f'foreach {escape(foreach)}</text>') if foreach else ""
    return (f'<path d="{path}" fill="none" stroke="#555" stroke-width="1.4"{dash} '
            f'marker-end="url(#arrow)"/>{label}')


def _box(name: str, at: tuple[float, float], compute: str, status: str | None, count: str) -> str:
    x, y = at
    colour = STATUS_COLOURS.get(status or "", "#37474f")
    sub = " · ".join(part for part in (compute, count) if part)
    return (f'<g class="step" data-step="{escape(name)}"><title>{escape(name)}'
            f'{" — " + escape(status) if status else ""}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="9" fill="#fff" '
            f'stroke="{colour}" stroke-width="{2.4 if status else 1.6}"/>'
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + 19:.0f}" text-anchor="middle" class="step-name">'
            f'{escape(name)}</text>'
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + 36:.0f}" text-anchor="middle" class="step-sub">'
            f'{escape(sub)}</text></g>')


SVG_STYLE = ("svg text{font-family:system-ui,-apple-system,'Segoe UI',sans-serif}"
             ".step-name{font-size:13px;font-weight:600;fill:#212121}"
             ".step-sub{font-size:11px;fill:#616161}.edge-label{font-size:10px;fill:#757575}")
