"""What a deployed flow is started with, and what its stack serves to whoever starts it.

Execution input (read by runtime/run_input.py, which also accepts `{}`, top-level
parameter names and EventBridge events):

    {"parameters": {name: value, ...}, "sfnflow": {"trigger": ..., "tags": [...], "user": ...,
                                                   "origin_run_id": ..., "resume_steps": [...]}}

`user` is who started the run: the run is tagged `user:<user>` (the client's default
namespace), as a local run is, rather than with whatever user the task's machine has.

Parameter spec: the flow stack's `ParameterSpec` output, so `sfnflow trigger` validates
against the deployed flow, not against a local file that may have changed since. Step
graph: the `StepGraph` output, so `sfnflow resume` of a cloud run plans against the
deployed steps.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from .dsl.specs import ParameterSpec

__all__ = ["OPTIONS_KEY", "PARAMETERS_KEY", "PARAMETER_SPEC_OUTPUT", "STEP_GRAPH_OUTPUT", "SpecTooLarge",
           "decode_parameter_specs", "decode_step_graph", "encode_parameter_specs", "encode_step_graph",
           "execution_input", "schedule_input"]

PARAMETERS_KEY = "parameters"
OPTIONS_KEY = "sfnflow"
PARAMETER_SPEC_OUTPUT = "ParameterSpec"
STEP_GRAPH_OUTPUT = "StepGraph"  # steps in source order and their out-edges: what `resume` plans with
# A stack output value stays well under CloudFormation's few-KB limit; help texts go first.
OUTPUT_LIMIT = 4000
_FIELDS = ("name", "type", "default", "has_default", "default_is_callable", "required", "help", "separator",
           "include")


class SpecTooLarge(ValueError):
    """The parameter spec does not fit in a stack output even without help texts."""


def execution_input(parameters: dict[str, Any], *, trigger: str, tags: Sequence[str] = (),
                    origin_run_id: str | None = None, resume_steps: Sequence[str] = (),
                    user: str | None = None) -> dict[str, Any]:
    options: dict[str, Any] = {"trigger": trigger}
    if tags:
        options["tags"] = list(tags)
    if user:
        options["user"] = user
    if origin_run_id:
        options["origin_run_id"] = origin_run_id
        options["resume_steps"] = list(resume_steps)
    return {PARAMETERS_KEY: dict(parameters), OPTIONS_KEY: options}


def schedule_input(specs: Iterable[ParameterSpec]) -> dict[str, Any]:
    """The schedule rule's input: the plain defaults, visible in the console (callable
    defaults are left out: the start step evaluates them when the run starts)."""
    defaults = {s.name: s.default for s in specs if s.has_default and not s.default_is_callable}
    return execution_input(defaults, trigger="schedule")


def encode_parameter_specs(specs: Sequence[ParameterSpec]) -> str:
    records = [{k: getattr(s, k) for k in _FIELDS} for s in specs]
    text = _compact(records)
    if len(text) > OUTPUT_LIMIT:
        for record in records:
            record["help"] = (record["help"] or "")[:40] or None
        text = _compact(records)
    if len(text) > OUTPUT_LIMIT:
        for record in records:
            record["help"] = None
        text = _compact(records)
    if len(text) > OUTPUT_LIMIT:
        raise SpecTooLarge(f"the flow's {len(specs)} parameters take {len(text)} characters as a stack output "
                           f"(limit {OUTPUT_LIMIT}); shorten long defaults or pass them as JSON parameters.")
    return text


def decode_parameter_specs(text: str) -> tuple[ParameterSpec, ...]:
    """The inverse of encode_parameter_specs. Raises ValueError on text it did not write."""
    records = json.loads(text)
    if not isinstance(records, list):
        raise ValueError("a parameter spec is a JSON list")
    return tuple(ParameterSpec(**{k: r.get(k) for k in _FIELDS}, attribute=r["name"]) for r in records)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def encode_step_graph(steps: Iterable[Any]) -> str:
    """[[step, [out-edges...]], ...] in source order, from the graph's StepNodes."""
    text = _compact([[node.name, list(node.out_edges)] for node in steps])
    if len(text) > OUTPUT_LIMIT:
        raise SpecTooLarge(f"the flow's step graph takes {len(text)} characters as a stack output "
                           f"(limit {OUTPUT_LIMIT}).")
    return text


def decode_step_graph(text: str) -> dict[str, tuple[str, ...]]:
    return {str(name): tuple(str(e) for e in edges) for name, edges in json.loads(text)}
