"""Checks of the graph's shape: every step reached, no loops, and splits and joins that
nest (each split or foreach closed by exactly one join, inner ones first) -- the shape
that maps onto Parallel and Map states."""
from __future__ import annotations

from typing import Iterator

from ..model import FlowGraph, StepNode
from .base import END_OPEN, Analysis, Finding, quoted


def check_unreachable(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    if "start" not in graph or analysis.incomplete:
        return  # a step whose `self.next` is unreadable may well lead to the others
    for node in graph:
        if node.name not in analysis.reachable:
            yield Finding(node.source_line, node.name, "is never reached from 'start'.",
                          f"Call `self.next(self.{node.name})` from a step that runs, or delete '{node.name}'.")


def check_cycle(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    allowed = analysis.loop_edges
    for source, target in analysis.back_edges:
        if (source, target) in allowed:
            continue  # a switch case going back: a loop (checks/loops.py looks at its shape)
        loop = " -> ".join(_path(analysis, target, source) + [target])
        yield Finding(analysis.nodes[source].next_call.line, source,
                      f"`self.next` goes back to '{target}', making a loop ({loop}).",
                      "Only a switch may go back (`self.next({...}, condition=...)`); "
                      "remove that transition, or repeat work with a foreach.")


def _path(analysis: Analysis, start: str, goal: str) -> list[str]:
    """A shortest path of step names from start to goal (both included)."""
    parent: dict[str, str | None] = {start: None}
    queue = [start]
    for name in queue:
        if name == goal:
            break
        for target in analysis.edges[name]:
            if target not in parent:
                parent[target] = name
                queue.append(target)
    path: list[str] = []
    at: str | None = goal
    while at is not None:
        path.append(at)
        at = parent.get(at)
    return path[::-1]


def _closed_splits(analysis: Analysis, name: str) -> dict[str | None, list[str]]:
    """Which open split each arrival at `name` closes (None: no split was open) -> preds."""
    closed: dict[str | None, list[str]] = {}
    for stack, pred in sorted(analysis.walk.arrivals.get(name, ()), key=lambda a: (str(a[1]), a[0])):
        preds = closed.setdefault(stack[-1][0] if stack else None, [])
        if pred is not None and pred not in preds:
            preds.append(pred)
    return closed


def _meeting_points(graph: FlowGraph, analysis: Analysis) -> Iterator[tuple[StepNode, dict[str | None, list[str]]]]:
    for node in graph:
        if node.name in analysis.walk.arrivals and analysis.preds[node.name] and analysis.is_joinlike(node.name):
            yield node, _closed_splits(analysis, node.name)


def check_join_without_split(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node, closed in _meeting_points(graph, analysis):
        # 'start', 'end' and steps with too many arguments are reported by step-args.
        if node.name in ("start", "end") or node.num_args > 2:
            continue
        if node.takes_inputs and list(closed) == [None]:
            yield Finding(node.source_line, node.name, "takes `inputs` but no split leads to it.",
                          f"Add a split before '{node.name}' or drop the `inputs` argument.")


def _mixes_splits(node: StepNode, closed: dict[str | None, list[str]]) -> bool:
    return node.takes_inputs and len(closed) > 1


def check_join_mixes_splits(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node, closed in _meeting_points(graph, analysis):
        if _mixes_splits(node, closed):
            parts = [f"{quoted(preds)} from " + (f"split '{split}'" if split else "outside any split")
                     for split, preds in sorted(closed.items(), key=lambda i: str(i[0]))]
            yield Finding(node.source_line, node.name, f"joins steps of different splits: {'; '.join(parts)}.",
                          "Give each split its own join step, and join inner splits before outer ones.")


def check_join_without_inputs(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node, closed in _meeting_points(graph, analysis):
        if node.takes_inputs or len(closed) != 1 or None in closed:
            continue
        split = next(iter(closed))
        preds = quoted(analysis.preds[node.name])
        if node.name == "end":
            yield Finding(node.source_line, node.name,
                          f"the branches of '{split}' meet at 'end' (from {preds}), which cannot be a join.",
                          "Add a join step (`def join(self, inputs):`) before 'end'.")
        else:
            yield Finding(node.source_line, node.name,
                          f"the branches of '{split}' meet here (from {preds}), but it does not take `inputs`.",
                          f"Write `def {node.name}(self, inputs):` to join them.")


def check_merge_without_join(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node, closed in _meeting_points(graph, analysis):
        if node.takes_inputs or (len(closed) == 1 and None not in closed):
            continue
        if list(closed) == [None]:
            continue  # every branch was joined, at different joins: branches-join-apart says so
        yield Finding(node.source_line, node.name,
                      f"several steps lead here ({quoted(analysis.preds[node.name])}), but they are not "
                      "the branches of one split and it is not a join.",
                      "Send the branches of each split to one join step (`def join(self, inputs):`).")


def _split_line(node: StepNode) -> int:
    return node.next_call.line or node.source_line


def _open_ends_explained(graph: FlowGraph, analysis: Analysis) -> bool:
    """A join that mixes splits leaves the outer split open on some path; that join is
    the problem to report, not the branch that then reaches 'end' unjoined."""
    return any(_mixes_splits(node, closed) for node, closed in _meeting_points(graph, analysis))


def check_branches_join_apart(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    ignore = {END_OPEN} if _open_ends_explained(graph, analysis) else set()
    for split, branches in sorted(analysis.walk.closes.items()):
        branches = {b: joins - ignore for b, joins in branches.items()}
        ends = set().union(*branches.values())
        if len(ends) < 2:
            continue
        parts = []
        for branch, joins in sorted(branches.items()):
            named = sorted(j for j in joins if j != END_OPEN)
            where = f"at {quoted(named)}" if named else ""
            if END_OPEN in joins:
                where = (where + " and " if where else "") + "at 'end' without a join"
            parts.append(f"'{branch}' {where}")
        node = analysis.nodes[split]
        yield Finding(_split_line(node), split, f"the branches of this split end at different joins: {'; '.join(parts)}.",
                      f"Send every branch of '{split}' to one join step.")


def check_missing_join(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    if _open_ends_explained(graph, analysis):
        return
    for split, branches in sorted(analysis.walk.closes.items()):
        if set().union(*branches.values()) != {END_OPEN}:
            continue
        node = analysis.nodes[split]
        kind = "foreach" if node.is_foreach else "split"
        yield Finding(_split_line(node), split, f"this {kind} is never joined: 'end' is reached with it still open.",
                      "Add a join step (`def join(self, inputs):`) after its branches, before 'end'.")


def check_empty_foreach(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        joins = [t for t in analysis.edges[node.name] if analysis.nodes[t].takes_inputs]
        if node.is_foreach and joins:
            yield Finding(_split_line(node), node.name, f"the foreach goes straight to the join '{joins[0]}'.",
                          f"Add the step to run for each item between '{node.name}' and '{joins[0]}'.")


CHECKS = (
    check_unreachable, check_cycle, check_join_without_split, check_join_mixes_splits,
    check_join_without_inputs, check_merge_without_join, check_branches_join_apart, check_missing_join,
    check_empty_foreach,
)
