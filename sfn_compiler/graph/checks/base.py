"""What every check shares: the Finding a check yields, and one Analysis of the graph
(edges to known steps, reachability, back edges, the split/join walk), computed once
by `validate` so that each check stays a small pure function of (graph, analysis)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, NamedTuple

from ..model import FlowGraph, StepNode

# Stop the split/join walk past this many (step, stack) states: a flow that large is
# already unreadable, and the walk must never hang `sfnflow show` on a pathological graph.
MAX_WALK_STATES = 50_000

# A branch of an open split: (the split or foreach step, the first step of the branch).
Frame = tuple[str, str]
Stack = tuple[Frame, ...]
END_OPEN = "<end>"  # marks a branch that reached 'end' while its split was still open


class Finding(NamedTuple):
    """One problem, before `validate` stamps the check name and the file on it."""

    line: int
    step: str | None
    message: str  # what is wrong, one sentence ending in a period
    hint: str  # how to fix it, one sentence ending in a period


@dataclass
class Walk:
    """Every way the steps are reached from 'start', with the stack of open splits."""

    # step -> {(stack on arrival, before a join pops it; the step we came from)}
    arrivals: dict[str, set[tuple[Stack, str | None]]] = field(default_factory=dict)
    # split -> branch -> the joins that close it (END_OPEN: it reached 'end' unjoined)
    closes: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    complete: bool = True


@dataclass
class Analysis:
    graph: FlowGraph
    nodes: dict[str, StepNode]
    edges: dict[str, tuple[str, ...]]  # out-edges to steps that exist, without repeats
    reachable: set[str]
    back_edges: list[tuple[str, str]]  # (from, to) closing a cycle, in source order
    preds: dict[str, tuple[str, ...]]  # reachable predecessors, back edges left out
    walk: Walk

    @property
    def incomplete(self) -> bool:
        """Some reachable step's successors are unknown (its `self.next` is unreadable)."""
        return any(
            self.nodes[n].next_call.problem in ("missing", "not_last", "bad_target")
            or len(self.edges[n]) < len(set(self.nodes[n].out_edges))
            for n in self.reachable
        )

    def is_joinlike(self, name: str) -> bool:
        """A join, or a step where paths meet (so it ought to be one)."""
        return self.nodes[name].takes_inputs or len(self.preds[name]) > 1


Check = Callable[[FlowGraph, Analysis], Iterable[Finding]]


def quoted(names: Iterable[str]) -> str:
    """'a', 'b' and 'c' -> "'a', 'b', 'c'"."""
    return ", ".join(f"'{n}'" for n in names)


def analyze(graph: FlowGraph) -> Analysis:
    nodes = {node.name: node for node in graph.steps}
    edges = {
        node.name: tuple(dict.fromkeys(t for t in node.out_edges if t in nodes)) for node in graph.steps
    }
    reachable = _reachable(edges, "start") if "start" in nodes else set()
    back_edges = _back_edges(graph, edges)
    forward = {
        name: tuple(t for t in targets if (name, t) not in back_edges) for name, targets in edges.items()
    }
    preds: dict[str, list[str]] = {name: [] for name in nodes}
    for name in sorted(reachable, key=lambda n: nodes[n].source_line):
        for target in forward[name]:
            preds[target].append(name)
    analysis = Analysis(
        graph=graph,
        nodes=nodes,
        edges=edges,
        reachable=reachable,
        back_edges=back_edges,
        preds={name: tuple(p) for name, p in preds.items()},
        walk=Walk(),
    )
    if "start" in nodes:
        analysis.walk = _walk(analysis, forward)
    return analysis


def _reachable(edges: dict[str, tuple[str, ...]], root: str) -> set[str]:
    seen = {root}
    todo = [root]
    while todo:
        for target in edges[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _back_edges(graph: FlowGraph, edges: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """Edges that close a cycle, found by depth-first search from 'start', then from
    every other step in source order (so cycles among unreachable steps count too)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    found: list[tuple[str, str]] = []
    roots = ["start"] if "start" in edges else []
    roots += [node.name for node in graph.steps if node.name != "start"]
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        path: list[tuple[str, int]] = [(root, 0)]
        while path:
            name, i = path[-1]
            targets = edges[name]
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


def _walk(analysis: Analysis, forward: dict[str, tuple[str, ...]]) -> Walk:
    """Follow every path from 'start' (back edges left out, so it ends), pushing a frame
    at each split or foreach and popping one at each join-like step."""
    walk = Walk()
    seen: set[tuple[str, Stack, str | None]] = set()
    todo: list[tuple[str, Stack, str | None]] = [("start", (), None)]
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        if len(seen) >= MAX_WALK_STATES:
            walk.complete = False
            break
        seen.add(state)
        name, stack, pred = state
        walk.arrivals.setdefault(name, set()).add((stack, pred))
        if analysis.is_joinlike(name) and stack:
            split, branch = stack[-1]
            walk.closes.setdefault(split, {}).setdefault(branch, set()).add(name)
            stack = stack[:-1]
        if name == "end":
            for split, branch in stack:
                walk.closes.setdefault(split, {}).setdefault(branch, set()).add(END_OPEN)
        node = analysis.nodes[name]
        # An unreadable `foreach=` still opens a foreach: its join should not be blamed.
        opens = node.is_split or node.is_foreach or node.next_call.problem == "bad_foreach"
        for target in reversed(forward[name]):
            todo.append((target, stack + ((name, target),) if opens else stack, name))
    return walk
