"""graph_info: a FlowGraph as the plain dict Metaflow exposes as `current.graph`.

    {"file", "start_step", "end_step", "doc", "parameters": [{"name", "type"}], "constants",
     "decorators", "steps": {name: {"name", "type", "line", "source_file", "doc", "decorators",
     "next", ...}}, "graph_structure": [...]}

Step types use Metaflow's words: start, linear, join, end, split-static, split-foreach,
split-parallel, split-switch. `graph_structure` lists the steps in order, with one nested
list of blocks (one per branch) after each split.
"""
from __future__ import annotations

import os
from dataclasses import asdict, is_dataclass
from typing import Any

from .model import FlowGraph, StepKind, StepNode

__all__ = ["graph_info"]


def _type(node: StepNode) -> str:
    if node.is_switch:
        return "split-switch"
    if node.num_parallel is not None:
        return "split-parallel"
    if node.is_foreach:
        return "split-foreach"
    if node.is_split:
        return "split-static"
    if node.kind == StepKind.START:
        return "start"
    if node.kind == StepKind.END:
        return "end"
    return "join" if node.is_join else "linear"


def _decorators(specs: Any) -> list[dict[str, Any]]:
    out = []
    for spec in specs:
        attributes = {k: v for k, v in asdict(spec).items()} if is_dataclass(spec) else {}
        out.append({"name": spec.kind, "attributes": attributes, "statically_defined": True, "inserted_by": None})
    return out


def _step(node: StepNode, source_file: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": node.name, "type": _type(node), "line": node.source_line, "source_file": source_file,
        "doc": node.doc or "", "decorators": _decorators(node.decorators), "next": list(node.out_edges),
    }
    if node.foreach_var is not None:
        info["foreach_artifact"] = node.foreach_var
    if node.num_parallel is not None:
        info["num_parallel"] = node.num_parallel
    if node.is_switch:
        info["condition"] = node.condition
        info["switch_cases"] = {str(k): t for k, t in node.switch_cases}
    if node.matching_join:
        info["matching_join"] = node.matching_join
    return info


def graph_info(graph: FlowGraph) -> dict[str, Any]:
    steps = {node.name: _step(node, graph.source_file) for node in graph}

    def block(first: str, stop: str | None, seen: set[str]) -> list[Any]:
        out: list[Any] = []
        at: str | None = first
        while at is not None and at != stop and at not in seen:
            seen.add(at)
            node = graph[at]
            out.append(at)
            if node.is_switch:
                out.append([block(t, stop, seen) for t in node.out_edges if t not in seen])
                return out
            if node.is_split or node.is_foreach:
                out.append([block(t, node.matching_join, seen) for t in node.out_edges])
                at = node.matching_join
            else:
                at = node.out_edges[0] if node.out_edges else None
        return out

    return {
        "file": os.path.basename(graph.source_file),
        "start_step": "start",
        "end_step": "end",
        "doc": "",
        "parameters": [{"name": p.name, "type": p.type} for p in graph.parameters],
        "constants": [],
        "decorators": _decorators(graph.flow_decorators),
        "steps": steps,
        "graph_structure": block("start", None, set()) if "start" in graph else [],
    }
