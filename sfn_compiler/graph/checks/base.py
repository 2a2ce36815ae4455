"""What every check shares: the Finding a check yields, and one Analysis of the graph
(edges to known steps, reachability, back edges, the split/join walk), computed once
by `validate` so that each check stays a small pure function of (graph, analysis)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, NamedTuple

from ..loops import Loop, back_edges as find_back_edges, find_loops
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
    # Loops made by a switch case going back (head -> Loop); other back edges are errors.
    loops: dict[str, Loop] = field(default_factory=dict)
    # split -> steps that two of its branches both lead to (where they must be joined)
    meeting: dict[str, set[str]] = field(default_factory=dict)

    @property
    def incomplete(self) -> bool:
        """Some reachable step's successors are unknown (its `self.next` is unreadable)."""
        return any(
            self.nodes[n].next_call.problem in ("missing", "not_last", "bad_target", "bad_switch")
            or len(self.edges[n]) < len(set(self.nodes[n].out_edges))
            for n in self.reachable
        )

    def is_joinlike(self, name: str) -> bool:
        """A join, or a step where branches of a static split meet (so it ought to be one).

        The cases of a switch are alternatives, so the step where they meet is not join-like.
        """
        if self.nodes[name].takes_inputs:
            return True
        return len(self.preds[name]) > 1 and any(name in steps for steps in self.meeting.values())

    @property
    def loop_edges(self) -> set[tuple[str, str]]:
        """The back edges that are a switch's case into a loop head (allowed)."""
        return {(source, head) for head, loop in self.loops.items() for source in loop.back_sources}


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
    roots = ["start"] if "start" in edges else []
    roots += [node.name for node in graph.steps if node.name != "start"]
    loops = find_loops(edges, [n.name for n in graph.steps if n.is_switch], roots)
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
        loops=loops,
        meeting=_meeting_points(graph, forward),
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
    roots = ["start"] if "start" in edges else []
    roots += [node.name for node in graph.steps if node.name != "start"]
    return find_back_edges(edges, roots)


def _meeting_points(graph: FlowGraph, forward: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """For each static split: the steps that at least two of its branches lead to."""
    found: dict[str, set[str]] = {}
    for node in graph.steps:
        if not node.is_split:
            continue
        reach = [_reachable(forward, t) for t in dict.fromkeys(node.out_edges) if t in forward]
        meet: set[str] = set()
        for i, first in enumerate(reach):
            for other in reach[i + 1:]:
                meet |= first & other
        found[node.name] = meet
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
        node = analysis.nodes[name]
        if stack and (node.takes_inputs or (len(analysis.preds[name]) > 1
                                            and name in analysis.meeting.get(stack[-1][0], ()))):
            split, branch = stack[-1]
            walk.closes.setdefault(split, {}).setdefault(branch, set()).add(name)
            stack = stack[:-1]
        if name == "end":
            for split, branch in stack:
                walk.closes.setdefault(split, {}).setdefault(branch, set()).add(END_OPEN)
        # An unreadable `foreach=` still opens a foreach: its join should not be blamed.
        opens = node.is_split or node.is_foreach or node.next_call.problem in ("bad_foreach", "bad_num_parallel")
        for target in reversed(forward[name]):
            todo.append((target, stack + ((name, target),) if opens else stack, name))
    return walk
