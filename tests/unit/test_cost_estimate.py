"""The cost model (sfnflow/cost/estimate.py): each figure against arithmetic done by hand here."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from sfn_compiler.compile import CompileOptions, compile_flow
from sfn_compiler.dsl import FlowSpec, batch, step, timeout
from sfn_compiler.graph.builder import build_graph
from sfnflow.cost.estimate import REQUESTS, Assumptions, price, shape_of_flow, shape_of_run, express_children
from sfnflow.cost.prices import DEFAULT_PRICES as P
from sfnflow.cost.prices import with_overrides

ROOT = Path(__file__).resolve().parents[2]


def _compile(cls: type, with_batch: bool = False) -> Any:
    return compile_flow(build_graph(cls), CompileOptions(with_batch=with_batch))


class Linear(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @step
    def middle(self):
        self.next(self.end)

    @step
    def end(self):
        pass


class Fan(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2]
        self.next(self.body, foreach="items")

    @timeout(seconds=60)
    @step
    def body(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


class Gpu(FlowSpec):
    @batch(cpu=4, memory=16384, gpu=1)
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


def test_a_linear_flow_costs_its_transitions_requests_and_gb_seconds() -> None:
    compiled = _compile(Linear)
    shape = shape_of_flow(compiled, Assumptions(default_seconds=2.0))
    cost = price(shape, P)
    assert shape.transitions == 3 + 2 and shape.children == 0  # 3 tasks, the end-status write and Succeed
    assert cost.usd("Step Functions") == pytest.approx(5 * 0.000025)
    assert cost.usd("Lambda") == pytest.approx(3 * 0.0000002 + 3 * 1.0 * 2.0 * 0.0000166667)  # 1,024 MB = 1 GB
    puts, gets = 3 * REQUESTS["s3_put"], 3 * REQUESTS["s3_get"]
    assert cost.usd("S3 requests") == pytest.approx(puts * 0.000005 + gets * 0.0000004)
    assert cost.usd("DynamoDB") == pytest.approx((3 * 3 + 3) * 0.000000625 + 3 * 0.000000125)
    assert cost.total == pytest.approx(sum(line.usd for line in cost.lines))


def test_a_foreach_runs_inline_up_to_its_limit_and_distributed_beyond() -> None:
    compiled = _compile(Fan)
    limit = next(p.inline_max for p in compiled.limits.foreach if p.step == "start")
    inline = shape_of_flow(compiled, Assumptions(widths={"start": limit}))
    # start, limit bodies, join, end + Choice + Map + the two status states
    assert (inline.transitions, inline.children, inline.map_runs) == (limit + 3 + 2 + 2, 0, 0)
    wide = shape_of_flow(compiled, Assumptions(widths={"start": limit + 1}))
    assert (wide.children, wide.map_runs, wide.items_files) == (limit + 1, 1, 1)
    assert wide.child_transitions == 2 * (limit + 1)  # each child's start and its one task
    assert wide.transitions == 3 + 2 + 2
    body = next(s for s in wide.steps if s.step == "body")
    assert body.in_child and body.tasks == limit + 1


def test_fargate_bills_a_minute_at_least_and_ec2_the_instance_that_fits() -> None:
    compiled = _compile(Linear, with_batch=True)
    shape = shape_of_flow(compiled, Assumptions(default_seconds=10.0, fargate_startup_s=0.0))
    cost = price(shape, P, Assumptions(fargate_startup_s=0.0))
    # 1 vCPU / 4,096 MB on Fargate, billed 60 s each, three jobs
    assert cost.usd("Batch on Fargate") == pytest.approx(3 * 60 / 3600 * (1 * 0.04048 + 4 * 0.004445))
    gpu = shape_of_flow(_compile(Gpu), Assumptions(default_seconds=600.0), P)
    job = next(s for s in gpu.steps if s.step == "start")
    assert (job.compute.kind, job.compute.instance) == ("ec2", "g4dn.xlarge")  # 16 GiB trimmed to fit it
    assert price(gpu, P).usd("Batch on EC2") == pytest.approx((600 + 180) / 3600 * 0.526)


def test_every_step_on_batch_is_metaflows_deploy() -> None:
    compiled = _compile(Fan)
    ours = shape_of_flow(compiled, Assumptions(widths={"start": 3}))
    theirs = shape_of_flow(compiled, Assumptions(widths={"start": 3}), on_batch=True)
    assert {s.compute.label() for s in theirs.steps} == {"fargate 1 vCPU 4096 MB"}
    assert theirs.children == 3 and ours.children == 0  # a Batch foreach always runs distributed
    # the bodies move into children, each child adds its start, and there is no Choice
    assert theirs.transitions == ours.transitions - 3 - 1
    assert theirs.transitions + theirs.child_transitions == ours.transitions + 3 - 1
    assert price(theirs, P).total > price(ours, P).total


def test_lambda_only_children_are_priced_as_express_too() -> None:
    compiled = _compile(Fan)
    shape = shape_of_flow(compiled, Assumptions(widths={"start": 5000}, default_seconds=1.0))
    standard, express, bounded = express_children(shape, P)
    assert bounded  # @timeout(60) keeps a child far under 5 minutes
    assert standard == pytest.approx(5000 * 2 * 0.000025)  # start + one task per child
    assert express == pytest.approx(5000 * (0.000001 + 1.1 * 0.0625 * 0.00001667))  # 1 s + 0.1 s, 64 MB
    assert express < standard / 4


def test_a_run_is_priced_from_its_records() -> None:
    @dataclasses.dataclass
    class Attempt:
        step: str
        task_id: str
        attempt: int
        started_at: float
        finished_at: float | None

    compiled = _compile(Fan)
    records = [Attempt("start", "0", 0, 0.0, 1.0)]
    records += [Attempt("body", str(i), 0, 1.0, 3.0) for i in range(3)]
    records += [Attempt("body", "1", 1, 3.0, 4.0)]  # a retry
    records += [Attempt("join", "0", 0, 4.0, 5.0), Attempt("end", "0", 0, 5.0, None)]  # never closed
    shape = shape_of_run(compiled, records)
    body = next(s for s in shape.steps if s.step == "body")
    assert (body.tasks, body.attempts, body.seconds) == (3, 4, 7.0)
    assert next(s for s in shape.steps if s.step == "end").seconds == 0.0  # open: until the last end seen
    assert shape.transitions == 7 + 2 + 2  # 7 attempts, Choice + Map, end status + Succeed
    assert "foreach start: 3 items, inline Map" in shape.notes


def test_prices_are_dated_and_overridable() -> None:
    assert P.as_of == "2026-12-01" and P.region == "us-east-1"
    changed = with_overrides(P, {"as_of": "2027-01-01", "fargate_vcpu_hour": 0.05, "ec2_hour": {"g5.xlarge": 1.5}})
    assert (changed.as_of, changed.fargate_vcpu_hour, changed.ec2_hour["g5.xlarge"]) == ("2027-01-01", 0.05, 1.5)
    assert changed.ec2_hour["g4dn.xlarge"] == P.ec2_hour["g4dn.xlarge"]  # merged, not replaced
    with pytest.raises(ValueError, match="unknown price field"):
        with_overrides(P, {"lambda_per_request": 1})
    with pytest.raises(ValueError, match="must be a number"):
        with_overrides(P, {"s3_put": "cheap"})
