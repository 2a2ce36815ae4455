"""Loops (recursive switches) and the position frames of task ids.

A loop is a switch case that goes back to an earlier step (or to the switch itself):
the target is the loop's head, its body the steps on a path from the head back to a
switch that returns there. Each pass through the body is an iteration, and the body's
task ids get one more part, the iteration number, exactly as a foreach body's task ids
get the item's index. So `task ids are positions` still holds: `loop/3` is the fourth
iteration at the top level, `loop/2.3` the fourth iteration for foreach item 2.

Pure functions of the edge lists; the builder stores the results on the IR.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .model import FrameKind, PositionFrame


@dataclass(frozen=True)
class Loop:
    head: str
    body: frozenset[str]  # the head, the switches going back to it, and every step between
    back_sources: tuple[str, ...]  # switch steps with a case back to the head


def back_edges(edges: Mapping[str, Sequence[str]], roots: Iterable[str]) -> list[tuple[str, str]]:
    """Edges that close a cycle, by depth-first search from each root in turn."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    found: list[tuple[str, str]] = []
    for root in roots:
        if root in state or root not in edges:
            continue
        state[root] = 1
        path: list[tuple[str, int]] = [(root, 0)]
        while path:
            name, i = path[-1]
            targets = [t for t in edges[name] if t in edges]
            if i == len(targets):
                state[name] = 2
                path.pop()
                continue
            path[-1] = (name, i + 1)
            target = targets[i]
            if state.get(target) == 1:
                found.append((name, target))
            elif target not in state:
                state[target] = 1
                path.append((target, 0))
    return found


def find_loops(edges: Mapping[str, Sequence[str]], switches: Iterable[str], roots: Sequence[str]) -> dict[str, Loop]:
    """Loops keyed by head. Only a switch's back edge makes a loop; other cycles are errors
    that validation reports, and they are left out here."""
    switch_set = set(switches)
    backs = back_edges(edges, roots)
    forward = {n: [t for t in ts if t in edges and (n, t) not in backs] for n, ts in edges.items()}
    reverse: dict[str, list[str]] = {n: [] for n in edges}
    for name, targets in forward.items():
        for target in targets:
            reverse[target].append(name)
    sources: dict[str, list[str]] = {}
    for source, head in backs:
        if source in switch_set:
            sources.setdefault(head, []).append(source)
    loops = {}
    for head, back in sources.items():
        ahead = _closure([head], forward)
        behind = _closure(back, reverse)
        loops[head] = Loop(head, frozenset(ahead & behind), tuple(dict.fromkeys(back)))
    return loops


def _closure(first: Iterable[str], edges: Mapping[str, Sequence[str]]) -> set[str]:
    seen = set(first)
    todo = list(seen)
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def position_frames(
    steps: Iterable[str],
    split_parents: Mapping[str, Sequence[str]],
    foreach_steps: Iterable[str],
    loops: Mapping[str, Loop],
) -> dict[str, tuple[PositionFrame, ...]]:
    """Each step's frames, outermost first: the foreaches around it and the loops it is in.

    Well-formed regions nest, so ordering the enclosing ones by size (largest first)
    orders them from the outside in.
    """
    steps = list(steps)
    foreach = set(foreach_steps)
    foreach_size = {f: sum(1 for s in steps if f in split_parents.get(s, ())) for f in foreach}
    frames = {}
    for step in steps:
        around: list[tuple[int, int, PositionFrame]] = []
        for parent in split_parents.get(step, ()):
            if parent in foreach:
                around.append((foreach_size[parent], 1, PositionFrame(FrameKind.FOREACH, parent)))
        for head, loop in loops.items():
            if step in loop.body:
                around.append((len(loop.body), 0, PositionFrame(FrameKind.LOOP, head)))
        around.sort(key=lambda item: (-item[0], -item[1], item[2].step))
        frames[step] = tuple(frame for _size, _kind, frame in around)
    return frames
