"""flow_warnings: things in a valid flow that are probably mistakes, said once before a run.

Unlike validation problems they do not stop the flow: Metaflow runs these flows too.
"""
from __future__ import annotations

from ..diagnostics import Diagnostic
from .model import FlowGraph

__all__ = ["flow_warnings"]


def flow_warnings(graph: FlowGraph) -> list[Diagnostic]:
    found = []
    parameters = {p.attribute: p.name for p in graph.parameters}
    for node in graph:
        for name, line in node.artifact_writes:
            if name in parameters:
                found.append(Diagnostic(
                    check="parameter-assignment", file=graph.source_file, line=line, step=node.name,
                    message=f"sets self.{name}, but '{parameters[name]}' is a parameter: this raises AttributeError "
                            "when the step runs.",
                    hint=f"Store the value under another name, e.g. self.{name}_value."))
    return sorted(found, key=lambda d: d.line)
