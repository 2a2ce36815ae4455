"""ASL emission of small graphs, asserted against literal dicts and key fields."""
from __future__ import annotations

from typing import Any

from sfn_compiler.contract import envelope
from sfn_compiler.asl import arns
from sfn_compiler.asl.limits import HISTORY_BUDGET, payload_cap, state_names
from sfn_compiler.asl import status
from sfn_compiler.asl.states import LAMBDA_TRANSIENT_RETRY
from sfn_compiler.compile import CompiledFlow, CompileOptions, asl_json, compile_flow
from sfn_compiler.dsl import FlowSpec, aws_lambda, batch, catch, environment, resources, retry, schedule, step, timeout
from sfn_compiler.graph.builder import build_graph

TRANSIENT = LAMBDA_TRANSIENT_RETRY
STATUS_STATES = {status.SUCCEEDED, status.DONE, status.FAILED, status.RAISE}
RUN_FAILED_CATCHER = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": status.FAILED}


def compile_cls(cls: type, **options: Any) -> CompiledFlow:
    return compile_flow(build_graph(cls), CompileOptions(**options))


class Linear(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @timeout(seconds=30)
    @retry(times=2, minutes_between_retries=0.5)
    @step
    def middle(self):
        self.next(self.end)

    @step
    def end(self):
        pass


def test_linear_task_shapes() -> None:
    states = compile_cls(Linear).asl["States"]
    assert set(states) == {"start", "middle", "end"} | STATUS_STATES
    # The pointers, and the task's whereabouts for the console (task_output.py).
    assert states["start"]["ResultSelector"] == {"run.$": "$$.Execution.Name", "p": "0",
                                                 "task": {"info.$": "$.Payload"}}
    assert states["start"]["ResultPath"] == "$"
    assert states["start"]["Parameters"]["Payload"] == envelope.envelope_template("Linear", "start", is_start=True)
    assert states["middle"] == {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "${Function_t35}",
                       "Payload": envelope.envelope_template("Linear", "middle")},
        "ResultSelector": {"info.$": "$.Payload"},
        "ResultPath": "$.task",
        "Retry": [TRANSIENT,
                  {"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 30, "BackoffRate": 1}],
        "TimeoutSeconds": 35,  # @timeout(30) + the backstop's grace (the task stops the step at 30 s)
        "Catch": [RUN_FAILED_CATCHER],
        "Next": "end",
    }
    assert states["end"]["Next"] == status.SUCCEEDED and "End" not in states["end"]


def test_retry_order_transient_first_and_interval_at_least_one_second() -> None:
    class Flaky(FlowSpec):
        @retry(times=4, minutes_between_retries=0)
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    retries = compile_cls(Flaky).asl["States"]["start"]["Retry"]
    assert retries[0]["ErrorEquals"] == list(TRANSIENT["ErrorEquals"])
    assert retries[1] == {"ErrorEquals": ["States.ALL"], "MaxAttempts": 4, "IntervalSeconds": 1, "BackoffRate": 1}


class Branchy(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.a2)

    @step
    def a2(self):
        self.next(self.join)

    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


def test_static_split_is_a_parallel_running_each_branch_until_the_join() -> None:
    states = compile_cls(Branchy).asl["States"]
    assert states["start"]["Next"] == "start.split"
    par = states["start.split"]
    assert par["Type"] == "Parallel" and par["ResultPath"] is None and par["Next"] == "join"
    (one, two) = par["Branches"]
    assert one["StartAt"] == "a" and set(one["States"]) == {"a", "a2"}
    assert one["States"]["a"]["Next"] == "a2" and one["States"]["a2"]["End"] is True
    assert two["StartAt"] == "b" and set(two["States"]) == {"b"} and two["States"]["b"]["End"] is True
    assert states["join"]["Next"] == "end"


class Nested(FlowSpec):
    @step
    def start(self):
        self.xs = [1, 2]
        self.next(self.outer, foreach="xs")

    @step
    def outer(self):
        self.ys = [1, 2]
        self.next(self.inner, foreach="ys")

    @step
    def inner(self):
        self.next(self.inner_join)

    @step
    def inner_join(self, inputs):
        self.next(self.outer_join)

    @step
    def outer_join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


def test_foreach_choice_between_inline_and_distributed_map() -> None:
    flow = compile_cls(Nested)
    states = flow.asl["States"]
    limit = {p.step: p.inline_max for p in flow.limits.foreach}
    assert states["start"]["ResultSelector"]["fe"] == {"n.$": "$.Payload.n", "items.$": "$.Payload.items"}
    assert states["start"]["Parameters"]["Payload"]["inline_max"] == limit["start"]
    assert states["start.fanout"] == {
        "Type": "Choice",
        "Choices": [{"Variable": "$.fe.n", "NumericLessThanEquals": limit["start"], "Next": "start.map"}],
        "Default": "start.map.distributed",
    }
    inline = states["start.map"]
    assert inline["ItemsPath"] == "$.fe.items"
    assert inline["ItemSelector"] == {"run.$": "$.run", "p.$": "$$.Map.Item.Value"}
    assert inline["ResultPath"] is None and inline["Next"] == "outer_join"
    dist = states["start.map.distributed"]
    assert dist["ItemReader"] == {
        "Resource": arns.S3_GET_OBJECT,
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": "${ArtifactBucket}", "Key.$": envelope.foreach_items_key_asl("Nested", "start")},
    }
    assert dist["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert dist["ResultPath"] is None and dist["ResultWriter"]["Resource"] == arns.S3_PUT_OBJECT


def test_nested_foreach_is_map_in_map_with_unique_names() -> None:
    flow = compile_cls(Nested)
    body = flow.asl["States"]["start.map"]["ItemProcessor"]["States"]
    assert body["outer"]["ResultPath"] == "$.fe" and body["outer"]["Next"] == "outer.fanout"
    assert body["outer.map"]["Type"] == "Map" and body["outer.map"]["Next"] == "inner_join"
    assert set(body["outer.map"]["ItemProcessor"]["States"]) == {"inner"}
    dist_body = flow.asl["States"]["start.map.distributed"]["ItemProcessor"]["States"]
    assert dist_body["outer@start"]["Parameters"]["Payload"]["step"] == "outer"
    inner_states = set(dist_body["outer@start.map.distributed"]["ItemProcessor"]["States"])
    # the step, plus the child's own failure record (asl/status.py: add_child_failure_record)
    assert inner_states == {"inner@start@outer", "run.failed@start@outer", "run.failed.raise@start@outer"}
    names = state_names(flow.asl)
    assert len(names) == len(set(names))
    # the outer Map keeps room for the inner one: nested inline maps multiply
    plans = {p.step: p for p in flow.limits.foreach}
    assert plans["start"].inline_max * plans["outer"].inline_max * plans["outer"].events_per_iteration <= HISTORY_BUDGET
    assert plans["outer"].payload_cap < plans["start"].payload_cap == payload_cap(0) == 1000


class Caught(FlowSpec):
    @step
    def start(self):
        self.xs = [1]
        self.next(self.risky)

    @catch(var="failure")
    @step
    def risky(self):
        self.next(self.each, foreach="xs")

    @step
    def each(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @catch(var="oops")
    @step
    def end(self):
        pass


def test_catch_routes_to_a_catch_task_then_rejoins_the_flow() -> None:
    flow = compile_cls(Caught)
    states = flow.asl["States"]
    assert states["risky"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "risky.catch"}]
    task = states["risky.catch"]
    assert task["Parameters"]["Payload"] == envelope.envelope_template(
        "Caught", "risky", mode=envelope.MODE_CATCH, inline_max=flow.limits.foreach[0].inline_max)
    assert task["ResultSelector"] == {"n.$": "$.Payload.n", "items.$": "$.Payload.items"}  # a foreach step
    assert task["Next"] == "risky.catch.done"
    assert states["risky.catch.done"] == {
        "Type": "Pass", "Parameters": {"run.$": "$.run", "p.$": "$.p", "fe.$": "$.fe"}, "Next": "risky.fanout"}
    assert states["end.catch.done"] == {"Type": "Pass", "Parameters": {"run.$": "$.run", "p.$": "$.p"},
                                        "Next": status.SUCCEEDED}
    # @catch already catches everything at `risky`; its catch task gets the run's catcher.
    assert states["risky.catch"]["Catch"] == [RUN_FAILED_CATCHER]


def test_caught_start_rebuilds_the_state_in_its_catch_task() -> None:
    class StartCaught(FlowSpec):
        @catch
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    states = compile_cls(StartCaught).asl["States"]
    assert set(states) == {"start", "start.catch", "end"} | STATUS_STATES
    assert states["start.catch"]["ResultSelector"] == {"run.$": "$$.Execution.Name", "p": "0"}
    assert states["start.catch"]["ResultPath"] == "$" and states["start.catch"]["Next"] == "end"


class OnBatch(FlowSpec):
    @step
    def start(self):
        self.xs = [1, 2]
        self.next(self.train, foreach="xs")

    @batch(cpu=4, memory=16384, gpu=1)
    @step
    def train(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


def test_batch_task_shape() -> None:
    flow = compile_cls(OnBatch)
    train = flow.asl["States"]["start.map"]["ItemProcessor"]["States"]["train"]
    assert train["Resource"] == "arn:aws:states:::batch:submitJob.sync"
    assert train["Parameters"] == {
        "JobName": "train",
        "JobQueue": "${JobQueue_gpu}",
        "JobDefinition": "${JobDefinition_cpu4_mem16384_gpu1}",
        "ContainerOverrides": {"Command.$": envelope.batch_command_template("OnBatch", "train")},
        "Timeout": {"AttemptDurationSeconds": 24 * 3600},  # no @timeout: the documented default
    }
    assert train["Retry"][0]["ErrorEquals"] == ["Batch.AWSBatchException"]
    assert train["ResultPath"] is None and train["End"] is True
    assert flow.model.target("train").kind == "batch"
    assert flow.model.workflow_type == "STANDARD" and not flow.model.express_eligible
    assert [p.name for p in flow.model.placeholders] == [
        "ArtifactBucket", "Function_default", "JobDefinition_cpu4_mem16384_gpu1", "JobQueue_gpu", "MetadataTable"]


def test_with_batch_puts_every_step_on_batch_and_foreach_goes_distributed() -> None:
    flow = compile_cls(OnBatch, with_batch=True)
    states = flow.asl["States"]
    assert {t.kind for _, t in flow.model.compute} == {"batch"}
    assert states["start"]["Next"] == "start.map.distributed"
    assert "start.fanout" not in states and "start.map" not in states
    assert states["start"]["ResultSelector"] == {"run.$": "$$.Execution.Name", "p": "0"}  # Batch: no task info
    assert flow.limits.foreach[0].distributed_only and flow.limits.foreach[0].inline_max == 0


def test_compute_choice_and_lambda_keys() -> None:
    @schedule(hourly=True)
    class Mixed(FlowSpec):
        @resources(memory=3008)
        @timeout(seconds=600)
        @step
        def start(self):
            self.next(self.big)

        @resources(memory=20000)
        @step
        def big(self):
            self.next(self.long)

        @timeout(hours=2)
        @step
        def long(self):
            self.next(self.arm)

        @environment(vars={"A": "1"})
        @aws_lambda(architecture="arm64")
        @step
        def arm(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    model = compile_cls(Mixed).model
    assert model.target("start").key == "mem3008_t660"
    assert model.function("mem3008_t660").memory_mb == 3008
    assert model.target("big").kind == "batch" and model.target("big").key == "cpu1_mem20000"
    assert model.target("long").kind == "batch"
    assert model.target("arm").key == "arm64_env1"
    assert model.function("arm64_env1").environment == (("A", "1"),)
    assert model.target("end").key == "default"
    assert [s.expression for s in model.schedules] == ["cron(0 * * * ? *)"]


def test_express_eligible_only_when_short_and_lambda_only() -> None:
    class Quick(FlowSpec):
        @timeout(seconds=60)
        @step
        def start(self):
            self.next(self.end)

        @timeout(seconds=60)
        @step
        def end(self):
            pass

    assert compile_cls(Quick).limits.express_eligible
    report = compile_cls(Linear).limits
    assert not report.express_eligible
    assert any("no @timeout on start, end" in b for b in report.express_blockers)
    assert any("EXPRESS" in line for line in report.lines())


def test_compilation_is_deterministic() -> None:
    first = asl_json(compile_cls(Nested).asl)
    second = asl_json(compile_flow(build_graph(Nested)).asl)
    assert first == second
    assert compile_cls(Caught).model == compile_cls(Caught).model


def test_limits_report_measures_the_canonical_json() -> None:
    flow = compile_cls(Branchy)
    assert flow.limits.definition_bytes == len(asl_json(flow.asl).encode())
    assert flow.limits.errors == ()
    assert flow.limits.lines()[0].startswith("definition size: ")
