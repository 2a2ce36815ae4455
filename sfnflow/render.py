"""Views of a flow for `sfnflow show`: text, mermaid, dot and json, all read from the IR."""
from __future__ import annotations

import json
from dataclasses import asdict, fields, is_dataclass
from typing import Any, Mapping, Sequence

from sfn_compiler.graph.model import FlowGraph, StepNode


def describe_decorator(spec: Any) -> str:
    """`@retry(times=2)`: only the fields that differ from the decorator's defaults."""
    if not is_dataclass(spec):
        return repr(spec)
    if spec.kind == "schedule":
        return f"@schedule {spec.expression}"
    if getattr(spec, "source", ""):
        return spec.source  # @pypi(python='3.11', ...), @kubernetes(cpu=4): as the user wrote it
    default = type(spec)()
    args = [
        f"{f.name}={getattr(spec, f.name)!r}"
        for f in fields(spec)
        if getattr(spec, f.name) != getattr(default, f.name)
    ]
    return f"@{spec.kind}" + (f"({', '.join(args)})" if args else "")


def to_text(graph: FlowGraph, compute: Mapping[str, str], limits: Sequence[str],
            environments: Sequence[str] = ()) -> str:
    lines = [f"{graph.name}  ({graph.source_file})"]
    for spec in graph.flow_decorators:
        lines.append(f"  {describe_decorator(spec)}")
    if graph.parameters:
        lines.append("")
        lines.append("Parameters")
        for p in graph.parameters:
            default = "callable" if p.default_is_callable else repr(p.default)
            req = ", required" if p.required else ""
            help_text = f"  {p.help}" if p.help else ""
            lines.append(f"  --{p.name:<16} {p.type:<6} default {default}{req}{help_text}")
    lines.append("")
    lines.append("Steps")
    width = max(len(s.name) for s in graph.steps) if graph.steps else 4
    for node in graph.steps:
        lines.append(f"  {node.name:<{width}}  {node.kind.value:<8} {_edges(node):<28} {compute.get(node.name, '')}")
        decorators = " ".join(describe_decorator(d) for d in node.decorators)
        if decorators:
            lines.append(f"  {'':<{width}}  {decorators}")
    if environments:
        lines.append("")
        lines.append("Environments")
        lines.extend(f"  {line}" for line in environments)
    if limits:
        lines.append("")
        lines.append("Limits")
        lines.extend(f"  {line}" for line in limits)
    return "\n".join(lines)


def _edges(node: StepNode) -> str:
    if not node.out_edges:
        return "(end)"
    arrow = ", ".join(node.out_edges)
    if node.foreach_var:
        return f"-> {arrow} foreach {node.foreach_var}"
    return f"-> {arrow}"


def to_mermaid(graph: FlowGraph, compute: Mapping[str, str]) -> str:
    # Node ids get a prefix: `end` is a keyword in mermaid and would break the chart.
    lines = ["flowchart TD"]
    for node in graph.steps:
        label = node.name + (f"<br/>{compute[node.name]}" if compute.get(node.name) else "")
        shape = ("([", "])") if node.kind.value in ("start", "end") else ("[", "]")
        lines.append(f'    step_{node.name}{shape[0]}"{label}"{shape[1]}')
    for node in graph.steps:
        for target in node.out_edges:
            label = _edge_label(node, target)
            edge = f'-- "{label}" -->' if label else "-->"
            lines.append(f"    step_{node.name} {edge} step_{target}")
    return "\n".join(lines)


def _edge_label(node: StepNode, target: str) -> str:
    """What an edge says: the foreach, the num_parallel, or a switch's case(s) for it."""
    if node.foreach_var:
        return f"foreach {node.foreach_var}"
    if node.num_parallel is not None:
        return f"num_parallel {node.num_parallel}"
    if node.is_switch:
        cases = ", ".join(repr(value) for value, to in node.switch_cases if to == target)
        return f"{node.condition} == {cases}".replace('"', "'")
    return ""


def to_dot(graph: FlowGraph, compute: Mapping[str, str]) -> str:
    lines = [f'digraph "{graph.name}" {{', "    rankdir=TB;", "    node [shape=box, style=rounded];"]
    for node in graph.steps:
        label = node.name + (f"\\n{compute[node.name]}" if compute.get(node.name) else "")
        lines.append(f'    "{node.name}" [label="{label}"];')
    for node in graph.steps:
        for target in node.out_edges:
            label = _edge_label(node, target)
            attr = f' [label="{label}"]' if label else ""
            lines.append(f'    "{node.name}" -> "{target}"{attr};')
    lines.append("}")
    return "\n".join(lines)


def to_json(graph: FlowGraph, compute: Mapping[str, str], limits: Sequence[str],
            environments: Sequence[Mapping[str, Any]] = ()) -> str:
    def spec_dict(spec: Any) -> dict[str, Any]:
        return {"kind": spec.kind, **asdict(spec)}

    doc = {
        "name": graph.name,
        "source_file": graph.source_file,
        "flow_decorators": [spec_dict(d) for d in graph.flow_decorators],
        "parameters": [asdict(p) for p in graph.parameters],
        "steps": [
            {
                "name": n.name,
                "kind": n.kind.value,
                "out_edges": list(n.out_edges),
                "in_edges": list(n.in_edges),
                "foreach_var": n.foreach_var,
                "split_parents": list(n.split_parents),
                "matching_join": n.matching_join,
                "compute": compute.get(n.name),
                "decorators": [spec_dict(d) for d in n.decorators],
                "source_line": n.source_line,
            }
            for n in graph.steps
        ],
        "limits": list(limits),
        "environments": [dict(e) for e in environments],
    }
    return json.dumps(doc, indent=2, sort_keys=True, default=str)
