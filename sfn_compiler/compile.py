"""compile_flow: a validated FlowGraph -> ASL + deployment model + limits report.

Pure and deterministic: no I/O, no clock, no randomness; `asl_json(result.asl)` is the
same bytes for the same flow. `compile_file` is the whole pipeline from a flow file
(load -> build -> validate -> raise every problem -> compile), the one call the CLI, the
CDK app and the benchmarks make; `check_file` stops after validating.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .asl.emit import asl_json, emit_asl
from .asl.limits import LimitsReport, limits_report, plan_history, state_names
from .asl.states import DISTRIBUTED_MAX_CONCURRENCY
from .asl.status import STATUS_EVENTS
from .deploy_model import (
    COMPUTE_LAMBDA,
    DeploymentModel,
    placeholders_for,
    resolve_compute,
    resolve_environments,
    schedules_of,
)
from .diagnostics import Diagnostic, FlowDefinitionError
from .event_rules import event_rules_of
from .graph.builder import build_graph
from .graph.model import FlowGraph
from .graph.validate import validate
from .loader import load_flow

__all__ = ["CompileOptions", "CompiledFlow", "asl_json", "check_file", "compile_file", "compile_flow"]

WORKFLOW_STANDARD = "STANDARD"


@dataclass(frozen=True)
class CompileOptions:
    with_batch: bool = False  # every step on Batch, like Metaflow's `run --with batch`
    # `run --with name[:k=v,...]`: a step decorator added to every step (graph/with_decorators.py)
    with_decorators: tuple[str, ...] = ()
    # `--config NAME PATH` / `--config-value NAME JSON`: (name, "path" | "value", text)
    config_sources: tuple[tuple[str, str, str], ...] = ()
    # Child executions at once per Distributed Map (asl/states.py says why this default).
    max_concurrency: int = DISTRIBUTED_MAX_CONCURRENCY


@dataclass(frozen=True)
class CompiledFlow:
    asl: dict[str, Any]
    model: DeploymentModel
    limits: LimitsReport
    graph: FlowGraph = field(compare=False, repr=False)  # what it was compiled from

    @property
    def asl_text(self) -> str:
        return asl_json(self.asl)


def compile_flow(graph: FlowGraph, options: CompileOptions = CompileOptions()) -> CompiledFlow:
    """Compile a flow graph that `validate` found no problems in."""
    environments = resolve_environments(graph)
    functions, jobs, compute_pairs = resolve_compute(graph, options.with_batch, environments)
    compute = dict(compute_pairs)
    plans, loops, worst_events = plan_history(graph, compute)
    distributed_loops: dict[str, dict[str, int]] = {}
    for loop in loops:
        for step, most in loop.distributed:
            distributed_loops.setdefault(step, {})[loop.head] = most
    asl = emit_asl(graph, compute, {p.step: p.inline_max for p in plans}, {p.head: p.max_iterations for p in loops},
                   options.max_concurrency, distributed_loops)
    text = asl_json(asl)
    timeouts = {}
    for step, target in compute_pairs:
        node = graph[step]
        if target.kind == COMPUTE_LAMBDA:
            timeouts[step] = next(f.timeout_s for f in functions if f.key == target.key)
        else:  # Batch: unbounded unless @timeout says otherwise
            tmo = node.decorator("timeout")
            timeouts[step] = tmo.seconds if tmo is not None and tmo.seconds else 10**9
    limits = limits_report(graph, compute, timeouts, text, state_names(asl), plans, worst_events + STATUS_EVENTS, loops)
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
        environments=environments,
        event_rules=event_rules_of(graph),
    )
    return CompiledFlow(asl=asl, model=model, limits=limits, graph=graph)


def check_file(path: str, class_name: str | None = None) -> tuple[FlowGraph, list[Diagnostic]]:
    """Load, build and validate the flow file at `path`: its graph and every problem in it.

    Raises:
        FlowDefinitionError: the file cannot be imported or holds no single flow class.
    """
    graph = build_graph(load_flow(path, class_name))
    return graph, validate(graph)


def compile_file(path: str, options: CompileOptions = CompileOptions()) -> CompiledFlow:
    """The flow file at `path`, compiled (`result.graph` is its graph).

    Raises:
        FlowDefinitionError: the file cannot be loaded, or the flow has problems (every one listed).
    """
    sources = {name: (kind, text) for name, kind, text in options.config_sources}
    graph = build_graph(load_flow(path), sources)
    if options.with_decorators:
        from .graph.with_decorators import WithError, apply_with

        try:
            graph = apply_with(graph, options.with_decorators)
        except WithError as exc:
            raise FlowDefinitionError([Diagnostic("with", path, 0, None, str(exc), "Fix the --with option.")]) from None
    problems = validate(graph)
    if problems:
        raise FlowDefinitionError(problems)
    return compile_flow(graph, options)
