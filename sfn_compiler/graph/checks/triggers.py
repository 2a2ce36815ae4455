"""Checks of what starts a deployed flow by itself: @schedule, @trigger, @trigger_on_finish.

Nobody is there to type a value when a schedule or an event starts a run, so every
required parameter needs a default, or (events) a field of the event mapped to it.
"""
from __future__ import annotations

from typing import Iterator

from ...dsl.specs import ScheduleSpec
from ...dsl.triggers import TriggerSpec
from ..model import FlowGraph
from .base import Analysis, Finding


def _unfilled(graph: FlowGraph) -> list[str]:
    return [p.name for p in graph.parameters if p.required and not p.has_default]


def check_scheduled_required(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    if not any(isinstance(d, ScheduleSpec) for d in graph.flow_decorators):
        return
    for name in _unfilled(graph):
        spec = next(p for p in graph.parameters if p.name == name)
        yield Finding(spec.source_line or graph.class_line, None,
                      f"parameter '{name}' is required and has no default, but @schedule starts runs with "
                      "the defaults only.", f"Give '{name}' a default (Parameter(\"{name}\", default=...)).")


def check_triggered_parameters(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    known = {p.name for p in graph.parameters}
    required = _unfilled(graph)
    for spec in graph.flow_decorators:
        if not isinstance(spec, TriggerSpec):
            continue
        where = f"@{spec.kind}({spec.source})"
        for mapping in spec.all_parameters:
            mapped = {name for name, _field in mapping}
            for name in sorted(mapped - known):
                yield Finding(graph.class_line, None, f"{where} maps an event field to '{name}', which is not a "
                              "parameter of this flow.", f"Use one of: {', '.join(sorted(known)) or 'no parameters'}.")
            for name in required:
                if name not in mapped:
                    yield Finding(graph.class_line, None, f"{where} starts runs without a value for the required "
                                  f"parameter '{name}'.", f"Map an event field to it (parameters={{'{name}': "
                                  "'<field>'}) or give it a default.")


# The top-level fields of an EventBridge event (and so of a pattern).
EVENT_FIELDS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")


def check_trigger_pattern(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for spec in graph.flow_decorators:
        if not isinstance(spec, TriggerSpec):
            continue
        for event in spec.events:
            unknown = sorted(set(event.pattern) - set(EVENT_FIELDS))
            if unknown:
                yield Finding(graph.class_line, None, f"@trigger event {event.name} matches on {', '.join(unknown)}, "
                              "which EventBridge events do not have at the top level.",
                              "Match on source, detail-type or detail (event fields go inside \"detail\").")


CHECKS = (check_scheduled_required, check_triggered_parameters, check_trigger_pattern)
