"""Task ids as positions: where a task's parent and a join's inputs are, from the graph alone.

A task id has one dot-separated part per frame of its step (`StepNode.frames`): the item
index inside a foreach, the iteration inside a loop; "0" when the step has no frames.
Most parents follow from the id: the same id one step back, the foreach step's own id
for the first step of a foreach body, the previous iteration for a loop's first step.

Two cases need more than the id:
- several steps lead to this one (the cases of a switch meet, or a join after a switch
  inside a branch): exactly one of them ran at this position, so the candidates are
  probed in the artifact store (an index exists only for a task that finished);
- a switch left a loop: the last iteration's number is not in the outer id, so the
  switch writes a small pointer file for the step it goes to (`parent_pointer_key`).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from sfn_compiler.contract.envelope import child_task_id
from sfn_compiler.graph.model import FlowGraph, FrameKind, StepNode

__all__ = ["Candidate", "Positions", "join_parts", "parent_pointer_key", "split_parts"]


def parent_pointer_key(flow: str, run: str, step: str, task: str) -> str:
    """Artifact-store key of the pointer `{"step", "task"}` to the task a switch came from."""
    return f"{flow}/{run}/{step}/{task}/parent.json"


def split_parts(task: str, depth: int) -> list[str]:
    return task.split(".") if depth else []


def join_parts(parts: list[str]) -> str:
    return ".".join(parts) or "0"


class Candidate(NamedTuple):
    step: str
    task: str | None  # None: not derivable from the id; the pointer file says


class Positions:
    """Graph facts about task ids, computed once per flow per process."""

    def __init__(self, graph: FlowGraph) -> None:
        self.graph = graph
        self.loop_body: dict[str, set[str]] = {}
        for node in graph:
            for frame in node.frames:
                if frame.kind == FrameKind.LOOP:
                    self.loop_body.setdefault(frame.step, set()).add(node.name)
        self.back_preds: dict[str, tuple[str, ...]] = {}
        for node in graph:
            for head in node.loops_back_to:
                self.back_preds[head] = self.back_preds.get(head, ()) + (node.name,)

    # -- forwards: the id of the step a switch goes to -----------------------------------
    def next_task(self, source: StepNode, task: str, target: str) -> str:
        """Task id of `target` when `source`'s task `task` goes there (a switch's case)."""
        dest = self.graph[target]
        parts = split_parts(task, source.depth)
        if target in source.loops_back_to:
            level = next(i for i, f in enumerate(source.frames) if f.kind == FrameKind.LOOP and f.step == target)
            return join_parts(parts[:level] + [str(int(parts[level]) + 1)])
        common = 0
        while (common < min(source.depth, dest.depth) and source.frames[common] == dest.frames[common]):
            common += 1
        # Deeper frames of the target can only be loops it enters here: their first iteration.
        return join_parts(parts[:common] + ["0"] * (dest.depth - common))

    def needs_pointer(self, source: StepNode, target: str) -> bool:
        """Whether `target` cannot find `source` from its own id (a switch leaving a loop)."""
        return Candidate(source.name, None) in self.parent_candidates(self.graph[target], None)

    # -- backwards: where a step's inputs are ----------------------------------------------
    def parent_candidates(self, node: StepNode, task: str | None) -> list[Candidate]:
        """The tasks this non-join step's task may have come from, in source order.

        With `task=None` only the shape is computed (which candidates need a pointer).
        """
        parts = split_parts(task, node.depth) if task is not None else None
        body = self.loop_body.get(node.name)
        iteration = int(parts[-1]) if (parts is not None and body is not None) else None
        found = []
        for pred in node.in_edges:
            source = self.graph[pred]
            expected = node.frames
            if body is not None and pred in self.back_preds.get(node.name, ()):
                if iteration == 0:
                    continue  # the first iteration came from outside the loop
                if source.frames != node.frames:
                    found.append(Candidate(pred, None))
                else:
                    found.append(Candidate(pred, None if parts is None else
                                           join_parts(parts[:-1] + [str(int(parts[-1]) - 1)])))
                    if parts is None:
                        found[-1] = Candidate(pred, "")
                continue
            if body is not None and pred not in body:
                if iteration is not None and iteration > 0:
                    continue  # later iterations come from the switch going back
                expected = node.frames[:-1]
            if source.frames == expected:
                keep = len(expected)
            elif (source.is_foreach and expected and expected[-1].kind == FrameKind.FOREACH
                  and expected[-1].step == pred and source.frames == expected[:-1]):
                keep = len(expected) - 1  # the first step of a foreach body: the foreach step's own task
            else:
                found.append(Candidate(pred, None))  # a switch that left a loop: its pointer says
                continue
            found.append(Candidate(pred, "" if parts is None else join_parts(parts[:keep])))
        return found

    def join_candidates(self, node: StepNode, task: str, foreach_n: Callable[[str, str], int]
                        ) -> tuple[list[list[Candidate]], bool]:
        """For a join: one list of candidates per input, and whether they must be probed.

        `foreach_n(step, task)` reads a foreach step's stored cardinality.
        """
        last = self.graph[node.in_edges[0]]
        split = last.split_parents[-1] if last.split_parents else None
        if split is None or not self.graph[split].is_foreach:
            branches = len(dict.fromkeys(self.graph[split].out_edges)) if split else len(node.in_edges)
            # More ends than branches: a switch inside a branch; only one case of it ran.
            probe = len(node.in_edges) != branches
            return [[Candidate(edge, task)] for edge in node.in_edges], probe
        n = foreach_n(split, task)
        top_level = node.depth == 0
        children = [child_task_id(task, i, top_level) for i in range(n)]
        return [[Candidate(edge, child) for edge in node.in_edges] for child in children], len(node.in_edges) > 1
