"""The interpreter's states on hand-written ASL, with in-process fake workers (fakes.py)."""
from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from interp_fakes import BUCKET, FN, TABLE, FakeWorkers, entered, run, task

from runtime.engine.interp import DefinitionError, StatesError, load_definition


def fail_with(error: str, cause: str = "boom", times: int = 10**9) -> Any:
    seen = {"n": 0}

    def fn(payload: dict[str, Any]) -> Any:
        seen["n"] += 1
        if seen["n"] <= times:
            raise StatesError(error, cause)
        return {"ok": seen["n"]}

    return fn


def test_a_task_gets_its_parameters_and_lambda_shaped_output() -> None:
    asl = {"StartAt": "t", "States": {"t": task("t", ResultSelector={"got.$": "$.Payload.echo.input",
                                                                     "code.$": "$.StatusCode"},
                                                ResultPath="$.out")}}
    outcome, workers, history = run(asl, {"x": 1})
    assert outcome.status == "SUCCEEDED"
    assert outcome.output == {"x": 1, "out": {"got": {"x": 1}, "code": 200}}
    assert workers.calls == [{"step": "t", "input": {"x": 1}, "attempt": 0}]
    assert history.by_type["TaskStateEntered"] == 1 and history.by_type["TaskSucceeded"] == 1
    assert history.max_input_bytes == len('{"x":1}')


def test_input_path_output_path_and_pass_states() -> None:
    asl = {"StartAt": "p1", "States": {
        "p1": {"Type": "Pass", "InputPath": "$.a", "Parameters": {"v.$": "$.v", "name.$": "$$.State.Name"},
               "ResultPath": "$.a.copy", "Next": "p2"},
        "p2": {"Type": "Pass", "Result": {"fixed": True}, "ResultPath": "$.r", "OutputPath": "$.a", "Next": "p3"},
        "p3": {"Type": "Pass", "InputPath": None, "End": True}}}
    outcome, _, history = run(asl, {"a": {"v": 1}})
    assert outcome.output == {}
    assert entered(history) == ["p1", "p2", "p3"]
    asl["States"]["p3"] = {"Type": "Succeed"}
    assert run(asl, {"a": {"v": 1}})[0].output == {"v": 1, "copy": {"v": 1, "name": "p1"}}


def finishes(work: Any, guard: float = 300.0) -> Any:
    """work() run in a thread; a hang guard (not a speed check): fail if it is still going."""
    box: list[Any] = []
    worker = threading.Thread(target=lambda: box.append(work()), daemon=True)
    worker.start()
    worker.join(guard)
    assert box, f"still running after {guard} s: a retry interval was waited out"
    return box[0]


def test_retry_reruns_with_the_retry_count_and_then_catch_takes_over() -> None:
    retry = {"ErrorEquals": ["UserCodeError"], "MaxAttempts": 2, "IntervalSeconds": 3600}
    catch = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "handler"}
    asl = {"StartAt": "t", "States": {"t": task("t", "after", Retry=[retry], Catch=[catch]),
                                      "after": {"Type": "Pass", "End": True},
                                      "handler": {"Type": "Pass", "End": True}}}
    # Fast retries: with hour-long intervals, the run ends long before its hang guard.
    outcome, workers, history = finishes(lambda: run(asl, {"k": 1}, FakeWorkers({"t": fail_with("UserCodeError", "bad")})))
    assert [c["attempt"] for c in workers.calls] == [0, 1, 2]
    assert outcome.output == {"k": 1, "error": {"Error": "UserCodeError", "Cause": "bad"}}
    kinds = [(kind, state) for (_, kind, state, _) in history.trace]
    assert kinds == [("entered", "t"), ("retried", "t"), ("retried", "t"), ("caught", "t"), ("entered", "handler")]
    assert history.by_type["TaskFailed"] == 3


def test_the_first_matching_retrier_decides_and_max_attempts_zero_never_retries() -> None:
    retriers = [{"ErrorEquals": ["A"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]
    asl = {"StartAt": "t", "States": {"t": task("t", Retry=retriers)}}
    outcome, workers, _ = run(asl, {}, FakeWorkers({"t": fail_with("A")}))
    assert outcome.status == "FAILED" and outcome.error == "A" and len(workers.calls) == 1
    outcome, workers, _ = run(asl, {}, FakeWorkers({"t": fail_with("B", times=2)}))
    assert outcome.status == "SUCCEEDED" and len(workers.calls) == 3


def test_states_all_does_not_catch_a_runtime_error_but_task_failed_catches_user_errors() -> None:
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "h"}]
    asl = {"StartAt": "t", "States": {"t": {**task("t"), "Parameters": {"FunctionName": FN,
                                                                         "Payload": {"x.$": "$.missing"}},
                                            "Catch": catch}, "h": {"Type": "Succeed"}}}
    outcome, _, _ = run(asl, {})
    assert outcome.status == "FAILED" and outcome.error == "States.Runtime" and "$.missing" in outcome.cause
    asl = {"StartAt": "t", "States": {"t": task("t", Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "h"}]),
                                      "h": {"Type": "Succeed"}}}
    assert run(asl, {}, FakeWorkers({"t": fail_with("UserCodeError")}))[0].status == "SUCCEEDED"
    assert run(asl, {}, FakeWorkers({"t": fail_with("States.Timeout")}))[0].status == "FAILED"


