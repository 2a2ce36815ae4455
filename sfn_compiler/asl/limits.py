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

from dataclasses import dataclass

from ..deploy_model import COMPUTE_LAMBDA, ComputeTarget
from ..graph.model import FlowGraph, StepKind, StepNode

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
class LimitsReport:
    definition_bytes: int
    foreach: tuple[ForeachPlan, ...]
    worst_case_events: int  # top-level execution, every inline Map at its widest
    express_eligible: bool
    express_blockers: tuple[str, ...]
    long_names: tuple[str, ...]

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
        if self.express_eligible:
            out.append("workflow type: STANDARD (EXPRESS-eligible)")
        else:
            out.append("workflow type: STANDARD (not EXPRESS-eligible: " + "; ".join(self.express_blockers) + ")")
        out += [f"error: {e}" for e in self.errors]
        return out


# -- foreach planning ---------------------------------------------------------------------
def plan_foreach(graph: FlowGraph, compute: dict[str, ComputeTarget]) -> tuple[tuple[ForeachPlan, ...], int]:
    """(a plan per foreach step in source order, the top level's worst-case event count)."""
    planner = _Planner(graph, compute)
    total = 2 + planner.chain_cost("start", None, HISTORY_BUDGET)  # + execution started/succeeded
    order = {n.name: i for i, n in enumerate(graph.steps)}
    return tuple(sorted(planner.plans.values(), key=lambda p: order[p.step])), total


class _Planner:
    def __init__(self, graph: FlowGraph, compute: dict[str, ComputeTarget]) -> None:
        self.graph, self.compute = graph, compute
        self.plans: dict[str, ForeachPlan] = {}

    def chain_cost(self, first: str, stop: str | None, budget: int) -> int:
        """Worst-case events of a chain; sizes the foreaches in it to fit `budget`."""
        fixed, foreaches = self._walk(first, stop)
        share = max(0, budget - fixed) // max(1, len(foreaches))
        total = fixed
        for node in foreaches:
            total += self._size(node, share)
        return total

    def _walk(self, first: str, stop: str | None) -> tuple[int, list[StepNode]]:
        """Fixed events of the chain (branches included) and its own foreach steps."""
        fixed, foreaches, pending = 0, [], [(first, stop)]
        while pending:
            current, end = pending.pop()
            while current is not None and current != end:
                node = self.graph[current]
                fixed += step_events(node)
                if node.is_foreach:
                    foreaches.append(node)
                    fixed += CHOICE_EVENTS + MAP_EVENTS
                    current = node.matching_join
                elif node.is_split:
                    fixed += PARALLEL_EVENTS
                    pending += [(t, node.matching_join) for t in node.out_edges]
                    current = node.matching_join
                else:
                    current = node.out_edges[0] if node.out_edges and node.kind != StepKind.END else None
        return fixed, foreaches

    def _size(self, node: StepNode, share: int) -> int:
        body, join = node.out_edges[0], node.matching_join
        body_cost = self.chain_cost(body, join, share // OUTER_SHARE)
        per_item = MAP_ITERATION_EVENTS + body_cost
        cap = payload_cap(self._depth(node))
        if self.compute[node.name].kind != COMPUTE_LAMBDA:
            self.plans[node.name] = ForeachPlan(node.name, 0, per_item, share, cap, True)
            return DISTRIBUTED_MAP_EVENTS
        inline_max = min(cap, share // per_item)
        self.plans[node.name] = ForeachPlan(node.name, inline_max, per_item, share, cap, False)
        return max(DISTRIBUTED_MAP_EVENTS, inline_max * per_item)

    def _depth(self, node: StepNode) -> int:
        """How many foreaches enclose this one (its children's ids are that much longer)."""
        return sum(1 for p in node.split_parents if p in self.graph and self.graph[p].is_foreach)


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
