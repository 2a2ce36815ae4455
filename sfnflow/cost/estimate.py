"""What one run of a flow costs on AWS: estimated from its shape, or counted from a finished run.

Pure: a compiled flow (graph + deployment model + limits), the assumptions or the run's
attempt records, and a price table in; a `Cost` out. No I/O, no clock.

    shape = shape_of_flow(compiled, Assumptions(widths={"start": 1000}, seconds={"body": 2}))
    cost = price(shape, DEFAULT_PRICES)                                 # sfnflow as compiled
    batch = price(shape_of_flow(compiled, ..., on_batch=True), DEFAULT_PRICES)   # every step on Batch (Metaflow)

The model, step by step (stated in `assumption_lines` too):

* Tasks: one per step, times the width of every enclosing foreach (and the iterations of
  every enclosing loop). A switch counts every case (an upper bound); no failures.
* Step Functions (Standard): one transition per task attempt, plus the helper states:
  a foreach's Choice and Map state (per task of the foreach step), one per child
  execution a Distributed Map starts, a Parallel per static split, a Choice per switch
  task, and the run's end-status write and Succeed. A foreach runs inline up to its
  `inline_max` (the compiler's limit) and as a Distributed Map beyond, so the width
  decides. Transitions in Distributed Map children are priced the same (Standard
  children); `express_children` prices those children as Express executions instead.
* Lambda: a request and memory x seconds per attempt (1 ms billing).
* Batch on Fargate: vCPU and memory x max(60 s, seconds + start-up) per attempt, at the
  Fargate size the job definition gets (cdk/batch.py rounds up the same way).
* Batch on EC2 (GPU, or larger than Fargate): one instance per attempt, the cheapest
  type that fits (ECS's reserve counted), for max(60 s, seconds + start-up): an upper
  bound, since Batch packs jobs onto shared instances when it can.
* S3 and DynamoDB: the requests the runtime makes per attempt (REQUESTS below), the
  foreach item files, and each Map Run's ItemReader and ResultWriter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

from sfn_compiler.batch_sizes import cheapest_instance, fargate_size, fit_ec2_job, queue_on_fargate
from sfn_compiler.deploy_model import COMPUTE_LAMBDA
from sfn_compiler.graph.model import FrameKind, StepKind

from .prices import Prices

__all__ = ["Assumptions", "Compute", "Cost", "CostLine", "RunShape", "StepTasks", "assumption_lines",
           "express_children", "price", "shape_of_flow", "shape_of_run"]

# Requests the runtime makes per task attempt (runtime/task.py with the artifact store):
# PUTs: the task index, stdout, stderr, ~1 new artifact blob; GETs: the parent indexes,
# ~2 artifact reads, a HEAD before writing a blob. DynamoDB: the attempt item written at
# start and at end, the task's run item touched once.
REQUESTS = {"s3_put": 4, "s3_get": 4, "ddb_write": 3, "ddb_read": 1}
RUN_DDB_WRITES = 3  # the run item (start), its tags, the state machine's end status
BATCH_BOOTSTRAP_GETS = 2  # the code package and the boto3 bundle, per Batch attempt (stock image)
MAP_RUN_REQUESTS = {"s3_get": 1, "s3_put": 2}  # ItemReader's items file; ResultWriter's manifest + results
METAFLOW_BATCH = (1.0, 4096)  # Metaflow's @batch defaults: 1 vCPU, 4,096 MB
EXPRESS_MEMORY_GB = 0.0625  # Express bills memory in 64 MB steps; a small definition uses the first
EXPRESS_OVERHEAD_S = 0.1  # a child's own start and end, rounded to Express's 100 ms


@dataclass(frozen=True)
class Assumptions:
    widths: Mapping[str, int] = field(default_factory=dict)  # foreach step -> items
    default_width: int = 10
    default_width_given: bool = False  # the caller chose default_width (not sfnflow's guess)
    seconds: Mapping[str, float] = field(default_factory=dict)  # step -> seconds per attempt
    default_seconds: float = 10.0
    iterations: int = 1  # of every loop
    fargate_startup_s: float = 30.0  # image pull, bootstrap fetch: billed, before the step runs
    ec2_startup_s: float = 180.0  # a fresh instance boots and joins the cluster (compute scales from zero)

    def width(self, step: str, fixed: int | None = None) -> int:
        return int(fixed) if fixed else int(self.widths.get(step, self.default_width))

    def seconds_of(self, step: str) -> float:
        return float(self.seconds.get(step, self.default_seconds))


@dataclass(frozen=True)
class Compute:
    kind: str  # "lambda" | "fargate" | "ec2"
    memory_mb: int = 0
    cpu: float = 0.0
    gpu: int = 0
    arch: str = "x86_64"
    instance: str = ""  # ec2: the type priced

    def label(self) -> str:
        if self.kind == "lambda":
            return f"lambda {self.memory_mb} MB" + (" arm64" if self.arch == "arm64" else "")
        size = f"{_num(self.cpu)} vCPU {self.memory_mb} MB" + (f" {self.gpu} GPU" if self.gpu else "")
        return f"fargate {size}" if self.kind == "fargate" else f"ec2 {self.instance} ({size})"


@dataclass(frozen=True)
class StepTasks:
    step: str
    tasks: int
    attempts: int  # all attempts of all its tasks
    seconds: float  # all attempts' running time, summed
    compute: Compute
    in_child: bool = False  # runs inside a Distributed Map's child execution


@dataclass(frozen=True)
class RunShape:
    flow: str
    steps: tuple[StepTasks, ...]
    transitions: int  # Standard transitions outside Distributed Map children
    child_transitions: int  # ... and inside them
    children: int  # child executions started
    map_runs: int
    items_files: int  # foreach items written to S3 (one per foreach task)
    # Distributed foreaches whose children run Lambda steps only: (foreach, children, seconds each, bounded),
    # bounded when the steps' timeouts keep a child under Express's 5 minutes.
    express_children: tuple[tuple[str, int, float, bool], ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CostLine:
    what: str  # "Step Functions", "Lambda", ...
    detail: str
    usd: float
    used: bool = True  # False: the run uses none of it (a table may leave the line out)


@dataclass(frozen=True)
class Cost:
    lines: tuple[CostLine, ...]
    by_step: tuple[tuple[str, str, int, float], ...]  # (step, compute label, attempts, $ compute)

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def usd(self, what: str) -> float:
        return sum(line.usd for line in self.lines if line.what == what)


# -- the shape of a run -----------------------------------------------------------------------------
def shape_of_flow(compiled: Any, assumptions: Assumptions = Assumptions(), prices: Prices | None = None,
                  on_batch: bool = False) -> RunShape:
    """The run a flow would make under `assumptions` (widths, seconds per attempt).

    `on_batch`: the same run with every step on Batch, as Metaflow deploys a flow to Step
    Functions: Lambda steps at their @resources but at least Metaflow's @batch defaults
    (1 vCPU, 4,096 MB) on Fargate, and every foreach a Distributed Map (a Batch step
    cannot hand its items back to the state machine).
    """
    graph = compiled.graph
    counts = {}
    for node in graph.steps:
        tasks = _multiplicity(graph, node, assumptions)
        counts[node.name] = (tasks, tasks, tasks * assumptions.seconds_of(node.name))
    return _shape(compiled, counts, assumptions, prices, on_batch)


def shape_of_run(compiled: Any, attempts: Iterable[Any], assumptions: Assumptions = Assumptions(),
                 prices: Prices | None = None, on_batch: bool = False) -> RunShape:
    """The run the attempt records describe (AttemptRecord: step, task_id, started_at, finished_at).

    Widths come from the task ids the run really had; seconds from each attempt's
    start and end; attempts that never ended count for the time until the last end seen.
    """
    records = list(attempts)
    last_end = max((r.finished_at or 0.0 for r in records), default=0.0)
    per_step: dict[str, list[Any]] = {}
    for record in records:
        per_step.setdefault(record.step, []).append(record)
    counts = {}
    for node in compiled.graph.steps:
        found = per_step.get(node.name, [])
        seconds = sum(max(0.0, (r.finished_at or last_end) - r.started_at) for r in found)
        counts[node.name] = (len({r.task_id for r in found}), len(found), seconds)
    widths = dict(assumptions.widths)
    for node in compiled.graph.steps:
        if node.is_foreach:
            body = node.out_edges[0]
            parents = max(1, counts[node.name][0])
            widths[node.name] = max(1, round(counts.get(body, (0, 0, 0))[0] / parents))
    return _shape(compiled, counts, replace(assumptions, widths=widths), prices, on_batch)


def _multiplicity(graph: Any, node: Any, assumptions: Assumptions) -> int:
    tasks = 1
    for frame in node.frames:
        if frame.kind == FrameKind.LOOP:
            tasks *= max(1, assumptions.iterations)
        else:
            tasks *= assumptions.width(frame.step, graph[frame.step].num_parallel)
    return tasks


def _shape(compiled: Any, counts: Mapping[str, tuple[int, int, float]], assumptions: Assumptions,
           prices: Prices | None, on_batch: bool = False) -> RunShape:
    graph, model = compiled.graph, compiled.model
    inline_max = {p.step: p.inline_max for p in compiled.limits.foreach}

    def on_lambda(step: str) -> bool:
        return not on_batch and model.target(step).kind == COMPUTE_LAMBDA

    distributed = {n.name for n in graph.steps if n.is_foreach and (
        not on_lambda(n.name) or assumptions.width(n.name, n.num_parallel) > inline_max.get(n.name, 0))}
    steps, transitions, child_transitions, children, map_runs, items = [], 2, 0, 0, 0, 0  # 2: end status + Succeed
    for node in graph.steps:
        tasks, attempts, seconds = counts[node.name]
        in_child = any(f.kind == FrameKind.FOREACH and f.step in distributed for f in node.frames)
        own = attempts
        if node.is_foreach:
            width = assumptions.width(node.name, node.num_parallel)
            own += tasks * (2 if on_lambda(node.name) else 1)  # Choice + Map, or the Map alone
            items += tasks
            if node.name in distributed:
                children += tasks * width
                child_transitions += tasks * width  # each child execution's start
                map_runs += tasks
        elif node.kind == StepKind.SPLIT:
            own += tasks  # the Parallel
        elif node.kind == StepKind.SWITCH:
            own += tasks  # the Choice on the case
        if in_child:
            child_transitions += own
        else:
            transitions += own
        if on_batch and model.target(node.name).kind == COMPUTE_LAMBDA:
            compute = _batch_compute(*_metaflow_size(compiled, node.name), gpu=0, on_fargate=True, prices=prices)
        else:
            compute = _compute_of(model, node.name, prices)
        steps.append(StepTasks(node.name, tasks, attempts, seconds, compute, in_child))
    express = () if on_batch else _express_candidates(compiled, steps, distributed, assumptions)
    return RunShape(model.flow_name, tuple(steps), transitions, child_transitions, children, map_runs, items,
                    express, tuple(_notes(graph, assumptions, distributed)))


def _compute_of(model: Any, step: str, prices: Prices | None) -> Compute:
    target = model.target(step)
    if target.kind == COMPUTE_LAMBDA:
        fn = model.function(target.key)
        return Compute("lambda", memory_mb=fn.memory_mb, arch=fn.architecture)
    job = model.job_definition(target.key)
    queue = [(j.cpu, j.memory_mb) for j in model.job_definitions if j.queue == job.queue]
    return _batch_compute(job.cpu, job.memory_mb, job.gpu, queue_on_fargate(job.queue, queue), prices)


def _batch_compute(cpu: float, memory_mb: int, gpu: int, on_fargate: bool, prices: Prices | None) -> Compute:
    if on_fargate:
        size = fargate_size(cpu, memory_mb)
        assert size is not None
        return Compute("fargate", memory_mb=size[1], cpu=size[0])
    fit = fit_ec2_job(cpu, memory_mb, gpu)
    instance = cheapest_instance(cpu, fit.memory_mb, gpu, dict(prices.ec2_hour) if prices else None) or fit.instance
    name = instance.name if instance else "none"
    return Compute("ec2", memory_mb=fit.memory_mb, cpu=cpu, gpu=gpu, instance=name)


def _express_candidates(compiled: Any, steps: Sequence[StepTasks], distributed: set[str],
                        assumptions: Assumptions) -> tuple[tuple[str, int, float, bool], ...]:
    """Distributed foreaches whose children run only Lambda steps (Express children could run them)."""
    graph, found = compiled.graph, []
    for foreach in sorted(distributed):
        inside = [s for s in steps if any(f.kind == FrameKind.FOREACH and f.step == foreach
                                          for f in graph[s.step].frames)]
        if not inside or any(s.compute.kind != "lambda" for s in inside):
            continue
        node = graph[foreach]
        children = max(1, _multiplicity(graph, node, assumptions) * assumptions.width(foreach, node.num_parallel))
        each = EXPRESS_OVERHEAD_S + sum(s.seconds for s in inside) / children
        timeouts = sum(compiled.model.function(compiled.model.target(s.step).key).timeout_s for s in inside)
        found.append((foreach, children, each, timeouts <= 300))  # bounded by the timeouts, not this estimate
    return tuple(found)


def _notes(graph: Any, assumptions: Assumptions, distributed: set[str]) -> list[str]:
    out = []
    for node in graph.steps:
        if node.is_foreach:
            width = assumptions.width(node.name, node.num_parallel)
            given = node.num_parallel or node.name in assumptions.widths or assumptions.default_width_given
            how = "Distributed Map" if node.name in distributed else "inline Map"
            out.append(f"foreach {node.name}: {width} items{'' if given else ' (assumed: --foreach-width)'}, {how}")
    if any(n.kind == StepKind.SWITCH for n in graph.steps):
        out.append("switch: every case counted (an upper bound)")
    if any(f.kind == FrameKind.LOOP for n in graph.steps for f in n.frames):
        out.append(f"loops: {assumptions.iterations} iteration(s) each (--iterations)")
    return out


# -- "every step on Batch", as Metaflow deploys a flow to Step Functions -----------------------------
def _metaflow_size(compiled: Any, step: str) -> tuple[float, int]:
    """A Lambda step's size on Batch: its @resources, at least Metaflow's @batch defaults."""
    resources = compiled.graph[step].decorator("resources")
    cpu = float(getattr(resources, "cpu", None) or METAFLOW_BATCH[0])
    memory = int(getattr(resources, "memory", None) or METAFLOW_BATCH[1])
    return max(cpu, METAFLOW_BATCH[0]), max(memory, METAFLOW_BATCH[1])


# -- prices -----------------------------------------------------------------------------------------
def price(shape: RunShape, prices: Prices, assumptions: Assumptions = Assumptions()) -> Cost:
    """Dollars of one run of `shape`."""
    by_step, lam_requests, lam_gb_s, lam_usd = [], 0, 0.0, 0.0
    fargate_usd, fargate_s, ec2_usd, ec2_s, batch_attempts = 0.0, 0.0, 0.0, 0.0, 0
    for s in shape.steps:
        c = s.compute
        if c.kind == "lambda":
            gb_s = c.memory_mb / 1024 * s.seconds
            rate = prices.lambda_gb_second_arm if c.arch == "arm64" else prices.lambda_gb_second_x86
            usd = s.attempts * prices.lambda_request + gb_s * rate
            lam_requests, lam_gb_s, lam_usd = lam_requests + s.attempts, lam_gb_s + gb_s, lam_usd + usd
        elif c.kind == "fargate":
            billed = _billed(s, assumptions.fargate_startup_s, prices.fargate_min_seconds)
            usd = billed / 3600 * (c.cpu * prices.fargate_vcpu_hour + c.memory_mb / 1024 * prices.fargate_gb_hour)
            fargate_usd, fargate_s, batch_attempts = fargate_usd + usd, fargate_s + billed, batch_attempts + s.attempts
        else:
            billed = _billed(s, assumptions.ec2_startup_s, prices.ec2_min_seconds)
            hourly = prices.ec2_hour.get(c.instance)
            if hourly is None:
                raise ValueError(f"no price for EC2 instance {c.instance} (step {s.step}): add it to --prices "
                                 "as {\"ec2_hour\": {\"" + c.instance + "\": <$ per hour>}}")
            usd = billed / 3600 * hourly
            ec2_usd, ec2_s, batch_attempts = ec2_usd + usd, ec2_s + billed, batch_attempts + s.attempts
        by_step.append((s.step, c.label(), s.attempts, usd))
    attempts = sum(s.attempts for s in shape.steps)
    puts = attempts * REQUESTS["s3_put"] + shape.items_files + shape.map_runs * MAP_RUN_REQUESTS["s3_put"]
    gets = (attempts * REQUESTS["s3_get"] + batch_attempts * BATCH_BOOTSTRAP_GETS
            + shape.map_runs * MAP_RUN_REQUESTS["s3_get"])
    writes = attempts * REQUESTS["ddb_write"] + RUN_DDB_WRITES
    reads = attempts * REQUESTS["ddb_read"]
    transitions = shape.transitions + shape.child_transitions
    lines = [
        CostLine("Step Functions", f"{transitions:,} transitions" + (
            f" ({shape.child_transitions:,} in {shape.children:,} children)" if shape.children else ""),
            transitions * prices.sfn_transition),
        CostLine("Lambda", f"{lam_requests:,} requests, {lam_gb_s:,.1f} GB-s", lam_usd, lam_requests > 0),
        CostLine("Batch on Fargate", f"{_attempts(shape, 'fargate'):,} jobs, {fargate_s:,.0f} s billed", fargate_usd,
                 _attempts(shape, "fargate") > 0),
        CostLine("Batch on EC2", f"{_attempts(shape, 'ec2'):,} jobs, {ec2_s:,.0f} instance-s billed", ec2_usd,
                 _attempts(shape, "ec2") > 0),
        CostLine("S3 requests", f"{puts:,} PUT, {gets:,} GET", puts * prices.s3_put + gets * prices.s3_get),
        CostLine("DynamoDB", f"{writes:,} writes, {reads:,} reads",
                 writes * prices.dynamodb_write + reads * prices.dynamodb_read),
    ]
    return Cost(tuple(lines), tuple(by_step))


def express_children(shape: RunShape, prices: Prices) -> tuple[float, float, bool]:
    """($ of the Lambda-only Distributed Map children as Standard, $ as Express, all bounded) for one run.

    Express children are billed per request and per GB-second (64 MB, 100 ms steps)
    instead of per transition; they need each child to end within 5 minutes.
    """
    standard = express = 0.0
    bounded = True
    for foreach, children, each, fits in shape.express_children:
        bounded = bounded and fits
        per_child_transitions = 1 + sum(s.attempts for s in shape.steps if s.in_child) / max(1, shape.children)
        standard += children * per_child_transitions * prices.sfn_transition
        billed = math.ceil(each * 10) / 10
        express += children * (prices.sfn_express_request + billed * EXPRESS_MEMORY_GB * prices.sfn_express_gb_second)
    return standard, express, bounded


def _billed(s: StepTasks, startup: float, minimum: float) -> float:
    if not s.attempts:
        return 0.0
    each = s.seconds / s.attempts + startup
    return s.attempts * max(minimum, each)


def _attempts(shape: RunShape, kind: str) -> int:
    return sum(s.attempts for s in shape.steps if s.compute.kind == kind)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def assumption_lines(shape: RunShape, assumptions: Assumptions, measured: bool = False) -> list[str]:
    """What the estimate assumed, one line each (widths, seconds, start-up, the request model).

    `measured`: the shape came from a run's records (its widths, attempts and times are facts).
    """
    seconds = ", ".join(f"{k} {v:g} s" for k, v in sorted(assumptions.seconds.items()))
    out = list(shape.notes)
    if measured:
        total = sum(s.seconds for s in shape.steps)
        attempts = sum(s.attempts for s in shape.steps)
        out.append(f"{attempts:,} attempts as recorded, {total:,.1f} s of running time in all")
    else:
        out.append(f"each attempt runs {assumptions.default_seconds:g} s" + (f" ({seconds} given)" if seconds else "")
                   + "; no failures, no retries")
    out.append(f"Batch start-up billed per job: Fargate {assumptions.fargate_startup_s:g} s, EC2 "
               f"{assumptions.ec2_startup_s:g} s (an instance per job: an upper bound)")
    out.append(f"per attempt: {REQUESTS['s3_put']} S3 PUT, {REQUESTS['s3_get']} GET, {REQUESTS['ddb_write']} "
               "DynamoDB writes")
    return out