def test_choice_takes_the_first_matching_rule_else_the_default_else_fails() -> None:
    asl = {"StartAt": "c", "States": {
        "c": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThanEquals": 3, "Next": "small"},
                                            {"Variable": "$.n", "NumericLessThan": 100, "Next": "medium"}],
              "Default": "big"},
        "small": {"Type": "Pass", "Result": "small", "End": True},
        "medium": {"Type": "Pass", "Result": "medium", "End": True},
        "big": {"Type": "Pass", "Result": "big", "End": True}}}
    assert [run(asl, {"n": n})[0].output for n in (1, 50, 500)] == ["small", "medium", "big"]
    del asl["States"]["c"]["Default"]
    outcome = run(asl, {"n": 500})[0]
    assert outcome.status == "FAILED" and outcome.error == "States.NoChoiceMatched"


def test_a_choice_loop_runs_until_its_condition_fails() -> None:
    """What a compiled recursion looks like: a counter kept in the state, a Choice back edge."""
    asl = {"StartAt": "init", "States": {
        "init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "body"},
        "body": task("body", "count", ResultPath=None),
        "count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "again"},
        "again": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": 4, "Next": "body"}],
                  "Default": "done"},
        "done": {"Type": "Succeed"}}}
    outcome, workers, history = run(asl, {})
    assert outcome.output == {"i": 4} and len(workers.calls) == 4
    assert entered(history).count("body") == 4


def test_fail_state_with_error_and_cause_paths() -> None:
    asl = {"StartAt": "f", "States": {"f": {"Type": "Fail", "ErrorPath": "$.e.Error",
                                            "CausePath": "States.Format('because {}', $.e.Cause)"}}}
    outcome = run(asl, {"e": {"Error": "States.Timeout", "Cause": "slow"}})[0]
    assert (outcome.status, outcome.error, outcome.cause) == ("FAILED", "States.Timeout", "because slow")


def test_parallel_runs_branches_side_by_side_and_collects_their_outputs() -> None:
    barrier = threading.Barrier(3, timeout=5)  # all three branches must be running at once

    def meet(payload: dict[str, Any]) -> Any:
        barrier.wait()
        return payload["step"]

    branches = [{"StartAt": s, "States": {s: task(s, ResultSelector={"s.$": "$.Payload"})}} for s in "abc"]
    asl = {"StartAt": "par", "States": {"par": {"Type": "Parallel", "Branches": branches, "End": True}}}
    outcome, _, history = run(asl, {}, FakeWorkers({s: meet for s in "abc"}))
    assert outcome.output == [{"s": "a"}, {"s": "b"}, {"s": "c"}]
    assert entered(history, "/par[1]") == ["b"]


def test_a_failed_branch_cancels_its_siblings_and_fails_the_parallel() -> None:
    branches = [{"StartAt": "slow", "States": {"slow": task("slow", "never")}, },
                {"StartAt": "bad", "States": {"bad": task("bad")}}]
    branches[0]["States"]["never"] = {"Type": "Pass", "End": True}
    asl = {"StartAt": "par", "States": {"par": {"Type": "Parallel", "Branches": branches, "End": True,
                                                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err",
                                                           "Next": "h"}]},
                                        "h": {"Type": "Succeed"}}}
    workers = FakeWorkers({"slow": lambda p: FakeWorkers.BLOCK, "bad": fail_with("UserCodeError", "bad branch")})
    outcome, _, history = run(asl, {}, workers)
    assert workers.blocked_ended == ["cancelled"]  # the blocked branch was cancelled, not waited out
    assert outcome.output == {"err": {"Error": "UserCodeError", "Cause": "bad branch"}}
    assert "never" not in entered(history, "/par[0]")


