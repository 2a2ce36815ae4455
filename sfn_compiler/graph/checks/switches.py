"""Checks of conditional transitions (`self.next({...}, condition="attr")`) and of the
loops a switch case going back makes: what the compiler can turn into a Choice state
and a loop in the state machine."""
from __future__ import annotations

from typing import Iterator

from ...compute import goes_to_batch
from ...dsl.flowspec import RESERVED_NAMES
from ..model import FlowGraph
from .base import Analysis, Finding, quoted


def check_switch_condition(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        var = node.condition
        if var is None:
            continue
        if not var.isidentifier():
            what = "is not a valid attribute name"
        elif var in analysis.nodes:
            what = "names a step, not an artifact"
        elif var in RESERVED_NAMES:
            what = "is a name FlowSpec reserves"
        else:
            continue
        yield Finding(node.next_call.line, node.name, f"`condition=\"{var}\"` {what}.",
                      "Store the value in an artifact (e.g. `self.mode = \"fast\"`) and write `condition=\"mode\"`.")


def check_switch_cases(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        seen: dict[object, object] = {}
        for value, _target in node.switch_cases:
            # Python compares dict keys by equality: True and 1, or 1 and 1.0, are one case.
            clash = next((k for k in seen if k == value and hash(k) == hash(value)), None)
            if clash is not None:
                yield Finding(node.next_call.line, node.name,
                              f"the switch has the case {value!r} twice (equal to {clash!r}).",
                              "Give every case a different value.")
                break
            seen[value] = value


def check_catch_on_switch(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        if node.is_switch and node.decorator("catch") is not None:
            yield Finding(node.source_line, node.name,
                          "has @catch but chooses its next step with a switch: a caught failure has no case to take.",
                          "Move the risky code to a step before the switch, and put @catch there.")


def check_switch_on_batch(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        if node.is_switch and goes_to_batch(node):
            yield Finding(node.source_line, node.name,
                          "is a switch that runs on AWS Batch, which cannot return the chosen case to the state machine.",
                          "Keep the switch step on Lambda (no @batch, small @resources) and do the heavy work "
                          "in a step before it.")


def check_loop_entry(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for head, loop in sorted(analysis.loops.items()):
        for step in sorted(loop.body - {head}, key=lambda s: analysis.nodes[s].source_line):
            outside = [p for p in analysis.preds[step] if p not in loop.body]
            if outside:
                yield Finding(analysis.nodes[step].source_line, step,
                              f"is inside the loop that starts at '{head}', but {quoted(outside)} also lead here "
                              "from outside it.",
                              f"Enter the loop only at '{head}', its first step.")


def check_loop_crosses_split(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for head, loop in sorted(analysis.loops.items()):
        for source in _crossing_sources(analysis, head, loop.back_sources):
            yield Finding(analysis.nodes[source].next_call.line, source,
                          f"goes back to '{head}' from inside a split or foreach that started after '{head}'.",
                          "Join the split (or foreach) before the switch that goes back.")


def _crossing_sources(analysis: Analysis, head: str, sources: tuple[str, ...]) -> list[str]:
    """The switches going back to `head` with other splits open than at `head`."""
    heads = {_after_pop(analysis, head, stack) for stack, _pred in analysis.walk.arrivals.get(head, ())}
    found = []
    for source in sources:
        stacks = {_after_pop(analysis, source, stack) for stack, _pred in analysis.walk.arrivals.get(source, ())}
        if stacks and heads and not stacks <= heads:
            found.append(source)
    return found


def _after_pop(analysis: Analysis, step: str, stack: tuple) -> tuple:
    node = analysis.nodes[step]
    if stack and (node.takes_inputs or (len(analysis.preds[step]) > 1
                                        and step in analysis.meeting.get(stack[-1][0], ()))):
        return stack[:-1]
    return stack


def check_loop_exit_to_join(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for head, loop in sorted(analysis.loops.items()):
        if _crossing_sources(analysis, head, loop.back_sources):
            continue  # loop-crosses-split says what is wrong
        for source in sorted(loop.body, key=lambda s: analysis.nodes[s].source_line):
            node = analysis.nodes[source]
            for _value, target in node.switch_cases:
                if target not in loop.body and target in analysis.nodes and analysis.nodes[target].takes_inputs:
                    yield Finding(node.next_call.line, source,
                                  f"leaves the loop that starts at '{head}' straight into the join '{target}'.",
                                  f"Add a step after the loop that goes to '{target}'.")
                    break


CHECKS = (
    check_switch_condition, check_switch_cases, check_catch_on_switch, check_switch_on_batch, check_loop_entry,
    check_loop_crosses_split, check_loop_exit_to_join,
)
