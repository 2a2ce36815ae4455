"""Checks of what each step says about its successors: `self.next(...)` as read by the
builder, the start and end steps, and step signatures."""
from __future__ import annotations

import difflib
from typing import Iterator

from ...dsl.flowspec import RESERVED_NAMES
from ..model import FlowGraph
from .base import Analysis, Check, Finding, quoted


def check_no_start(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    if "start" not in graph:
        yield Finding(graph.class_line, None, f"flow '{graph.name}' has no 'start' step.",
                      "Add `@step` `def start(self):`, the step every run begins with.")


def check_no_end(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    if "end" not in graph:
        yield Finding(graph.class_line, None, f"flow '{graph.name}' has no 'end' step.",
                      "Add `@step` `def end(self):`, the step every run finishes with.")


def check_next_missing(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    if "end" not in graph:
        return  # a step without `self.next` is then the end step under another name: no-end says so
    for node in graph:
        if node.next_call.problem == "missing":
            yield Finding(node.next_call.line, node.name, "does not end with `self.next(...)`.",
                          "Make `self.next(self.<step>)` the last statement of the step.")


def _next_problem_check(problem: str, message: str, hint: str) -> Check:
    """A check reporting the steps whose `self.next` the builder marked with `problem`."""

    def check(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
        for node in graph:
            if node.next_call.problem == problem:
                yield Finding(node.next_call.line, node.name, message, hint)

    check.__name__ = f"check_next_{problem}"  # the check's name in diagnostics: next-<problem>
    return check


check_next_not_last = _next_problem_check(
    "not_last", "calls `self.next(...)`, but not as its last statement.",
    "Move one `self.next(...)` to the end of the step; to choose the next step by a value, use "
    "`self.next({\"a\": self.a, \"b\": self.b}, condition=\"attr\")`.")
check_next_bad_target = _next_problem_check(
    "bad_target", "`self.next(...)` must name steps as `self.<step>`.",
    "Write e.g. `self.next(self.train)`; names in variables or strings cannot be read before the run.")
check_next_bad_foreach = _next_problem_check(
    "bad_foreach", "`foreach=` must be a string literal naming an artifact.",
    "Write e.g. `self.next(self.body, foreach=\"items\")` after setting `self.items`.")
check_next_bad_keyword = _next_problem_check(
    "bad_keyword", "`self.next(...)` takes only step targets and `foreach=`, `num_parallel=` or `condition=`.",
    "Remove the other keyword arguments.")
check_next_bad_switch = _next_problem_check(
    "bad_switch", "a conditional `self.next` must map literal values to steps and name its artifact in `condition=`.",
    "Write e.g. `self.next({\"fast\": self.fast, \"slow\": self.slow}, condition=\"mode\")` after setting `self.mode`.")
check_next_bad_num_parallel = _next_problem_check(
    "bad_num_parallel", "`num_parallel=` must be a positive integer literal, with exactly one target step.",
    "Write e.g. `self.next(self.train, num_parallel=4)`.")
check_next_in_end = _next_problem_check(
    "in_end", "the end step calls `self.next(...)`.",
    "Remove it: a run finishes when 'end' returns.")


def check_unknown_target(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    names = [node.name for node in graph]
    for node in graph:
        for target in node.out_edges:
            if target in analysis.nodes:
                continue
            close = difflib.get_close_matches(target, names, n=1)
            hint = (f"Did you mean `self.{close[0]}`?" if close
                    else f"Define `@step def {target}(self):`; the steps are {quoted(names)}.")
            yield Finding(node.next_call.line, node.name,
                          f"`self.next` goes to '{target}', which is not a step.", hint)


def check_duplicate_target(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        repeated = sorted({t for t in node.out_edges if node.out_edges.count(t) > 1})
        if repeated:
            yield Finding(node.next_call.line, node.name,
                          f"`self.next` names {quoted(repeated)} more than once.",
                          "Name each branch once; use a foreach to run one step many times.")


def check_foreach_targets(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        if node.is_foreach and len(node.out_edges) > 1:
            yield Finding(node.next_call.line, node.name,
                          f"a foreach goes to {len(node.out_edges)} steps ({quoted(node.out_edges)}).",
                          "Give `foreach=` exactly one target; branch inside the foreach body instead.")


def check_foreach_var(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        var = node.foreach_var
        if var is None:
            continue
        if not var.isidentifier():
            what = "is not a valid attribute name"
        elif var in analysis.nodes:
            what = "names a step, not a list"
        elif var in RESERVED_NAMES:
            what = "is a name FlowSpec reserves"
        else:
            continue
        yield Finding(node.next_call.line, node.name, f"`foreach=\"{var}\"` {what}.",
                      "Store the items in an artifact (e.g. `self.items = [...]`) and write `foreach=\"items\"`.")


def check_step_args(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        if node.num_args == 0:
            what, fix = "takes no `self` argument.", f"Write `def {node.name}(self):`."
        elif node.num_args > 2:
            what = f"takes {node.num_args} arguments."
            fix = "A step takes only `self`, and a join step `self, inputs`."
        elif node.takes_inputs and node.name in ("start", "end"):
            what = f"the {node.name} step takes `inputs`, so it would be a join."
            fix = (f"Write `def {node.name}(self):`" + ("; add a join step before 'end'." if node.name == "end"
                                                        else "; nothing runs before 'start'."))
        elif node.takes_inputs and (node.is_split or node.is_foreach):
            what = "is both a join (it takes `inputs`) and a split."
            fix = "Add a step after the join that splits, so split and join are separate steps."
        else:
            continue
        yield Finding(node.source_line, node.name, what, fix)


CHECKS = (
    check_no_start, check_no_end, check_next_missing, check_next_not_last, check_next_bad_target,
    check_next_bad_foreach, check_next_bad_keyword, check_next_bad_switch, check_next_bad_num_parallel,
    check_next_in_end, check_unknown_target,
    check_duplicate_target, check_foreach_targets, check_foreach_var, check_step_args,
)