def test_inline_map_bounds_concurrency_and_keeps_item_order() -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def body(payload: dict[str, Any]) -> Any:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return payload["input"]["v"] * 10

    asl = {"StartAt": "m", "States": {"m": {
        "Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index",
                                                                "run.$": "$.run"},
        "ItemProcessor": {"StartAt": "b", "States": {"b": task("b", ResultSelector={"r.$": "$.Payload"})}},
        "ResultPath": "$.out", "End": True}}}
    outcome, workers, history = run(asl, {"run": "r", "items": list(range(12))},
                                    FakeWorkers({"b": body}), map_bound=3)
    assert [o["r"] for o in outcome.output["out"]] == [i * 10 for i in range(12)]
    assert peak[0] <= 3
    assert {c["input"]["i"] for c in workers.calls} == set(range(12))
    assert history.by_type["MapIterationStarted"] == 12
    assert entered(history, "/m") == ["b"] * 12


def test_max_concurrency_bounds_below_the_engine_bound() -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def body(payload: dict[str, Any]) -> Any:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.005)
        with lock:
            running[0] -= 1
        return {}

    asl = {"StartAt": "m", "States": {"m": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": {
        "StartAt": "b", "States": {"b": task("b")}}, "ResultPath": None, "End": True}}}
    run(asl, [1, 2, 3, 4], FakeWorkers({"b": body}), map_bound=8)
    assert peak[0] == 1


def test_a_map_with_result_path_null_keeps_no_results_and_passes_its_input_on() -> None:
    asl = {"StartAt": "m", "States": {"m": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
        "StartAt": "b", "States": {"b": task("b")}}, "ResultPath": None, "End": True}}}
    outcome = run(asl, {"items": [1, 2, 3], "run": "r"})[0]
    assert outcome.output == {"items": [1, 2, 3], "run": "r"}


def test_a_failed_iteration_fails_the_inline_map_with_its_error() -> None:
    def body(payload: dict[str, Any]) -> Any:
        if payload["input"] == 5:
            raise StatesError("UserCodeError", "item 5")
        return {}

    asl = {"StartAt": "m", "States": {"m": {"Type": "Map", "ItemProcessor": {
        "StartAt": "b", "States": {"b": task("b")}}, "ResultPath": None, "End": True}}}
    outcome, workers, _ = run(asl, list(range(40)), FakeWorkers({"b": body}), map_bound=2)
    assert (outcome.status, outcome.error, outcome.cause) == ("FAILED", "UserCodeError", "item 5")
    assert len(workers.calls) < 40  # no new item starts once one failed


