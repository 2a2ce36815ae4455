"""Load, check and compile a flow file for a command: the first three arrows of the data flow."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfn_compiler.diagnostics import FlowDefinitionError
from sfn_compiler.graph.builder import build_graph
from sfn_compiler.graph.model import FlowGraph
from sfn_compiler.loader import load_flow


@dataclass(frozen=True)
class CheckedFlow:
    path: str
    flow_cls: type
    graph: FlowGraph


def check_flow_file(path: str) -> CheckedFlow:
    """Load and validate; raise FlowDefinitionError listing every problem."""
    from sfn_compiler.graph.validate import validate

    flow_cls = load_flow(path)
    graph = build_graph(flow_cls)
    problems = validate(graph)
    if problems:
        raise FlowDefinitionError(problems)
    return CheckedFlow(path=path, flow_cls=flow_cls, graph=graph)


def compile_checked(flow: CheckedFlow, with_batch: bool = False) -> Any:
    from sfn_compiler.compile import CompileOptions, compile_flow

    return compile_flow(flow.graph, CompileOptions(with_batch=with_batch))
