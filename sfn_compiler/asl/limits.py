"""Step Functions limits a compiled flow must respect, and the inline-Map sizing.

`plan_foreach` chooses each foreach's `inline_max` (the widest fan-out kept in the state
and run as an inline Map) from two hard limits:
- execution history: 25,000 events per Standard execution, and inline Map iterations
  count in the parent's history (retries too; nested inline Maps multiply);
- payload: a state is capped at 256 KiB and `States.DataLimitExceeded` can't be caught,
  so the items array (task ids as strings) is kept under ~6 KB.
Past `inline_max` the foreach runs as a Distributed Map, whose children have histories
of their own. `limits_report` states the rest: definition size, Express eligibility,
name lengths.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..deploy_model import COMPUTE_LAMBDA, ComputeTarget
from ..graph.model import FlowGraph, FrameKind, PositionFrame, StepKind, StepNode

HISTORY_LIMIT = 25_000
HISTORY_BUDGET = 20_000  # keep 20 % for transient retries and estimate error
DEFINITION_LIMIT = 1_048_576  # bytes, hard
NAME_LIMIT = 80  # state, state machine and execution names
ITEMS_PAYLOAD_CAP = 6 * 1024  # bytes of the items array kept in the state
EXPRESS_MAX_SECONDS = 300

# Estimated history events (AWS doesn't publish exact counts; these match what
# moto's interpreter records and leave headroom).
TASK_EVENTS = 5  # entered, scheduled, started, succeeded, exited
RETRY_EVENTS = 3  # failed, scheduled, started
PASS_EVENTS = 2
CHOICE_EVENTS = 2
PARALLEL_EVENTS = 4
MAP_EVENTS = 4
MAP_ITERATION_EVENTS = 2
DISTRIBUTED_MAP_EVENTS = 6  # + MapRunStarted / MapRunSucceeded; children elsewhere
DISTRIBUTED_CHILD_EVENTS = 4  # a child execution's own started / succeeded and its item's input
# A nested foreach gets 1/OUTER_SHARE of its enclosing foreach's budget, so the outer
# Map can still run about this many iterations inline.
OUTER_SHARE = 16
# Digits assumed per enclosing foreach index in a task id ("123456."): outer loops may
# be distributed, hence wide.
OUTER_INDEX_CHARS = 7


@dataclass(frozen=True)
class ForeachPlan:
    step: str
    inline_max: int  # 0 for a Batch foreach (always distributed)
    events_per_iteration: int
    history_budget: int
    payload_cap: int  # the widest fan-out whose items fit ITEMS_PAYLOAD_CAP
    distributed_only: bool


@dataclass(frozen=True)
class LoopPlan:
    head: str  # the loop's first step
    max_iterations: int  # the switch going back fails the task rather than start one more
    events_per_iteration: int
    history_budget: int
    # Inside a foreach run as a Distributed Map, each item is a child execution with a
    # history of its own, so the loop may go further there: (foreach step, most iterations).
    distributed: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class LimitsReport:
    definition_bytes: int
    foreach: tuple[ForeachPlan, ...]
    worst_case_events: int  # top-level execution, every inline Map at its widest
    express_eligible: bool
    express_blockers: tuple[str, ...]
    long_names: tuple[str, ...]
    loops: tuple[LoopPlan, ...] = ()

    @property
    def errors(self) -> tuple[str, ...]:
        """Limits the definition breaks outright (deploying it would fail)."""
        found = []
        if self.definition_bytes > DEFINITION_LIMIT:
            found.append(f"definition is {self.definition_bytes:,} bytes, over the {DEFINITION_LIMIT:,}-byte limit")
        found += [f"name '{n}' is {len(n)} characters, over the {NAME_LIMIT}-character limit" for n in self.long_names]
        return tuple(found)

    def lines(self) -> list[str]:
        pct = 100.0 * self.definition_bytes / DEFINITION_LIMIT
        out = [f"definition size: {self.definition_bytes:,} bytes ({pct:.1f}% of 1 MB)",
               f"history events (worst case, top level): ~{self.worst_case_events:,} of {HISTORY_LIMIT:,}"]
        for plan in self.foreach:
            if plan.distributed_only:
                out.append(f"foreach '{plan.step}': always a Distributed Map (Batch step)")
            else:
                out.append(
                    f"foreach '{plan.step}': inline Map up to {plan.inline_max:,} items "
                    f"(~{plan.events_per_iteration} events per item, payload cap {plan.payload_cap:,}); "
                    "Distributed Map beyond"
                )
        for loop in self.loops:
            wider = "".join(f"; up to {most:,} when '{step}' runs as a Distributed Map" for step, most in loop.distributed)
            out.append(
                f"loop at '{loop.head}': up to {loop.max_iterations:,} iterations "
                f"(~{loop.events_per_iteration} events each, of {HISTORY_LIMIT:,} per execution{wider}); "
                "the run fails with an error before one more"
            )
        if self.express_eligible:
            out.append("workflow type: STANDARD (EXPRESS-eligible)")
        else:
            out.append("workflow type: STANDARD (not EXPRESS-eligible: " + "; ".join(self.express_blockers) + ")")
        out += [f"error: {e}" for e in self.errors]
        return out


# -- foreach and loop planning --------------------------------------------------------------
def plan_foreach(graph: FlowGraph, compute: dict[str, ComputeTarget]) -> tuple[tuple[ForeachPlan, ...], int]:
    """(a plan per foreach step in source order, the top level's worst-case event count)."""
    plans, _loops, total = plan_history(graph, compute)
    return plans, total


def plan_history(graph: FlowGraph, compute: dict[str, ComputeTarget]
                 ) -> tuple[tuple[ForeachPlan, ...], tuple[LoopPlan, ...], int]:
    """Plans for every foreach and loop (source order), and the top level's worst-case events."""
    planner = _Planner(graph, compute)
    total = 2 + planner.region_cost((), HISTORY_BUDGET)  # + execution started/succeeded
    order = {n.name: i for i, n in enumerate(graph.steps)}
    foreach = tuple(sorted(planner.plans.values(), key=lambda p: order[p.step]))
    wider = distributed_loop_limits(graph, compute, foreach)
    loops = tuple(sorted((replace(plan, distributed=tuple((f, m[plan.head]) for f, m in wider.items()
                                                              if plan.head in m))
                          for plan in planner.loops.values()), key=lambda p: order[p.head]))
    return foreach, loops, total


def distributed_loop_limits(graph: FlowGraph, compute: dict[str, ComputeTarget],
                            plans: tuple[ForeachPlan, ...]) -> dict[str, dict[str, int]]:
    """foreach step -> {loop head: most iterations} for the loops in its body when it runs as
    a Distributed Map: each item is then a child execution with the whole budget to itself."""
    found: dict[str, dict[str, int]] = {}
    for plan in plans:
        node = graph[plan.step]
        inner = node.frames + (PositionFrame(FrameKind.FOREACH, node.name),)
        if not any(f.kind == FrameKind.LOOP for n in graph for f in n.frames[len(inner):] if n.frames[:len(inner)] == inner):
            continue
        child = _Planner(graph, compute)
        child.region_cost(inner, HISTORY_BUDGET - DISTRIBUTED_CHILD_EVENTS)
        found[plan.step] = {head: loop.max_iterations for head, loop in child.loops.items()}
    return found


class _Planner:
    """Sizes each region of the flow to fit the history budget it is given.

    A region is the set of steps whose task ids have the same frames (the top level, a
    foreach body, a loop body). Its fixed events are every step's worst case (switch
    cases all counted, an upper bound), plus the helper states; the rest of its budget
    is shared equally by the foreaches and loops directly in it. A foreach runs inline
    up to what its share allows; a loop may repeat as often as its share allows.
    """

    def __init__(self, graph: FlowGraph, compute: dict[str, ComputeTarget]) -> None:
        self.graph, self.compute = graph, compute
        self.plans: dict[str, ForeachPlan] = {}
        self.loops: dict[str, LoopPlan] = {}

    def region_cost(self, frames: tuple[PositionFrame, ...], budget: int) -> int:
        fixed = 0
        children: list[PositionFrame] = []
        for node in self.graph:
            if node.frames == frames:
                fixed += step_events(node) + self._helper_events(node)
            elif len(node.frames) > len(frames) and node.frames[:len(frames)] == frames:
                child = node.frames[len(frames)]
                if child not in children:
                    children.append(child)
        share = max(0, budget - fixed) // max(1, len(children))
        total = fixed
        for child in children:
            total += self._size(frames, child, share)
        return total

    def _helper_events(self, node: StepNode) -> int:
        events = 0
        if node.is_foreach:
            events += CHOICE_EVENTS + MAP_EVENTS
        elif node.is_split:
            events += PARALLEL_EVENTS
        if node.is_switch:
            events += CHOICE_EVENTS
        if node.frames and node.frames[-1] == PositionFrame(FrameKind.LOOP, node.name) and len(node.frames) > 1:
            events += PASS_EVENTS  # the loop's entry Pass
        return events

    def _size(self, outer: tuple[PositionFrame, ...], frame: PositionFrame, share: int) -> int:
        inner = outer + (frame,)
        body_cost = self.region_cost(inner, share // OUTER_SHARE)
        if frame.kind == FrameKind.LOOP:
            iteration = max(1, body_cost)
            most = max(1, share // iteration)
            self.loops[frame.step] = LoopPlan(frame.step, most, iteration, share)
            return most * iteration
        node = self.graph[frame.step]
        per_item = MAP_ITERATION_EVENTS + body_cost
        cap = payload_cap(self._depth(node))
        if self.compute[node.name].kind != COMPUTE_LAMBDA:
            self.plans[node.name] = ForeachPlan(node.name, 0, per_item, share, cap, True)
            return DISTRIBUTED_MAP_EVENTS
        inline_max = min(cap, share // per_item)
        self.plans[node.name] = ForeachPlan(node.name, inline_max, per_item, share, cap, False)
        return max(DISTRIBUTED_MAP_EVENTS, inline_max * per_item)

    def _depth(self, node: StepNode) -> int:
        """How many frames enclose this foreach (its children's ids are that much longer)."""
        return len(node.frames)


def step_events(node: StepNode) -> int:
    """Worst case for one step's task: every @retry attempt, then the @catch route."""
    retry = node.decorator("retry")
    events = TASK_EVENTS + (RETRY_EVENTS * retry.times if retry is not None else 0)
    if node.decorator("catch") is not None:
        events += TASK_EVENTS + (0 if node.kind == StepKind.START else PASS_EVENTS)
    return events


def payload_cap(depth: int) -> int:
    """The widest fan-out whose JSON items array (quoted ids + commas) fits the cap."""
    prefix = depth * OUTER_INDEX_CHARS
    best = 0
    for digits in range(1, 8):
        per_item = 3 + prefix + digits  # two quotes and a comma around each id
        largest = min(10 ** digits, ITEMS_PAYLOAD_CAP // per_item)  # ids 0..n-1 have <= digits
        if largest >= 10 ** (digits - 1):
            best = max(best, largest)
    return best


# -- the report ---------------------------------------------------------------------------
def limits_report(
    graph: FlowGraph,
    compute: dict[str, ComputeTarget],
    timeouts: dict[str, int],
    definition_text: str,
    state_names: list[str],
    plans: tuple[ForeachPlan, ...],
    worst_case_events: int,
    loops: tuple[LoopPlan, ...] = (),
) -> LimitsReport:
    """`timeouts`: each step's longest possible single attempt, in seconds."""
    blockers = express_blockers(graph, compute, timeouts)
    names = [graph.name] + state_names
    return LimitsReport(
        definition_bytes=len(definition_text.encode("utf-8")),
        foreach=plans,
        worst_case_events=worst_case_events,
        express_eligible=not blockers,
        express_blockers=tuple(blockers),
        long_names=tuple(sorted({n for n in names if len(n) > NAME_LIMIT})),
        loops=loops,
    )


def express_blockers(graph: FlowGraph, compute: dict[str, ComputeTarget], timeouts: dict[str, int]) -> list[str]:
    """Why the flow can't be an Express workflow (5 minutes, no .sync, no Distributed Map)."""
    found = []
    batch = [n.name for n in graph.steps if compute[n.name].kind != COMPUTE_LAMBDA]
    if batch:
        found.append(f"Batch steps ({', '.join(batch)}) need .sync")
    foreach = [n.name for n in graph.steps if n.is_foreach]
    if foreach:
        found.append(f"foreach steps ({', '.join(foreach)}) may run a Distributed Map")
    loops = sorted({f.step for n in graph.steps for f in n.frames if f.kind == FrameKind.LOOP})
    if loops:
        found.append(f"loops (at {', '.join(loops)}) repeat steps an unknown number of times")
    total, untimed = 0, []
    for node in graph.steps:
        if compute[node.name].kind != COMPUTE_LAMBDA:
            continue  # already reported above
        retry = node.decorator("retry")
        attempts = 1 + (retry.times if retry is not None else 0)
        waits = (retry.times * max(1, int(retry.minutes_between_retries * 60))) if retry is not None else 0
        catch = timeouts[node.name] if node.decorator("catch") is not None else 0
        total += timeouts[node.name] * attempts + waits + catch
        if node.decorator("timeout") is None:
            untimed.append(node.name)
    if total > EXPRESS_MAX_SECONDS:
        hint = f" (no @timeout on {', '.join(untimed)})" if untimed else ""
        found.append(f"steps may run {total:,} s in total{hint}, over Express's {EXPRESS_MAX_SECONDS} s")
    return found


def state_names(asl: dict[str, object]) -> list[str]:
    """Every state name in a definition, nested ones included."""
    found: list[str] = []
    stack = [asl]
    while stack:
        block = stack.pop()
        states = block.get("States", {})
        assert isinstance(states, dict)
        for name, state in states.items():
            found.append(name)
            for branch in state.get("Branches", []):
                stack.append(branch)
            if "ItemProcessor" in state:
                stack.append(state["ItemProcessor"])
    return found