def _distributed(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "m", "States": {"m": {
        "Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                                      "Parameters": {"Bucket": BUCKET, "Key.$": "States.Format('{}/items.json', $.run)"}},
        "ItemSelector": {"run.$": "$.run", "p.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "b", "States": {"b": task("b")}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "res"}},
        "ResultPath": "$.written", "End": True, **fields}}}


def _items_workers(n: int, failing: set[str]) -> FakeWorkers:
    def body(payload: dict[str, Any]) -> Any:
        if payload["input"]["p"] in failing:
            raise StatesError("UserCodeError", f"item {payload['input']['p']} failed")
        return {}

    return FakeWorkers({"b": body}, objects={"r/items.json": json.dumps([str(i) for i in range(n)]).encode()})


def test_distributed_map_reads_its_items_and_writes_a_result_pointer() -> None:
    outcome, workers, history = run(_distributed(), {"run": "r"}, _items_workers(6, set()))
    assert outcome.status == "SUCCEEDED"
    assert sorted(c["input"]["p"] for c in workers.calls) == [str(i) for i in range(6)]
    details = outcome.output["written"]["ResultWriterDetails"]
    assert details["Bucket"] == BUCKET and details["Key"].startswith("res/") and details["Key"].endswith("/manifest.json")
    assert history.by_type["MapRunStarted"] == 1 and history.by_type["MapRunSucceeded"] == 1


def test_one_failed_child_fails_the_map_run_with_the_threshold_error() -> None:
    outcome, _, history = run(_distributed(), {"run": "r"}, _items_workers(8, {"3"}), map_bound=1)
    assert outcome.error == "States.ExceedToleratedFailureThreshold"
    assert outcome.cause == ("UserCodeError: item 3 failed [the child execution of item 3 of Map state 'm' failed: "
                             "1 of 8 child executions failed or timed out; no failure is tolerated]")
    assert [e["mapRunFailedEventDetails"]["error"] for e in history.kept if e["type"] == "MapRunFailed"] == [
        "States.ExceedToleratedFailureThreshold"]


def test_tolerated_failures_let_the_map_run_succeed() -> None:
    assert run(_distributed(ToleratedFailureCount=2), {"run": "r"}, _items_workers(8, {"3", "5"}))[0].status == \
        "SUCCEEDED"
    outcome = run(_distributed(ToleratedFailurePercentage=20.0), {"run": "r"}, _items_workers(8, {"3", "5"}),
                  map_bound=1)[0]
    assert outcome.status == "FAILED" and "tolerated: ToleratedFailurePercentage 20" in outcome.cause


def test_a_missing_items_object_is_an_item_reader_failure() -> None:
    outcome = run(_distributed(), {"run": "other"}, _items_workers(3, set()))[0]
    assert outcome.error == "States.ItemReaderFailed" and "other/items.json" in outcome.cause


def test_nested_maps_trace_each_iteration_by_its_index_path() -> None:
    inner = {"Type": "Map", "ItemsPath": "$.inner", "ItemProcessor": {"StartAt": "leaf", "States": {
        "leaf": task("leaf")}}, "ResultPath": None, "End": True}
    asl = {"StartAt": "outer", "States": {"outer": {"Type": "Map", "ItemsPath": "$.rows", "ItemSelector": {
        "inner.$": "$$.Map.Item.Value"}, "ItemProcessor": {"StartAt": "inner", "States": {"inner": inner}},
        "ResultPath": None, "End": True}}}
    _, workers, history = run(asl, {"rows": [[1, 2], [3], [4, 5, 6]]})
    leaves = sorted(key[1] for (key, kind, state, _) in history.trace if state == "leaf")
    assert leaves == [(0, 0), (0, 1), (1, 0), (2, 0), (2, 1), (2, 2)]
    assert sorted(c["input"] for c in workers.calls) == [1, 2, 3, 4, 5, 6]


def test_the_run_status_write_on_the_routed_table_is_answered_and_dropped() -> None:
    asl = {"StartAt": "w", "States": {"w": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem",
                                            "Parameters": {"TableName": TABLE, "Key": {"pk": {"S.$": "$.run"}}},
                                            "ResultPath": "$.r", "End": True}}}
    outcome, workers, _ = run(asl, {"run": "r"})
    assert outcome.output == {"run": "r", "r": {}} and workers.calls == []
    asl["States"]["w"]["Parameters"]["TableName"] = "someone-elses"
    assert run(asl, {"run": "r"})[0].error == "DynamoDB.ResourceNotFoundException"


def test_a_task_timeout_is_states_timeout_and_can_be_caught() -> None:
    asl = {"StartAt": "t", "States": {
        "t": task("t", "after", TimeoutSeconds=1, Catch=[{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.e",
                                                          "Next": "after"}]),
        "after": {"Type": "Succeed"}}}
    outcome, _, history = run(asl, {}, FakeWorkers({"t": lambda p: FakeWorkers.BLOCK}))
    assert outcome.output == {"e": {"Error": "States.Timeout", "Cause": ""}}
    assert history.by_type["TaskTimedOut"] == 1


def test_stop_aborts_a_running_execution() -> None:
    from interp_fakes import Services, Threads

    from runtime.engine.interp import Execution, History

    asl = {"StartAt": "t", "States": {"t": task("t")}}
    threads = Threads()
    execution = Execution(load_definition(asl), name="r", input={}, threads=threads, history=History(),
                          services=Services(FakeWorkers({"t": lambda p: FakeWorkers.BLOCK})))
    timer = threading.Timer(0.2, execution.stop)
    timer.start()
    try:
        outcome = execution.run()
    finally:
        threads.close()
    assert outcome.status == "ABORTED"


@pytest.mark.parametrize("asl, message", [
    ({"StartAt": "x", "States": {"x": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                                       "End": True}}}, "Resource"),
    ({"StartAt": "x", "States": {"x": {"Type": "Pass", "Assign": {"a": 1}, "End": True}}}, "Assign"),
    ({"StartAt": "x", "QueryLanguage": "JSONata", "States": {"x": {"Type": "Succeed"}}}, "JSONPath"),
    ({"StartAt": "x", "States": {"x": {"Type": "Pass", "Next": "nowhere"}}}, "nowhere"),
    ({"StartAt": "y", "States": {"x": {"Type": "Succeed"}}}, "StartAt"),
    ({"StartAt": "x", "States": {"x": {"Type": "Pass"}}}, "Next and End"),
    ({"StartAt": "x", "States": {"x": {"Type": "Map", "ItemBatcher": {}, "ItemProcessor": {
        "StartAt": "y", "States": {"y": {"Type": "Succeed"}}}, "End": True}}}, "ItemBatcher"),
])
def test_asl_outside_the_subset_is_refused_before_anything_runs(asl: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        load_definition(asl)
