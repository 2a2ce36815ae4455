"""compile_flow: a validated FlowGraph -> ASL + deployment model + limits report.

Pure and deterministic: no I/O, no clock, no randomness; `asl_json(result.asl)` is the
same bytes for the same flow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .asl.emit import asl_json, emit_asl
from .asl.limits import LimitsReport, limits_report, plan_foreach, state_names
from .asl.status import STATUS_EVENTS
from .deploy_model import (
    COMPUTE_LAMBDA,
    DeploymentModel,
    placeholders_for,
    resolve_compute,
    schedules_of,
)
from .graph.model import FlowGraph

__all__ = ["CompileOptions", "CompiledFlow", "asl_json", "compile_flow"]

WORKFLOW_STANDARD = "STANDARD"


@dataclass(frozen=True)
class CompileOptions:
    with_batch: bool = False  # every step on Batch, like Metaflow's `run --with batch`


@dataclass(frozen=True)
class CompiledFlow:
    asl: dict[str, Any]
    model: DeploymentModel
    limits: LimitsReport

    @property
    def asl_text(self) -> str:
        return asl_json(self.asl)


def compile_flow(graph: FlowGraph, options: CompileOptions = CompileOptions()) -> CompiledFlow:
    """Compile a flow graph that `validate` found no problems in."""
    functions, jobs, compute_pairs = resolve_compute(graph, options.with_batch)
    compute = dict(compute_pairs)
    plans, worst_events = plan_foreach(graph, compute)
    asl = emit_asl(graph, compute, {p.step: p.inline_max for p in plans})
    text = asl_json(asl)
    timeouts = {}
    for step, target in compute_pairs:
        node = graph[step]
        if target.kind == COMPUTE_LAMBDA:
            timeouts[step] = next(f.timeout_s for f in functions if f.key == target.key)
        else:  # Batch: unbounded unless @timeout says otherwise
            tmo = node.decorator("timeout")
            timeouts[step] = tmo.seconds if tmo is not None and tmo.seconds else 10**9
    limits = limits_report(graph, compute, timeouts, text, state_names(asl), plans, worst_events + STATUS_EVENTS)
    model = DeploymentModel(
        flow_name=graph.name,
        workflow_type=WORKFLOW_STANDARD,
        express_eligible=limits.express_eligible,
        functions=functions,
        job_definitions=jobs,
        schedules=schedules_of(graph),
        parameters=graph.parameters,
        compute=compute_pairs,
        placeholders=placeholders_for(text, functions, jobs),
    )
    return CompiledFlow(asl=asl, model=model, limits=limits)
